package contact_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

const (
	upsertCompany = `mutation($in: UpsertCompanyInput!) { upsertCompany(input: $in) { created company { id name externalId industry } } }`
	upsertContact = `mutation($in: UpsertContactInput!) { upsertContact(input: $in) { created contact { id firstName email externalId } } }`
	upsertMany    = `mutation($in: [UpsertContactInput!]!) { upsertContacts(inputs: $in) { results {
		index created contact { id firstName externalId } error { code message field } } } }`
	upsertCompanies = `mutation($in: [UpsertCompanyInput!]!) { upsertCompanies(inputs: $in) { results {
		index created company { id name } error { code message field } } } }`
)

type companyUpsert struct {
	UpsertCompany struct {
		Created bool
		Company struct{ ID, Name, ExternalID, Industry string }
	}
}

type contactUpsert struct {
	UpsertContact struct {
		Created bool
		Contact struct{ ID, FirstName, Email, ExternalID string }
	}
}

type batchResults struct {
	UpsertContacts struct {
		Results []struct {
			Index   int
			Created bool
			Contact *struct{ ID, FirstName, ExternalID string }
			Error   *struct{ Code, Message, Field string }
		}
	}
}

// The first upsert of an external id creates the company, the next changes
// it: one record, company.created then company.updated naming what changed.
func TestUpsertCompanyCreatesThenUpdates(t *testing.T) {
	t.Parallel()
	o := setup(t)
	var first, second companyUpsert
	o.data(t, o.rep(), upsertCompany, map[string]any{"in": map[string]any{"externalId": "  erp-1 ", "name": "Acme"}}, &first)
	assert.True(t, first.UpsertCompany.Created)
	assert.Equal(t, "erp-1", first.UpsertCompany.Company.ExternalID, "the external id is trimmed")
	o.data(t, o.rep(), upsertCompany, map[string]any{"in": map[string]any{"externalId": "erp-1", "industry": "Steel"}}, &second)
	assert.False(t, second.UpsertCompany.Created)
	assert.Equal(t, first.UpsertCompany.Company.ID, second.UpsertCompany.Company.ID)
	assert.Equal(t, "Acme", second.UpsertCompany.Company.Name, "fields left out stay")
	assert.Equal(t, "Steel", second.UpsertCompany.Company.Industry)
	require.Len(t, o.events(t, "company.created"), 1)
	updated := o.events(t, "company.updated")
	require.Len(t, updated, 1)
	assert.Equal(t, []any{"industry"}, updated[0]["changed"])

	r := o.do(t, o.rep(), upsertCompany, map[string]any{"in": map[string]any{"externalId": "erp-2"}})
	assert.Equal(t, "BAD_USER_INPUT", r.Code(), "creating needs a name")
	assert.Equal(t, "input.name", r.Field())
	r = o.do(t, o.rep(), upsertCompany, map[string]any{"in": map[string]any{"externalId": "  ", "name": "X"}})
	assert.Equal(t, "input.externalId", r.Field())
	r = o.do(t, o.viewer(), upsertCompany, map[string]any{"in": map[string]any{"externalId": "erp-1", "name": "X"}})
	assert.Equal(t, "FORBIDDEN", r.Code())
}

// A sales rep's upsert of a company another user created is FORBIDDEN and
// changes nothing; a manager's changes it.
func TestUpsertOfARecordTheCallerMayNotChangeIsForbidden(t *testing.T) {
	t.Parallel()
	o := setup(t)
	o.createCompany(t, o.manager(), map[string]any{"name": "Theirs", "externalId": "erp-9"})
	r := o.do(t, o.rep(), upsertCompany, map[string]any{"in": map[string]any{"externalId": "erp-9", "name": "Mine"}})
	assert.Equal(t, "FORBIDDEN", r.Code())
	var out companyUpsert
	o.data(t, o.manager(), upsertCompany, map[string]any{"in": map[string]any{"externalId": "erp-9", "name": "Ours"}}, &out)
	assert.False(t, out.UpsertCompany.Created)
	assert.Equal(t, "Ours", out.UpsertCompany.Company.Name)
}

