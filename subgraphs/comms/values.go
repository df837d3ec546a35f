package comms

import (
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/opencrm/opencrm/pkg/apperr"
)

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func ptr[T any](v T) *T { return &v }

// oneOf returns v, lower case, if it is one of allowed.
func oneOf(field, v string, allowed ...string) (string, error) {
	v = strings.ToLower(v)
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", apperr.Field(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
}

// ValidID checks that id is a ULID, the shape of every record's id.
func ValidID(field, id string) error {
	if _, err := ulid.ParseStrict(id); err != nil {
		return apperr.Field(field, "%q is not an id", id)
	}
	return nil
}

// setRef sets *dst to a reference to another record: nil leaves it, ""
// clears it, anything else must be an id.
func setRef(field string, in *string, dst **string) error {
	switch {
	case in == nil:
	case *in == "":
		*dst = nil
	default:
		if err := ValidID(field, *in); err != nil {
			return err
		}
		v := *in
		*dst = &v
	}
	return nil
}

// inOrder arranges rows in the order of ids; ids without a row give nil.
func inOrder[T any](ids []string, rows []T, id func(T) string) []*T {
	byID := make(map[string]*T, len(rows))
	for i := range rows {
		byID[id(rows[i])] = &rows[i]
	}
	out := make([]*T, len(ids))
	for i, k := range ids {
		out[i] = byID[k]
	}
	return out
}
