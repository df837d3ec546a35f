package contact_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Keyset cursors hold the sort key and id of the last row, so rows inserted
// between pages neither repeat nor hide the rows that were already there.
func TestEveryOrderingPagesCorrectlyWhileRowsAreInserted(t *testing.T) {
	t.Parallel()
	o := setup(t)
	m := o.manager()
	type row struct{ id, first, last, email string }
	var rows []row
	for i, name := range []string{"Ng", "adams", "Baker", "baker", "Cole", "Diaz", "Evans", "Fox", "Gray", "Hale", "Ito", "Jones"} {
		first := fmt.Sprintf("P%02d", 11-i)
		email := fmt.Sprintf("%s%d@example.com", strings.ToLower(name), i%3)
		rows = append(rows, row{o.createContact(t, m, person(first, name, "email", email, "allowDuplicate", true)), first, name, email})
	}
	lower := strings.ToLower
	orders := map[string]func(a, b row) bool{
		"NAME": func(a, b row) bool {
			if lower(a.last) != lower(b.last) {
				return lower(a.last) < lower(b.last)
			}
			if lower(a.first) != lower(b.first) {
				return lower(a.first) < lower(b.first)
			}
			return a.id < b.id
		},
		"EMAIL": func(a, b row) bool {
			if a.email != b.email {
				return a.email < b.email
			}
			return a.id < b.id
		},
		"CREATED_AT": func(a, b row) bool { return a.id < b.id }, // ULIDs of one process grow with time
	}
	for field, less := range orders {
		for _, dir := range []string{"ASC", "DESC"} {
			t.Run(field+" "+dir, func(t *testing.T) {
				want := slices.Clone(rows)
				sort.SliceStable(want, func(i, j int) bool { return less(want[i], want[j]) })
				if dir == "DESC" {
					slices.Reverse(want)
				}
				wantIDs := make([]string, len(want))
				for i, r := range want {
					wantIDs[i] = r.id
				}
				var seen []string
				var after any
				for pageNo := 0; ; pageNo++ {
					var out struct{ Contacts conn }
					o.data(t, o.viewer(), `query($o: ContactOrder, $after: String) {
						contacts(orderBy: $o, first: 5, after: $after) { `+connFields+` } }`,
						map[string]any{"o": map[string]any{"field": field, "direction": dir}, "after": after}, &out)
					assert.Equal(t, pageNo > 0, out.Contacts.PageInfo.HasPreviousPage)
					seen = append(seen, out.Contacts.ids()...)
					if !out.Contacts.PageInfo.HasNextPage {
						break
					}
					after = out.Contacts.PageInfo.EndCursor
					// Between pages, others insert rows before and after the cursor.
					var wg sync.WaitGroup
					for _, last := range []string{"Aaron", "Zed", "Kim"} {
						wg.Add(1)
						go func() {
							defer wg.Done()
							o.createContact(t, m, person("Q", last, "email", lower(last)+"@example.com", "allowDuplicate", true))
						}()
					}
					wg.Wait()
				}
				var original []string
				for _, id := range seen {
					if slices.Contains(wantIDs, id) {
						original = append(original, id)
					}
				}
				assert.Equal(t, wantIDs, original, "every row that was there is seen once, in order")
				assert.Greater(t, len(seen), len(original), "rows inserted after the cursor show up too")
			})
		}
	}
}

func TestNestedContactsPageOnThroughTheirCursors(t *testing.T) {
	t.Parallel()
	o := setup(t)
	acme := o.createCompany(t, o.manager(), map[string]any{"name": "Acme"})
	var want []string
	for _, last := range []string{"E", "D", "C", "B", "A"} {
		o.createContact(t, o.rep(), person("X", last, "companyId", acme))
	}
	var out struct{ Contacts conn }
	o.data(t, o.viewer(), `query($c: ID!) { contacts(filter: {companyId: $c}) { `+connFields+` } }`, map[string]any{"c": acme}, &out)
	want = out.Contacts.ids()
	require.Len(t, want, 5)

	var got []string
	var after any
	for {
		var c struct {
			Company struct{ Contacts conn }
		}
		o.data(t, o.viewer(), `query($id: ID!, $after: String) { company(id: $id) { contacts(first: 2, after: $after) { `+connFields+` } } }`,
			map[string]any{"id": acme, "after": after}, &c)
		assert.Equal(t, 5, c.Company.Contacts.TotalCount)
		got = append(got, c.Company.Contacts.ids()...)
		if !c.Company.Contacts.PageInfo.HasNextPage {
			break
		}
		after = c.Company.Contacts.PageInfo.EndCursor
	}
	assert.Equal(t, want, got)

	// The page after the last row is empty, and still counts every row.
	var last struct{ Contacts conn }
	o.data(t, o.viewer(), `query($c: ID!, $after: String) { contacts(filter: {companyId: $c}, after: $after) { `+connFields+` } }`,
		map[string]any{"c": acme, "after": after}, &last)
	o.data(t, o.viewer(), `query($c: ID!, $after: String) { contacts(filter: {companyId: $c}, after: $after) { `+connFields+` } }`,
		map[string]any{"c": acme, "after": last.Contacts.Edges[len(last.Contacts.Edges)-1].Cursor}, &last)
	assert.Empty(t, last.Contacts.Edges)
	assert.Equal(t, 5, last.Contacts.TotalCount)

	var u struct {
		Entities []struct{ OwnedContacts conn } `json:"_entities"`
	}
	o.data(t, o.viewer(), `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { ownedContacts(first: 3) { `+connFields+` } } } }`,
		map[string]any{"r": []any{map[string]any{"__typename": "User", "id": o.rep().id}, map[string]any{"__typename": "User", "id": o.viewer().id}}}, &u)
	require.Len(t, u.Entities, 2)
	assert.Equal(t, want[:3], u.Entities[0].OwnedContacts.ids(), "a user's contacts, by name")
	assert.Equal(t, 5, u.Entities[0].OwnedContacts.TotalCount)
	assert.True(t, u.Entities[0].OwnedContacts.PageInfo.HasNextPage)
	assert.Empty(t, u.Entities[1].OwnedContacts.Edges)
}