// 20 concurrent upserts of one external id make one contact; exactly one of
// them says it created it.
func TestConcurrentUpsertsOfOneExternalIDMakeOneRecord(t *testing.T) {
	t.Parallel()
	o := setup(t)
	const n = 20
	created := make([]bool, n)
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out contactUpsert
			o.data(t, o.rep(), upsertContact, map[string]any{"in": person("Ada", fmt.Sprint("Try", i), "externalId", "crm-42")}, &out)
			created[i], ids[i] = out.UpsertContact.Created, out.UpsertContact.Contact.ID
		}()
	}
	wg.Wait()
	creators := 0
	for i := range n {
		if created[i] {
			creators++
		}
		assert.Equal(t, ids[0], ids[i], "every upsert answers the one contact")
	}
	assert.Equal(t, 1, creators)
	assert.Len(t, o.contacts(t, o.rep(), map[string]any{"externalId": "crm-42"}), 1)
	assert.Len(t, o.events(t, "contact.created"), 1)
}

// Matching by EMAIL finds the contact with the address (ignoring case) and
// gives it the external id; without an address it is BAD_USER_INPUT.
func TestUpsertContactByEmail(t *testing.T) {
	t.Parallel()
	o := setup(t)
	id := o.createContact(t, o.rep(), person("Grace", "Hopper", "email", "grace@navy.example"))
	var out contactUpsert
	o.data(t, o.rep(), upsertContact, map[string]any{"in": map[string]any{
		"matchBy": "EMAIL", "email": "GRACE@navy.example", "externalId": "mk-7", "firstName": "Amazing Grace"}}, &out)
	assert.False(t, out.UpsertContact.Created)
	assert.Equal(t, id, out.UpsertContact.Contact.ID)
	assert.Equal(t, "mk-7", out.UpsertContact.Contact.ExternalID)
	assert.Equal(t, "Amazing Grace", out.UpsertContact.Contact.FirstName)
	o.data(t, o.rep(), upsertContact, map[string]any{"in": map[string]any{
		"matchBy": "EMAIL", "email": "new@navy.example", "firstName": "New", "lastName": "One"}}, &out)
	assert.True(t, out.UpsertContact.Created)
	r := o.do(t, o.rep(), upsertContact, map[string]any{"in": map[string]any{"matchBy": "EMAIL", "firstName": "X"}})
	assert.Equal(t, "input.email", r.Field())
	r = o.do(t, o.rep(), upsertContact, map[string]any{"in": person("No", "Id")})
	assert.Equal(t, "input.externalId", r.Field(), "matching by external id needs one")
}

// Another organisation's external ids neither collide nor show.
func TestExternalIDsAreTheOrganisations(t *testing.T) {
	t.Parallel()
	o := setup(t)
	other := newOrg(t, o.c)
	var mine, theirs contactUpsert
	o.data(t, o.rep(), upsertContact, map[string]any{"in": person("A", "Mine", "externalId", "x-1")}, &mine)
	other.data(t, other.rep(), upsertContact, map[string]any{"in": person("B", "Theirs", "externalId", "x-1")}, &theirs)
	assert.True(t, mine.UpsertContact.Created)
	assert.True(t, theirs.UpsertContact.Created, "the same external id in another organisation is another contact")
	assert.NotEqual(t, mine.UpsertContact.Contact.ID, theirs.UpsertContact.Contact.ID)
	assert.Equal(t, []string{mine.UpsertContact.Contact.ID}, o.contacts(t, o.admin(), map[string]any{"externalId": "x-1"}))
	assert.Equal(t, []string{theirs.UpsertContact.Contact.ID}, other.contacts(t, other.admin(), map[string]any{"externalId": "x-1"}))
}

