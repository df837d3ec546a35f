// Package page implements Relay cursor pagination: the `first`/`after`
// arguments, opaque cursors and keyset positions, for every connection.
package page

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// Default and maximum page sizes (docs/architecture.md section 4).
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

// Limits of what a cursor may carry (docs/architecture.md section 4): a
// cursor is checked against them before any of it reaches SQL.
const (
	// MaxCursor bounds the length of a cursor as sent.
	MaxCursor = 4096
	// MaxKeyString bounds a string sort key, in bytes.
	MaxKeyString = 1024
)

// The times a cursor may carry: the years RFC 3339 and PostgreSQL share
// (the zero time, a key some lists leave unset, is the first instant).
var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Decode reads a cursor made by Cursor into dst (pointers, in the same order
// as the key). A nil or empty cursor leaves dst alone and returns false. A
// cursor that is not one of ours is a BAD_USER_INPUT on `after`, and so is
// one of ours whose keys were altered: each key must have its destination's
// type and a value SQL can take (strings of at most MaxKeyString bytes of
// valid UTF-8 without NUL, finite numbers, times from year 1 to 9999 UTC).
// Nothing is written to dst unless the whole cursor is valid.
func Decode(after *string, dst ...any) (bool, error) {
	if after == nil || *after == "" {
		return false, nil
	}
	bad := apperr.Field("after", "the cursor %.40q... was not issued by this API, or was altered", *after)
	if len(*after) > MaxCursor {
		return false, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(*after)
	if err != nil || !strings.HasPrefix(string(raw), cursorPrefix) {
		return false, bad
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw[len(cursorPrefix):], &parts); err != nil || len(parts) != len(dst) {
		return false, bad
	}
	vals := make([]reflect.Value, len(dst))
	for i, p := range parts {
		d := reflect.ValueOf(dst[i])
		if d.Kind() != reflect.Pointer || d.IsNil() {
			return false, bad
		}
		v := reflect.New(d.Type().Elem())
		if err := json.Unmarshal(p, v.Interface()); err != nil || !sane(v.Elem()) {
			return false, bad
		}
		vals[i] = v.Elem()
	}
	for i, v := range vals {
		reflect.ValueOf(dst[i]).Elem().Set(v)
	}
	return true, nil
}

// sane reports whether a decoded sort key is a value SQL takes.
func sane(v reflect.Value) bool {
	if t, ok := v.Interface().(time.Time); ok {
		u := t.UTC()
		return !u.Before(minTime) && u.Before(maxTime)
	}
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		return len(s) <= MaxKeyString && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		return !math.IsNaN(f) && !math.IsInf(f, 0)
	case reflect.Pointer:
		return v.IsNil() || sane(v.Elem())
	}
	return true
}

// Trim cuts rows fetched with limit size+1 to size, and reports whether
// there was a next page.
func Trim[T any](rows []T, size int) ([]T, bool) {
	if len(rows) > size {
		return rows[:size], true
	}
	return rows, false
}

// Edges maps a page of items to a connection's edges, each with its cursor,
// and returns the first and last cursors for pageInfo (nil on an empty page).
func Edges[T, E any](items []T, cursor func(T) string, edge func(cursor string, item T) E) (edges []E, start, end *string) {
	edges = make([]E, 0, len(items))
	for i, it := range items {
		c := cursor(it)
		edges = append(edges, edge(c, it))
		if i == 0 {
			start = &c
		}
		if i == len(items)-1 {
			end = &c
		}
	}
	return edges, start, end
}

// After reports whether a page starts after a cursor (Relay's
// hasPreviousPage, as far as forward pagination knows).
func After(after *string) bool { return after != nil && *after != "" }

// Info is a connection's pageInfo: the schema's PageInfo is bound to it.
type Info struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// NewInfo returns the pageInfo of a page whose edges have these cursors,
// fetched after the cursor after, with a next page or not.
func NewInfo(cursors []string, hasNext bool, after *string) *Info {
	info := &Info{HasNextPage: hasNext, HasPreviousPage: After(after)}
	if n := len(cursors); n > 0 {
		info.StartCursor, info.EndCursor = &cursors[0], &cursors[n-1]
	}
	return info
}
