package contact_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

func TestBadInputIsACodedErrorNamingTheField(t *testing.T) {
	t.Parallel()
	o := setup(t)
	m := o.manager()
	id := o.createContact(t, m, person("A", "B"))
	company := o.createCompany(t, m, map[string]any{"name": "C"})
	long := func(n int) string { return strings.Repeat("x", n) }
	createContact := `mutation($in: CreateContactInput!) { createContact(input: $in) { id } }`
	createCompany := `mutation($in: CreateCompanyInput!) { createCompany(input: $in) { id } }`
	updateContact := `mutation($id: ID!, $in: UpdateContactInput!) { updateContact(id: $id, input: $in) { id } }`
	var otherOrdering string
	{
		var out struct{ Contacts conn }
		o.data(t, o.viewer(), `{ contacts(first: 1, orderBy: {field: EMAIL}) { `+connFields+` } }`, nil, &out)
		otherOrdering = out.Contacts.Edges[0].Cursor
	}
	for _, c := range []struct {
		name, query string
		vars        map[string]any
		field       string
	}{
		{"an invalid e-mail", createContact, map[string]any{"in": person("A", "B", "email", "not-an-address")}, "input.email"},
		{"an address with a name", createContact, map[string]any{"in": person("A", "B", "email", "Ada <ada@example.com>")}, "input.email"},
		{"an empty first name", createContact, map[string]any{"in": person(" ", "B")}, "input.firstName"},
		{"a first name over 100", createContact, map[string]any{"in": person(long(101), "B")}, "input.firstName"},
		{"a last name over 100", updateContact, map[string]any{"id": id, "in": map[string]any{"lastName": long(101)}}, "input.lastName"},
		{"a job title over 100", createContact, map[string]any{"in": person("A", "B", "jobTitle", long(101))}, "input.jobTitle"},
		{"a phone over 50", createContact, map[string]any{"in": person("A", "B", "phone", long(51))}, "input.phone"},
		{"a source over 100", createContact, map[string]any{"in": person("A", "B", "source", long(101))}, "input.source"},
		{"a postal code over 20", createContact, map[string]any{"in": person("A", "B", "address", map[string]any{"postalCode": long(21)})}, "input.address.postalCode"},
		{"a city over 100", createCompany, map[string]any{"in": map[string]any{"name": "C", "address": map[string]any{"city": long(101)}}}, "input.address.city"},
		{"a company name over 255", createCompany, map[string]any{"in": map[string]any{"name": long(256)}}, "input.name"},
		{"a domain over 253", createCompany, map[string]any{"in": map[string]any{"name": "C", "domain": long(254)}}, "input.domain"},
		{"a size category over 50", createCompany, map[string]any{"in": map[string]any{"name": "C", "sizeCategory": long(51)}}, "input.sizeCategory"},
		{"a website over 255", createCompany, map[string]any{"in": map[string]any{"name": "C", "website": long(256)}}, "input.website"},
		{"control characters", createCompany, map[string]any{"in": map[string]any{"name": "C\x00D"}}, "input.name"},
		{"an owner that is no user id", createContact, map[string]any{"in": person("A", "B", "ownerId", "x'; --")}, "input.ownerId"},
		{"first above 100", `{ contacts(first: 101) { totalCount } }`, nil, "first"},
		{"first below 1", `{ companies(first: 0) { totalCount } }`, nil, "first"},
		{"nested first above 100", `query($id: ID!) { company(id: $id) { contacts(first: 500) { totalCount } } }`, map[string]any{"id": company}, "first"},
		{"a cursor not of ours", `{ contacts(after: "bm90IGEgY3Vyc29y") { totalCount } }`, nil, "after"},
		{"a forged cursor", `query($a: String) { contacts(after: $a) { totalCount } }`,
			map[string]any{"a": base64.RawURLEncoding.EncodeToString([]byte(`c1:["NAME","ASC","x"]`))}, "after"},
		{"a cursor of another ordering", `query($a: String) { contacts(after: $a) { totalCount } }`, map[string]any{"a": otherOrdering}, "after"},
		{"a cursor of another list's shape", `query($a: String) { companies(after: $a) { totalCount } }`,
			map[string]any{"a": page.Cursor("a", "b", "c")}, "after"},
		{"a long name filter", `query($n: String) { contacts(filter: {name: $n}) { totalCount } }`, map[string]any{"n": long(256)}, "filter.name"},
	} {
		r := o.do(t, m, c.query, c.vars)
		assert.Equal(t, "BAD_USER_INPUT", r.Code(), c.name)
		assert.Equal(t, c.field, r.Field(), c.name)
	}
}

