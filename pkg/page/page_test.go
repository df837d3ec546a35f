package page_test

import (
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
