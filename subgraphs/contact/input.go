package contact

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/oklog/ulid/v2"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/validate"
)

// Limits of custom fields.
const (
	MaxCustomFieldsBytes = 64 << 10
	MaxCustomFieldKey    = 64
	maxNotes             = 10000
)

// Address is a postal address; in an input, nil parts stay as they are and
// empty ones are cleared.
type Address struct {
	Street, City, State, Country, PostalCode *string
}

// changes applies the optional fields of an input to a row, validating each,
// and records which fields changed (their JSON names, for events). The first
// error wins; later calls do nothing.
type changes struct {
	changed []string
	err     error
}

func (c *changes) mark(name string) {
	for _, n := range c.changed {
		if n == name {
			return
		}
	}
	c.changed = append(c.changed, name)
}

// required sets a mandatory text column: nil keeps it.
func (c *changes) required(field, name string, dst *string, v *string, maxLen int) {
	if c.err != nil || v == nil {
		return
	}
	s, err := validate.Text("input."+field, *v, maxLen)
	if err != nil {
		c.err = err
		return
	}
	if s != *dst {
		*dst, c.changed = s, append(c.changed, name)
	}
}

// optional sets a nullable text column: nil keeps it, "" clears it.
func (c *changes) optional(field, name string, dst **string, v *string, maxLen int) {
	if c.err != nil || v == nil {
		return
	}
	var next *string
	if strings.TrimSpace(*v) != "" {
		s, err := validate.Text("input."+field, *v, maxLen)
		if err != nil {
			c.err = err
			return
		}
		next = &s
	}
	c.set(name, dst, next)
}

// email sets a nullable e-mail column.
func (c *changes) email(field string, dst **string, v *string) {
	if c.err != nil || v == nil {
		return
	}
	var next *string
	if strings.TrimSpace(*v) != "" {
		s, err := validate.Email("input."+field, *v)
		if err != nil {
			c.err = err
			return
		}
		next = &s
	}
	c.set("email", dst, next)
}

// id sets a nullable reference column: nil keeps it, "" clears it.
func (c *changes) id(name string, dst **string, v *string) {
	if c.err != nil || v == nil {
		return
	}
	var next *string
	if s := strings.TrimSpace(*v); s != "" {
		next = &s
	}
	c.set(name, dst, next)
}

func (c *changes) set(name string, dst **string, next *string) {
	if str(*dst) != str(next) || (*dst == nil) != (next == nil) {
		*dst = next
		c.mark(name)
	}
}

// address applies an address input to the five address columns.
func (c *changes) address(a *Address, street, city, state, country, postal **string) {
	if a == nil {
		return
	}
	c.optional("address.street", "address", street, a.Street, 255)
	c.optional("address.city", "address", city, a.City, 100)
	c.optional("address.state", "address", state, a.State, 100)
	c.optional("address.country", "address", country, a.Country, 100)
	c.optional("address.postalCode", "address", postal, a.PostalCode, 20)
}

// customFields replaces a custom fields column: nil keeps it.
func (c *changes) customFields(dst *[]byte, m map[string]any) {
	if c.err != nil || m == nil {
		return
	}
	raw, err := CustomFields("input.customFields", m)
	if err != nil {
		c.err = err
		return
	}
	if !jsonEqual(*dst, raw) {
		*dst = raw
		c.mark("custom_fields")
	}
}

// CustomFields validates custom fields (an object of at most 64 KiB whose
// keys have 1 to 64 characters) and returns them as JSON.
func CustomFields(field string, m map[string]any) ([]byte, error) {
	for k := range m {
		if k == "" || utf8.RuneCountInString(k) > MaxCustomFieldKey {
			return nil, apperr.Field(field, "custom field keys must have 1 to %d characters (%.20q...)", MaxCustomFieldKey, k)
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, apperr.Field(field, "custom fields must be a JSON object")
	}
	if len(raw) > MaxCustomFieldsBytes {
		return nil, apperr.Field(field, "custom fields take %d bytes: at most %d are allowed", len(raw), MaxCustomFieldsBytes)
	}
	return raw, nil
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	ra, _ := json.Marshal(x)
	rb, _ := json.Marshal(y)
	return bytes.Equal(ra, rb)
}

// userID checks a user id given as input (a ULID).
func userID(field string, v *string) error {
	if v == nil || *v == "" {
		return nil
	}
	if _, err := ulid.ParseStrict(*v); err != nil {
		return apperr.Field(field, "%q is not a user id", *v)
	}
	return nil
}
