// Package customfields is the one place custom fields are checked, stored
// and read: a record's JSON object of user-defined keys (the schema's JSON
// scalar), kept in a jsonb column that is always an object.
package customfields

import (
	"encoding/json"
	"unicode/utf8"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// Limits of a record's custom fields.
const (
	MaxKey   = 64        // characters of a key
	MaxBytes = 64 * 1024 // bytes of the whole object, as JSON
)

// Fields are a record's custom fields as the domain types hold them.
type Fields = map[string]any

// Encode checks fields given as input (keys of 1 to MaxKey characters, at
// most MaxBytes in all; a BAD_USER_INPUT on field otherwise) and returns
// them as the JSON to store; nil is the empty object.
func Encode(field string, m Fields) ([]byte, error) {
	if m == nil {
		return []byte("{}"), nil
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