// Create and update set external ids too; one another record has is a
// CONFLICT on input.externalId, and filters find records by it exactly.
func TestExternalIDsOnCreateUpdateAndFilters(t *testing.T) {
	t.Parallel()
	o := setup(t)
	a := o.createCompany(t, o.rep(), map[string]any{"name": "A", "externalId": "c-1"})
	b := o.createCompany(t, o.rep(), map[string]any{"name": "B"})
	assert.Equal(t, []string{a}, o.companies(t, o.rep(), map[string]any{"externalId": "c-1"}))
	assert.Empty(t, o.companies(t, o.rep(), map[string]any{"externalId": "C-1"}), "external ids are exact")
	r := o.do(t, o.rep(), `mutation($id: ID!) { updateCompany(id: $id, input: {externalId: "c-1"}) { id } }`, map[string]any{"id": b})
	assert.Equal(t, "CONFLICT", r.Code())
	assert.Equal(t, "input.externalId", r.Field())
	o.do(t, o.rep(), `mutation($id: ID!) { updateCompany(id: $id, input: {externalId: "c-2"}) { id } }`, map[string]any{"id": b}).Decode(t, &struct{}{})
	assert.Equal(t, []string{b}, o.companies(t, o.rep(), map[string]any{"externalId": "c-2"}))

	c := o.createContact(t, o.rep(), person("C", "One", "externalId", "p-1"))
	r = o.do(t, o.rep(), `mutation { createContact(input: {firstName: "D", lastName: "Two", externalId: "p-1"}) { id } }`, nil)
	assert.Equal(t, "CONFLICT", r.Code())
	assert.Equal(t, "input.externalId", r.Field())
	assert.Equal(t, []string{c}, o.contacts(t, o.rep(), map[string]any{"externalId": "p-1"}))
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'x'
	}
	r = o.do(t, o.rep(), `mutation($x: String) { createContact(input: {firstName: "E", lastName: "Three", externalId: $x}) { id } }`, map[string]any{"x": string(long)})
	assert.Equal(t, "input.externalId", r.Field())
}

// A batch answers a result per input in input order; an item's error
// (named with its index) undoes no other item.
func TestBatchUpsertReportsErrorsPerItem(t *testing.T) {
	t.Parallel()
	o := setup(t)
	o.createContact(t, o.manager(), person("Not", "Yours", "externalId", "b-3"))
	var out batchResults
	o.data(t, o.rep(), upsertMany, map[string]any{"in": []any{
		person("Ann", "One", "externalId", "b-0"),
		map[string]any{"externalId": "b-1"}, // no names to create it with
		person("Cid", "Three", "externalId", "b-2", "ownerId", o.manager().id),
		person("Dan", "Four", "externalId", "b-3"),
		person("Eve", "Five", "externalId", "b-4"),
	}}, &out)
	res := out.UpsertContacts.Results
	require.Len(t, res, 5)
	for i, r := range res {
		assert.Equal(t, i, r.Index)
	}
	assert.True(t, res[0].Created)
	require.NotNil(t, res[0].Contact)
	assert.Equal(t, "b-0", res[0].Contact.ExternalID)
	require.NotNil(t, res[1].Error)
	assert.Equal(t, "BAD_USER_INPUT", res[1].Error.Code)
	assert.Equal(t, "inputs[1].firstName", res[1].Error.Field)
	assert.Nil(t, res[1].Contact)
	require.NotNil(t, res[2].Error)
	assert.Equal(t, "FORBIDDEN", res[2].Error.Code, "a sales rep may not give contacts to others")
	require.NotNil(t, res[3].Error)
	assert.Equal(t, "FORBIDDEN", res[3].Error.Code, "a contact the rep does not own")
	assert.True(t, res[4].Created)
	assert.Len(t, o.contacts(t, o.admin(), map[string]any{"externalId": "b-4"}), 1, "items after a failed one are written")
	assert.Empty(t, o.contacts(t, o.admin(), map[string]any{"externalId": "b-1"}))

	var again batchResults
	o.data(t, o.rep(), upsertMany, map[string]any{"in": []any{person("Ann", "Uno", "externalId", "b-0")}}, &again)
	require.Len(t, again.UpsertContacts.Results, 1)
	assert.False(t, again.UpsertContacts.Results[0].Created)
	assert.Equal(t, res[0].Contact.ID, again.UpsertContacts.Results[0].Contact.ID)
	assert.Len(t, o.events(t, "contact.created"), 3)
	assert.Len(t, o.events(t, "contact.updated"), 1)
}

