package contact

import (
	"cmp"
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/customfields"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/contact/store"
)

// Lists are the ListCompanies and ListContacts queries: every filter is an
// optional parameter, the ordering a parameter its sort keys are chosen by.

// OrderDirection is the direction of a list's order.
type OrderDirection string

// The directions.
const (
	Asc  OrderDirection = "asc"
	Desc OrderDirection = "desc"
)

// CompanyOrderField is what companies are ordered by.
type CompanyOrderField string

// The company orderings.
const (
	CompaniesByName      CompanyOrderField = "name"
	CompaniesByCreatedAt CompanyOrderField = "created_at"
	CompaniesByUpdatedAt CompanyOrderField = "updated_at"
)

// CompanyOrder orders a list of companies; nil is by name.
type CompanyOrder struct {
	Field     CompanyOrderField
	Direction *OrderDirection
}

// ContactOrderField is what contacts are ordered by.
type ContactOrderField string

// The contact orderings.
const (
	ContactsByName      ContactOrderField = "name" // last name, then first name
	ContactsByEmail     ContactOrderField = "email"
	ContactsByCreatedAt ContactOrderField = "created_at"
	ContactsByUpdatedAt ContactOrderField = "updated_at"
)

// ContactOrder orders a list of contacts; nil is by name.
type ContactOrder struct {
	Field     ContactOrderField
	Direction *OrderDirection
}

// order is a list's ordering: a sort key and a direction.
type order struct {
	field string
	dir   *OrderDirection
}

func (o *CompanyOrder) key() order {
	if o == nil {
		return order{field: string(CompaniesByName)}
	}
	return order{string(o.Field), o.Direction}
}

func (o *ContactOrder) key() order {
	if o == nil {
		return order{field: string(ContactsByName)}
	}
	return order{string(o.Field), o.Direction}
}

// CustomFieldMatch asks for a custom field with a value: the string Value,
// or the number, boolean or null whose JSON text Value is.
type CustomFieldMatch struct {
	Key, Value string
}

// CompanyFilter narrows a list of companies; every condition set must hold.
type CompanyFilter struct {
	Name, Domain, Industry, SizeCategory, ParentCompanyID, CreatedBy *string
	ExternalID                                                       *string
	CreatedAfter, CreatedBefore                                      *time.Time
	CustomFields                                                     []CustomFieldMatch
	HasCustomFields                                                  []string
}

// ContactFilter narrows a list of contacts; every condition set must hold.
type ContactFilter struct {
	Name, Email, ExternalID     *string
	Status                      *ContactStatus
	Source, OwnerID, CompanyID  *string
	Industry                    *string
	CreatedAfter, CreatedBefore *time.Time
	CustomFields                []CustomFieldMatch
	HasCustomFields             []string
}

// fieldsFilter is a custom field filter as the list queries take it: the
// string values to contain, the values that may be stored as JSON or as
// their text, the keys that must be present.
type fieldsFilter struct {
	contains, either []byte
	present          []string
}

func customFieldsFilter(ms []CustomFieldMatch, present []string) (fieldsFilter, error) {
	contains, either := map[string]any{}, map[string]any{}
	present = append([]string{}, present...) // never NULL, never the caller's array
	for _, m := range ms {
		present = append(present, m.Key)
		var scalar any
		if json.Unmarshal([]byte(m.Value), &scalar) == nil {
			switch scalar.(type) {
			case float64, bool, nil:
				either[m.Key] = scalar
				continue
			}
		}
		contains[m.Key] = m.Value
	}
	for _, k := range present {
		if k == "" || utf8.RuneCountInString(k) > customfields.MaxKey {
			return fieldsFilter{}, apperr.Field("filter.customFields", "custom field keys have 1 to %d characters", customfields.MaxKey)
		}
	}
	c, _ := json.Marshal(contains)
	e, _ := json.Marshal(either)
	return fieldsFilter{contains: c, either: e, present: present}, nil
}

// contains is the LIKE pattern of a part of a name, ignoring case (a
// trigram index serves it).
func contains(field string, v *string) (*string, error) {
	if v == nil {
		return nil, nil
	}
	if utf8.RuneCountInString(*v) > 255 {
		return nil, apperr.Field(field, "%s is longer than 255 characters", field)
	}
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(strings.TrimSpace(*v)))
	p := "%" + esc + "%"
	return &p, nil
}

