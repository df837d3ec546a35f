package contact_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/opencrm/opencrm/pkg/tenancy"
)

// Ids a contact or company write sets name records of the caller's
// organisation or are NOT_FOUND naming their field, as an attacker would
// try them: random ids and another organisation's ids, on create and
// update. Owners are the identity subgraph's users (asked through pkg/refs);
// companies are this subgraph's own (checked in the transaction). Nothing is
// written.
func TestReferencesNameRecordsOfTheOrganisationOrAreNotFound(t *testing.T) {
	t.Parallel()
	o := setup(t)
	other := newOrg(t, o.c)
	theirCompany := other.createCompany(t, other.manager(), map[string]any{"name": "Theirs"})
	theirUser := other.rep().id
	mine := o.createContact(t, o.manager(), person("My", "Contact"))
	myCompany := o.createCompany(t, o.manager(), map[string]any{"name": "Mine"})

	createContact := `mutation($in: CreateContactInput!) { createContact(input: $in) { id } }`
	updateContact := `mutation($id: ID!, $in: UpdateContactInput!) { updateContact(id: $id, input: $in) { id } }`
	createCompany := `mutation($in: CreateCompanyInput!) { createCompany(input: $in) { id } }`
	updateCompany := `mutation($id: ID!, $in: UpdateCompanyInput!) { updateCompany(id: $id, input: $in) { id } }`
	for _, tc := range []struct{ key, field, id string }{
		{"companyId", "input.companyId", tenancy.NewID()},
		{"companyId", "input.companyId", theirCompany},
		{"companyId", "input.companyId", mine}, // a contact is no company
		{"ownerId", "input.ownerId", tenancy.NewID()},
		{"ownerId", "input.ownerId", theirUser},
	} {
		r := o.do(t, o.manager(), createContact, map[string]any{"in": person("A", "B", tc.key, tc.id)})
		assert.Equal(t, "NOT_FOUND", r.Code(), "createContact %s %s: %+v", tc.key, tc.id, r.Errors)
		assert.Equal(t, tc.field, r.Field(), "createContact %s", tc.key)
		r = o.do(t, o.manager(), updateContact, map[string]any{"id": mine, "in": map[string]any{tc.key: tc.id}})
		assert.Equal(t, "NOT_FOUND", r.Code(), "updateContact %s %s: %+v", tc.key, tc.id, r.Errors)
		assert.Equal(t, tc.field, r.Field(), "updateContact %s", tc.key)
	}
	for _, id := range []string{tenancy.NewID(), theirCompany} {
		r := o.do(t, o.manager(), createCompany, map[string]any{"in": map[string]any{"name": "X", "parentCompanyId": id}})
		assert.Equal(t, "NOT_FOUND", r.Code(), "createCompany parent %s", id)
		assert.Equal(t, "input.parentCompanyId", r.Field())
		r = o.do(t, o.manager(), updateCompany, map[string]any{"id": myCompany, "in": map[string]any{"parentCompanyId": id}})
		assert.Equal(t, "NOT_FOUND", r.Code(), "updateCompany parent %s", id)
		assert.Equal(t, "input.parentCompanyId", r.Field())
	}
	assert.Equal(t, []string{mine}, o.contacts(t, o.viewer(), nil), "nothing was written")
	assert.Len(t, o.companies(t, o.viewer(), nil), 1)

	// A sales rep naming another owner is refused before anything is asked.
	r := o.do(t, o.rep(), createContact, map[string]any{"in": person("A", "B", "ownerId", tenancy.NewID())})
	assert.Equal(t, "FORBIDDEN", r.Code())
	// Real ids are fine.
	var out struct {
		UpdateContact struct{ Owner struct{ ID string } }
	}
	o.data(t, o.manager(), `mutation($id: ID!, $in: UpdateContactInput!) { updateContact(id: $id, input: $in) { owner { id } } }`,
		map[string]any{"id": mine, "in": map[string]any{"ownerId": o.rep().id, "companyId": myCompany}}, &out)
	assert.Equal(t, o.rep().id, out.UpdateContact.Owner.ID)
	o.createContact(t, o.manager(), person("C", "D", "ownerId", o.admin().id, "companyId", myCompany))
}