func TestUnknownIDsAreNotFound(t *testing.T) {
	t.Parallel()
	o := setup(t)
	unknown := map[string]any{"id": tenancy.NewID()}
	for name, q := range map[string]string{
		"contact":         `query($id: ID!) { contact(id: $id) { id } }`,
		"company":         `query($id: ID!) { company(id: $id) { id } }`,
		"update contact":  `mutation($id: ID!) { updateContact(id: $id, input: {jobTitle: "x"}) { id } }`,
		"update company":  `mutation($id: ID!) { updateCompany(id: $id, input: {phone: "1"}) { id } }`,
		"delete contact":  `mutation($id: ID!) { deleteContact(id: $id) }`,
		"delete company":  `mutation($id: ID!) { deleteCompany(id: $id) }`,
		"find duplicates": `query($id: ID!) { findDuplicates(contactId: $id) { id } }`,
		"not even an id":  `{ contact(id: "'; DROP TABLE contacts; --") { id } }`,
	} {
		assert.Equal(t, "NOT_FOUND", o.do(t, o.manager(), q, unknown).Code(), name)
	}
}

// Another organisation's ids answer exactly as unknown ones do.
func TestAnotherOrganisationsRecordsDoNotExist(t *testing.T) {
	t.Parallel()
	o := setup(t)
	other := newOrg(t, o.c)
	theirCompany := other.createCompany(t, other.manager(), map[string]any{"name": "Theirs"})
	theirContact := other.createContact(t, other.manager(), person("Their", "Contact", "email", "their@example.com", "companyId", theirCompany))
	mine := o.createContact(t, o.manager(), person("My", "Contact"))

	for name, c := range map[string]struct {
		q  string
		id string
	}{
		"contact":         {`query($id: ID!) { contact(id: $id) { id } }`, theirContact},
		"company":         {`query($id: ID!) { company(id: $id) { id } }`, theirCompany},
		"update contact":  {`mutation($id: ID!) { updateContact(id: $id, input: {jobTitle: "x"}) { id } }`, theirContact},
		"delete company":  {`mutation($id: ID!) { deleteCompany(id: $id) }`, theirCompany},
		"merge":           {`mutation($id: ID!) { mergeContacts(input: {keepId: "` + mine + `", mergeId: $id}) { id } }`, theirContact},
		"find duplicates": {`query($id: ID!) { findDuplicates(contactId: $id) { id } }`, theirContact},
	} {
		assert.Equal(t, "NOT_FOUND", o.do(t, o.admin(), c.q, map[string]any{"id": c.id}).Code(), name)
	}
	r := o.do(t, o.admin(), `query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id } ... on Company { id } } }`,
		map[string]any{"r": []any{map[string]any{"__typename": "Contact", "id": theirContact}, map[string]any{"__typename": "Company", "id": theirCompany},
			map[string]any{"__typename": "Contact", "id": mine}}})
	var out struct {
		Entities []*node `json:"_entities"`
	}
	r.Decode(t, &out)
	assert.Nil(t, out.Entities[0], "entities of another organisation resolve to null")
	assert.Nil(t, out.Entities[1])
	assert.Equal(t, mine, out.Entities[2].ID)
	assert.Equal(t, "input.companyId", o.do(t, o.admin(), `mutation($c: ID!) { createContact(input: {firstName: "A", lastName: "B", companyId: $c}) { id } }`,
		map[string]any{"c": theirCompany}).Field())
	assert.Equal(t, []string{mine}, o.contacts(t, o.viewer(), nil))
	assert.Empty(t, o.search(t, "their"))
	o.createContact(t, o.manager(), person("Mine", "Too", "email", "their@example.com"))
	assert.Empty(t, o.companies(t, o.viewer(), nil), "and the same e-mail address is no conflict across organisations")
}
