package gqlserver_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// crafted is a cursor in our format holding any JSON array, as an attacker
// who has read one of our cursors would write it.
func crafted(json string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c1:" + json))
}

// TestCraftedCursorsAreRefusedOnAfterInEverySubgraph takes real-shaped
// cursors of every subgraph's lists and replaces their sort keys with
// garbage: NUL characters, huge strings, out-of-range dates, numbers where
// strings belong. Each is a BAD_USER_INPUT on `after`, never INTERNAL.
func TestCraftedCursorsAreRefusedOnAfterInEverySubgraph(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	token := signUp(t, c)
	id := tenancy.NewID()
	now := time.Now().UTC()
	huge := strings.Repeat("x", 100_000)
	lists := []struct {
		subgraph, query string
		cursors         []string
	}{
		{"identity", `query($a: String) { users(after: $a) { totalCount } }`, []string{
			page.Cursor("ada\x00", "lovelace", id),
			page.Cursor("ada", "lovelace", "\x00"),
			page.Cursor(huge, "lovelace", id),
			crafted(`["ada", "lovelace", 1e999]`),
			crafted(`["ada", 7, "` + id + `"]`),
		}},
		{"tenant", `query($a: String) { invitations(after: $a) { totalCount } }`, []string{
			crafted(`["0000-01-01T00:00:00Z", "` + id + `"]`),
			crafted(`["9999-12-31T23:59:59-23:59", "` + id + `"]`),
			crafted(`["0001-01-01T00:00:00+23:59", "` + id + `"]`),
			page.Cursor(now, "\x00"),
			crafted(`["garbage", "` + id + `"]`),
		}},
		{"contact", `query($a: String) { contacts(after: $a) { totalCount } }`, []string{
			page.Cursor("NAME", "ASC", "ada\x00", "b", time.Time{}, id),
			page.Cursor("CREATED_AT", "DESC", "", "", "9999-12-31T23:59:59-23:59", id),
		}},
		{"contact", `query($a: String) { companies(after: $a) { totalCount } }`, []string{
			page.Cursor("NAME", "ASC", "acme\x00", "", time.Time{}, id),
		}},
		{"deal", `query($a: String) { deals(after: $a) { totalCount } }`, []string{
			page.Cursor("CREATED_AT", 1.0, "\x00"),
			crafted(`["CREATED_AT", 1e999, "` + id + `"]`),
		}},
		{"comms", `query($a: String) { activities(after: $a) { totalCount } }`, []string{
			page.Cursor(now, "\x00"),
			crafted(`["9999-12-31T23:59:59-23:59", "` + id + `"]`),
		}},
		{"comms", `query($a: String) { tasks(after: $a) { totalCount } }`, []string{
			page.Cursor("\x00"),
			page.Cursor(huge),
		}},
	}
	for _, l := range lists {
		for _, cur := range l.cursors {
			r := subgraphstest.Do(t, c.URLs[l.subgraph], token, l.query, map[string]any{"a": cur})
			if assert.NotEmpty(t, r.Errors, "%s %.80s", l.query, cur) {
				assert.Equal(t, "BAD_USER_INPUT", r.Code(), "%s %.80s: %+v", l.query, cur, r.Errors)
				assert.Equal(t, "after", r.Field(), "%s %.80s", l.query, cur)
			}
		}
	}
}