// keyset is where a page starts: after the row whose sort keys and id a
// cursor holds. Cursors name their ordering, so one of another ordering is
// refused instead of silently starting elsewhere.
type keyset struct {
	sort string
	desc bool
	k1   string
	k2   string
	k3   time.Time
	id   *string
}

func startAfter(after *string, sort string, dir *OrderDirection) (keyset, error) {
	ks := keyset{sort: sort, desc: dir != nil && *dir == Desc}
	var field, d, id string
	ok, err := page.Decode(after, &field, &d, &ks.k1, &ks.k2, &ks.k3, &id)
	if err != nil || !ok {
		return ks, err
	}
	if field != ks.sort || d != ks.dirName() {
		return ks, apperr.Field("after", "the cursor belongs to a list ordered by %s %s, not %s %s", field, d, ks.sort, ks.dirName())
	}
	ks.id = &id
	return ks, nil
}

func (ks keyset) dirName() string {
	if ks.desc {
		return string(Desc)
	}
	return string(Asc)
}

func (ks keyset) cursor(k1, k2 string, k3 time.Time, id string) string {
	return page.Cursor(ks.sort, ks.dirName(), k1, k2, k3, id)
}

// listed is a row of a list with its sort keys.
type listed[T any] struct {
	item       T
	id, k1, k2 string
	k3         time.Time
	total      int64 // of the rows of the filter, when asked for
}

// connection turns the rows of a list query (size+1 at most) into a page's
// edges and pageInfo.
func connection[T, E any](rows []listed[T], ks keyset, size int, after *string, edge func(string, T) E) ([]E, *page.Info) {
	rows, next := page.Trim(rows, size)
	edges, cursors := make([]E, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		cursors[i] = ks.cursor(r.k1, r.k2, r.k3, r.id)
		edges[i] = edge(cursors[i], r.item)
	}
	return edges, page.NewInfo(cursors, next, after)
}

func companyEdge(cursor string, c Company) CompanyEdge { return CompanyEdge{Cursor: cursor, Node: c} }

func contactEdge(cursor string, c Contact) ContactEdge { return ContactEdge{Cursor: cursor, Node: c} }

// listArgs are the checked arguments of a list, ready before any
// transaction begins.
type listArgs struct {
	size      int
	ks        keyset
	name      *string
	cf        fieldsFilter
	wantTotal bool
}

func prepare(ctx context.Context, first *int, after *string, wantTotal bool, o order, name *string, ms []CustomFieldMatch, present []string) (a listArgs, err error) {
	a.wantTotal = wantTotal
	if _, err := auth.Require(ctx, auth.ReadCRM); err != nil { // before the arguments, as everywhere
		return a, err
	}
	if a.size, err = page.Size(first); err != nil {
		return a, err
	}
	if a.ks, err = startAfter(after, o.field, o.dir); err != nil {
		return a, err
	}
	if a.name, err = contains("filter.name", name); err != nil {
		return a, err
	}
	a.cf, err = customFieldsFilter(ms, present)
	return a, err
}

// list is one page of a list: the query of a page after a keyset, what a
// row of it holds, and the edge of an item.
type list[R, T, E any] struct {
	query func(q *store.Queries, ks keyset, maxRows int32) ([]R, error)
	row   func(R) listed[T]
	edge  func(string, T) E
}

// page runs the query of a page. Its rows carry the count of the filter
// when wantTotal; an empty page after a cursor has no row to carry it, so
// the query runs again from the start for it.
func (l list[R, T, E]) page(ctx context.Context, s *Service, a listArgs, after *string) (edges []E, info *page.Info, total int, err error) {
	var rows, first []listed[T]
	err = s.queries().Read(ctx, auth.ReadCRM, func(q *store.Queries) error {
		r, err := l.query(q, a.ks, int32(a.size+1))
		if rows = mapRows(r, l.row); err == nil && len(rows) == 0 && a.wantTotal && a.ks.id != nil {
			r, err = l.query(q, keyset{sort: a.ks.sort, desc: a.ks.desc}, 1)
			first = mapRows(r, l.row)
		}
		return err
	})
	if all := append(rows, first...); len(all) > 0 {
		total = int(all[0].total)
	}
	edges, info = connection(rows, a.ks, a.size, after, l.edge)
	return edges, info, total, err
}

