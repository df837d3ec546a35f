// Package page implements Relay cursor pagination: the `first`/`after`
// arguments, opaque cursors and keyset positions, for every connection.
package page

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// Default and maximum page sizes (design.md section 4).
const (
	DefaultSize = 20
	MaxSize     = 100
)

// Size validates `first`: nil means DefaultSize; 1 to MaxSize are allowed.
func Size(first *int) (int, error) {
	if first == nil {
		return DefaultSize, nil
	}
	if *first < 1 || *first > MaxSize {
		return 0, apperr.Field("first", "first must be between 1 and %d", MaxSize)
	}
	return *first, nil
}

const cursorPrefix = "c1:"

// Cursor encodes a keyset position (the sort key values of a row) as an
// opaque cursor.
func Cursor(key ...any) string {
	b, _ := json.Marshal(key)
	return base64.RawURLEncoding.EncodeToString(append([]byte(cursorPrefix), b...))
}

// Decode reads a cursor made by Cursor into dst (pointers, in the same order
// as the key). A nil or empty cursor leaves dst alone and returns false. A
// cursor that is not one of ours is a BAD_USER_INPUT on `after`.
func Decode(after *string, dst ...any) (bool, error) {
	if after == nil || *after == "" {
		return false, nil
	}
	bad := apperr.Field("after", "the cursor %q was not issued by this API", *after)
	raw, err := base64.RawURLEncoding.DecodeString(*after)
	if err != nil || !strings.HasPrefix(string(raw), cursorPrefix) {
		return false, bad
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw[len(cursorPrefix):], &parts); err != nil || len(parts) != len(dst) {
		return false, bad
	}
	for i, p := range parts {
		if err := json.Unmarshal(p, dst[i]); err != nil {
			return false, bad
		}
	}
	return true, nil
}

// Trim cuts rows fetched with limit size+1 to size, and reports whether
// there was a next page.
func Trim[T any](rows []T, size int) ([]T, bool) {
	if len(rows) > size {
		return rows[:size], true
	}
	return rows, false
}
