package comms

import (
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
