package page_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/page"
)

func ptr[T any](v T) *T { return &v }

func TestSizeDefaultsAndBounds(t *testing.T) {
	n, err := page.Size(nil)
	require.NoError(t, err)
	assert.Equal(t, 20, n)
	n, err = page.Size(ptr(100))
	require.NoError(t, err)
	assert.Equal(t, 100, n)
	for _, bad := range []int{0, -1, 101} {
		_, err := page.Size(ptr(bad))
		e, ok := apperr.As(err)
		require.True(t, ok)
		assert.Equal(t, "first", e.Field)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	c := page.Cursor(at, "01ABC")
	var gotAt time.Time
	var gotID string
	ok, err := page.Decode(&c, &gotAt, &gotID)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.True(t, at.Equal(gotAt))
	assert.Equal(t, "01ABC", gotID)
}

func TestForeignCursorsAreRejected(t *testing.T) {
	var s string
	for _, bad := range []string{"abc", "YWJj", page.Cursor("only-one"), "' OR 1=1 --"} {
		_, err := page.Decode(&bad, &s, &s)
		assert.Equal(t, apperr.BadUserInput, apperr.CodeOf(err), bad)
	}
	ok, err := page.Decode(nil, &s)
	assert.False(t, ok)
	assert.NoError(t, err)
}

// crafted is a cursor in our format holding any JSON array.
func crafted(json string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c1:" + json))
}

func TestAlteredCursorsAreRefusedBeforeSQL(t *testing.T) {
	var at time.Time
	var s string
	var f float64
	for name, bad := range map[string]string{
		"NUL in a key":        page.Cursor(time.Now(), "a\x00"),
		"invalid UTF-8":       crafted(`["2026-01-02T03:04:05Z", "\xff"]`),
		"huge key":            page.Cursor(time.Now(), strings.Repeat("x", page.MaxKeyString+1)),
		"huge cursor":         strings.Repeat("A", page.MaxCursor+1),
		"year zero":           crafted(`["0000-01-01T00:00:00Z", "id"]`),
		"past year 9999":      crafted(`["9999-12-31T23:59:59-23:59", "id"]`),
		"before year 1":       crafted(`["0001-01-01T00:00:00+23:59", "id"]`),
		"garbage time":        crafted(`["garbage", "id"]`),
		"number for a string": crafted(`["2026-01-02T03:04:05Z", 7]`),
		"number out of range": crafted(`["2026-01-02T03:04:05Z", "id", 1e999]`),
		"object for a string": crafted(`["2026-01-02T03:04:05Z", {}]`),
	} {
		dst := []any{&at, &s}
		if strings.Contains(name, "range") {
			dst = append(dst, &f)
		}
		ok, err := page.Decode(&bad, dst...)
		assert.False(t, ok, name)
		e, isCoded := apperr.As(err)
		if assert.True(t, isCoded, name) {
			assert.Equal(t, apperr.BadUserInput, e.Code, name)
			assert.Equal(t, "after", e.Field, name)
			assert.LessOrEqual(t, len(e.Message), 120, "%s: the message does not echo the whole cursor", name)
		}
	}
	var zero time.Time
	c := page.Cursor(time.Time{}, "id")
	ok, err := page.Decode(&c, &zero, &s)
	assert.True(t, ok)
	assert.NoError(t, err, "the zero time is a key some lists leave unset")
	assert.True(t, zero.IsZero())
}

func TestAFailedDecodeWritesNothing(t *testing.T) {
	s, n := "kept", 1
	c := page.Cursor("changed", "not a number")
	_, err := page.Decode(&c, &s, &n)
	require.Error(t, err)
	assert.Equal(t, "kept", s)
}
