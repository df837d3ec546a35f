package comms

import (
	"github.com/oklog/ulid/v2"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/validate"
)

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func ptr[T any](v T) *T { return &v }

// setPtr sets *dst to in when given: an optional input field.
func setPtr[T any](dst **T, in *T) {
	if in != nil {
		*dst = in
	}
}

// set sets *dst to in when given, else to def when *dst is unset.
func set[T ~string](dst *T, in *T, def T) {
	switch {
	case in != nil:
		*dst = *in
	case *dst == "":
		*dst = def
	}
}

// setText sets *dst to in, one line of 1 to 255 characters, when given or
// when *dst is unset (a record being created).
func setText(field string, in *string, dst *string) error {
	if in == nil && *dst != "" {
		return nil
	}
	v, err := validate.Text(field, deref(in), 255)
	if err != nil {
		return err
	}
	*dst = v
	return nil
}

// ValidID checks that id is a ULID, the shape of every record's id.
func ValidID(field, id string) error {
	if _, err := ulid.ParseStrict(id); err != nil {
		return apperr.Field(field, "%q is not an id", id)
	}
	return nil
}

// ref is a reference to another record given as input: nil leaves *dst,
// "" clears it, anything else must be an id.
type ref struct {
	field string
	in    *string
	dst   **string
}

// setRefs applies references given as input.
func setRefs(refs ...ref) error {
	for _, r := range refs {
		switch {
		case r.in == nil:
		case *r.in == "":
			*r.dst = nil
		default:
			if err := ValidID(r.field, *r.in); err != nil {
				return err
			}
			v := *r.in
			*r.dst = &v
		}
	}
	return nil
}