// ListCompanies returns a page of the organisation's companies; it counts
// them all if wantTotal.
func (s *Service) ListCompanies(ctx context.Context, f *CompanyFilter, o *CompanyOrder, first *int, after *string, wantTotal bool) (c CompanyConnection, err error) {
	f = cmp.Or(f, &CompanyFilter{})
	a, err := prepare(ctx, first, after, wantTotal, o.key(), f.Name, f.CustomFields, f.HasCustomFields)
	if err != nil {
		return c, err
	}
	c.Edges, c.PageInfo, c.TotalCount, err = list[store.ListCompaniesRow, Company, CompanyEdge]{
		query: func(q *store.Queries, ks keyset, maxRows int32) ([]store.ListCompaniesRow, error) {
			return q.ListCompanies(ctx, store.ListCompaniesParams{WantTotal: wantTotal, Sort: ks.sort, Descending: ks.desc,
				AfterID: ks.id, AfterK1: ks.k1, AfterK2: ks.k2, AfterK3: ks.k3, MaxRows: maxRows,
				Name: a.name, Domain: f.Domain, Industry: f.Industry, SizeCategory: f.SizeCategory, ParentCompanyID: f.ParentCompanyID,
				CreatedBy: f.CreatedBy, ExternalID: f.ExternalID, CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore,
				Contains: a.cf.contains, Present: a.cf.present, Either: a.cf.either})
		},
		row: func(r store.ListCompaniesRow) listed[Company] {
			return listed[Company]{companyOf(r.Company), r.Company.ID, r.K1, r.K2, r.K3, r.Total}
		},
		edge: companyEdge,
	}.page(ctx, s, a, after)
	return c, err
}

// ListContacts returns a page of the organisation's contacts; it counts
// them all if wantTotal.
func (s *Service) ListContacts(ctx context.Context, f *ContactFilter, o *ContactOrder, first *int, after *string, wantTotal bool) (c ContactConnection, err error) {
	f = cmp.Or(f, &ContactFilter{})
	a, err := prepare(ctx, first, after, wantTotal, o.key(), f.Name, f.CustomFields, f.HasCustomFields)
	if err != nil {
		return c, err
	}
	c.Edges, c.PageInfo, c.TotalCount, err = list[store.ListContactsRow, Contact, ContactEdge]{
		query: func(q *store.Queries, ks keyset, maxRows int32) ([]store.ListContactsRow, error) {
			return q.ListContacts(ctx, store.ListContactsParams{WantTotal: wantTotal, Sort: ks.sort, Descending: ks.desc,
				AfterID: ks.id, AfterK1: ks.k1, AfterK2: ks.k2, AfterK3: ks.k3, MaxRows: maxRows,
				Name: a.name, Email: f.Email, ExternalID: f.ExternalID, Status: (*string)(f.Status), Source: f.Source, OwnerID: f.OwnerID,
				CompanyID: f.CompanyID, Industry: f.Industry, CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore,
				Contains: a.cf.contains, Present: a.cf.present, Either: a.cf.either})
		},
		row: func(r store.ListContactsRow) listed[Contact] {
			return listed[Contact]{contactOf(r.Contact), r.Contact.ID, r.K1, r.K2, r.K3, r.Total}
		},
		edge: contactEdge,
	}.page(ctx, s, a, after)
	return c, err
}

// FirstContacts returns the first page (by name) of the contacts of each
// company (of each owner, with byOwner), for all of them in one statement;
// their cursors page on through ListContacts.
func (s *Service) FirstContacts(ctx context.Context, byOwner bool, ids []string, size int) (map[string]*ContactConnection, error) {
	rows, err := tenancy.Get(ctx, s.queries(), auth.ReadCRM, func(q *store.Queries) ([]store.FirstContactsRow, error) {
		return q.FirstContacts(ctx, store.FirstContactsParams{ByOwner: byOwner, Ids: ids, MaxRows: int64(size + 1)})
	})
	groups := map[string][]listed[Contact]{}
	for _, r := range rows {
		groups[r.Grp] = append(groups[r.Grp], listed[Contact]{contactOf(r.Contact), r.Contact.ID, r.K1, r.K2, epoch, r.Total})
	}
	ks := keyset{sort: string(ContactsByName)}
	out := make(map[string]*ContactConnection, len(groups))
	for id, g := range groups {
		c := &ContactConnection{TotalCount: int(g[0].total)}
		c.Edges, c.PageInfo = connection(g, ks, size, nil, contactEdge)
		out[id] = c
	}
	return out, err
}

// epoch is the sort key k3 of orderings by text: ListContacts's constant.
var epoch = time.Unix(0, 0).UTC()