// An owner of the batch that is no user of the organisation fails its
// items only (NOT_FOUND on inputs[i].ownerId).
func TestBatchUpsertChecksOwners(t *testing.T) {
	t.Parallel()
	o := setup(t)
	stranger := newOrg(t, o.c).rep().id
	var out batchResults
	o.data(t, o.manager(), upsertMany, map[string]any{"in": []any{
		person("A", "One", "externalId", "o-0", "ownerId", o.rep().id),
		person("B", "Two", "externalId", "o-1", "ownerId", stranger),
		person("C", "Three", "externalId", "o-2", "ownerId", stranger),
	}}, &out)
	res := out.UpsertContacts.Results
	require.Len(t, res, 3)
	assert.Nil(t, res[0].Error)
	for _, i := range []int{1, 2} {
		require.NotNil(t, res[i].Error)
		assert.Equal(t, "NOT_FOUND", res[i].Error.Code)
		assert.Equal(t, fmt.Sprintf("inputs[%d].ownerId", i), res[i].Error.Field)
	}
}

// An external id twice in a batch, or more than 100 inputs, is a
// BAD_USER_INPUT of the whole call: nothing is written.
func TestBatchUpsertRefusesDuplicatesAndTooManyItems(t *testing.T) {
	t.Parallel()
	o := setup(t)
	in := []any{
		map[string]any{"externalId": "d-0", "name": "Zero"},
		map[string]any{"externalId": "d-1", "name": "One"},
		map[string]any{"externalId": "d-2", "name": "Two"},
		map[string]any{"externalId": " d-1", "name": "One again"},
	}
	r := o.do(t, o.rep(), upsertCompanies, map[string]any{"in": in})
	assert.Equal(t, "BAD_USER_INPUT", r.Code())
	assert.Equal(t, "inputs[3].externalId", r.Field())
	assert.Empty(t, o.companies(t, o.rep(), map[string]any{"externalId": "d-0"}))

	many := make([]any, 101)
	for i := range many {
		many[i] = map[string]any{"externalId": fmt.Sprint("m-", i), "name": "M"}
	}
	r = o.do(t, o.rep(), upsertCompanies, map[string]any{"in": many})
	assert.Equal(t, "BAD_USER_INPUT", r.Code())
	assert.Equal(t, "inputs", r.Field())

	r = o.do(t, o.rep(), upsertMany, map[string]any{"in": []any{
		map[string]any{"matchBy": "EMAIL", "email": "a@b.example", "firstName": "A", "lastName": "B"},
		map[string]any{"matchBy": "EMAIL", "email": "A@b.example", "firstName": "A", "lastName": "B"},
	}})
	assert.Equal(t, "inputs[1].email", r.Field())
}

// A batch costs the same statements per item whatever its size (each item
// is a transaction of its own); the counts are pinned.
func TestBatchUpsertStatements(t *testing.T) {
	t.Parallel()
	o := setup(t)
	url, count := countedServer(t, o.c)
	batch := func(prefix string, n int) int64 {
		in := make([]any, n)
		for i := range in {
			in[i] = map[string]any{"externalId": fmt.Sprint(prefix, i), "name": "Co"}
		}
		return count(func() {
			var out struct {
				UpsertCompanies struct{ Results []struct{ Created bool } }
			}
			subgraphstest.Do(t, url, o.rep().token, upsertCompanies, map[string]any{"in": in}).Decode(t, &out)
			require.Len(t, out.UpsertCompanies.Results, n)
		})
	}
	one, ten := batch("s-", 1), batch("t-", 10)
	t.Logf("an upsert creating a company: %d statements", one)
	assert.Equal(t, 10*one, ten, "each item costs the same")
	assert.Equal(t, int64(6), one, "an item that creates a company costs 6 statements")
	assert.Equal(t, int64(50), batch("t-", 10), "an item that changes one costs 5")
}
