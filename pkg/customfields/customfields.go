// Package customfields is the one place custom fields are checked, stored
// and read: a record's JSON object of user-defined keys (the schema's JSON
// scalar), kept in a jsonb column that is always an object.
package customfields

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// Limits of a record's custom fields (docs/architecture.md section 4).
const (
	MaxKey   = 64        // characters of a key
	MaxBytes = 64 * 1024 // bytes of the whole object, as JSON
	// MaxDepth bounds how deep a JSON value nests: the object itself is
	// level 1, an object or array inside it level 2, and so on.
	MaxDepth = 10
)

// Fields are a record's custom fields as the domain types hold them.
type Fields = map[string]any

// Check refuses a JSON value (custom fields, or any other value of the JSON
// scalar) that nests deeper than MaxDepth or holds a key or string that
// PostgreSQL cannot store: a NUL character (U+0000) or invalid UTF-8. It
// stops at the first level past MaxDepth, so a value nested thousands of
// levels deep costs no more to refuse than one nested eleven. The error is
// a BAD_USER_INPUT on field.
func Check(field string, v any) error {
	return check(field, v, 1)
}

func check(field string, v any, depth int) error {
	switch x := v.(type) {
	case map[string]any:
		if depth > MaxDepth {
			return tooDeep(field)
		}
		for k, e := range x {
			if !storable(k) {
				return apperr.Field(field, "custom field keys may not contain NUL characters or invalid UTF-8")
			}
			if err := check(field, e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		if depth > MaxDepth {
			return tooDeep(field)
		}
		for _, e := range x {
			if err := check(field, e, depth+1); err != nil {
				return err
			}
		}
	case string:
		if !storable(x) {
			return apperr.Field(field, "custom field values may not contain NUL characters or invalid UTF-8")
		}
	}
	return nil
}

func tooDeep(field string) error {
	return apperr.Field(field, "custom fields nest deeper than the limit of %d levels", MaxDepth)
}

// storable reports whether PostgreSQL can store s in text or jsonb.
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// Encode checks fields given as input (Check, then keys of 1 to MaxKey
// characters, at most MaxBytes in all; a BAD_USER_INPUT on field otherwise)
// and returns them as the JSON to store; nil is the empty object.
func Encode(field string, m Fields) ([]byte, error) {
	if m == nil {
		return []byte("{}"), nil
	}
	if err := Check(field, m); err != nil {
		return nil, err
	}
	for k := range m {
		if k == "" || utf8.RuneCountInString(k) > MaxKey {
			return nil, apperr.Field(field, "custom field keys must have 1 to %d characters (%.20q...)", MaxKey, k)
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, apperr.Field(field, "custom fields must be a JSON object")
	}
	if len(raw) > MaxBytes {
		return nil, apperr.Field(field, "custom fields take %d bytes: at most %d are allowed", len(raw), MaxBytes)
	}
	return raw, nil
}

// Decode reads stored custom fields; anything but an object reads as the
// empty object.
func Decode(raw []byte) Fields {
	m := Fields{}
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return Fields{}
	}
	return m
}
