package page_test

import (
	"strings"
	"testing"
	"time"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/page"
)

// FuzzDecode feeds Decode any string as `after`, decoded into the key shapes
// the subgraphs use (a time, a string, a number): it never panics, refuses
// with BAD_USER_INPUT on `after` only, and whatever it accepts is a value
// SQL takes and round-trips through Cursor.
func FuzzDecode(f *testing.F) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, seed := range []string{
		"", "abc", "YWJj", "' OR 1=1 --",
		page.Cursor(at, "01ABC", 1.5),
		page.Cursor(at, "a\x00", 1.5),
		page.Cursor(time.Time{}, "", 0),
		page.Cursor("only-one"),
		crafted(`["0000-01-01T00:00:00Z", "id", 1]`),
		crafted(`["9999-12-31T23:59:59-23:59", "id", 1]`),
		crafted(`["2026-01-02T03:04:05Z", "id", 1e999]`),
		crafted(`["2026-01-02T03:04:05Z", "\ud800", 1]`),
		crafted(`[null, null, null]`),
		crafted(`["2026-01-02T03:04:05Z", {"a": [1]}, "x"]`),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, after string) {
		var gotAt time.Time
		var s string
		var n float64
		ok, err := page.Decode(&after, &gotAt, &s, &n)
		if err != nil {
			e, coded := apperr.As(err)
			if !coded || e.Code != apperr.BadUserInput || e.Field != "after" {
				t.Fatalf("Decode(%q): want BAD_USER_INPUT on after, got %v", after, err)
			}
			if ok {
				t.Fatalf("Decode(%q) reports a position along with an error", after)
			}
			return
		}
		if !ok {
			if after != "" {
				t.Fatalf("Decode(%q) accepted nothing without an error", after)
			}
			return
		}
		if strings.ContainsRune(s, 0) || len(s) > page.MaxKeyString {
			t.Fatalf("Decode(%q) let %q through", after, s)
		}
		if y := gotAt.UTC().Year(); y < 1 || y > 9999 {
			t.Fatalf("Decode(%q) let the year %d through", after, y)
		}
		again := page.Cursor(gotAt, s, n)
		var at2 time.Time
		var s2 string
		var n2 float64
		if ok, err := page.Decode(&again, &at2, &s2, &n2); !ok || err != nil || !at2.Equal(gotAt) || s2 != s || n2 != n {
			t.Fatalf("Decode(%q): the position does not round-trip (%v %v)", after, ok, err)
		}
	})
}
