package deal_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// Company and contact ids a deal write sets are checked with the contact
// subgraph: ids of nothing, and ids of another organisation, are NOT_FOUND
// naming the field, and nothing is written.
func TestDealsReferOnlyToCompaniesAndContactsOfTheOrganisation(t *testing.T) {
	t.Parallel()
	o := setup(t)
	other := signUp(t, o.c)
	rep := o.as(t, auth.RoleSalesRep)
	company, contact := o.company(t), o.contact(t)
	theirCompany, theirContact := other.company(t), other.contact(t)

	create := `mutation($in: CreateDealInput!) { createDeal(input: $in) { id } }`
	update := `mutation($id: ID!, $in: UpdateDealInput!) { updateDeal(id: $id, input: $in) { company { id } primaryContact { id } } }`
	add := `mutation($id: ID!, $c: ID!) { addDealContact(input: {dealId: $id, contactId: $c, role: CHAMPION}) { contacts { contact { id } } } }`
	notFound := func(name, field string, r subgraphstest.Response) {
		t.Helper()
		assert.Equal(t, "NOT_FOUND", r.Code(), name)
		assert.Equal(t, field, r.Field(), name)
	}

	for _, tc := range []struct{ name, field, id, key string }{
		{"unknown company", "input.companyId", tenancy.NewID(), "companyId"},
		{"another organisation's company", "input.companyId", theirCompany, "companyId"},
		{"unknown primary contact", "input.primaryContactId", tenancy.NewID(), "primaryContactId"},
		{"another organisation's primary contact", "input.primaryContactId", theirContact, "primaryContactId"},
		{"a contact's id as the company", "input.companyId", contact, "companyId"},
	} {
		r := o.do(t, rep.token, create, map[string]any{"in": map[string]any{"title": "T", tc.key: tc.id}})
		notFound("create: "+tc.name, tc.field, r)
		assert.Equal(t, "no "+map[bool]string{true: "company", false: "contact"}[tc.key == "companyId"]+
			" with this id in your organisation", r.Errors[0].Message, tc.name)
	}
	r := o.do(t, rep.token, create, map[string]any{"in": map[string]any{"title": "T", "companyId": company, "primaryContactId": tenancy.NewID()}})
	notFound("a real company, an unknown contact", "input.primaryContactId", r)
	var list struct{ Deals struct{ TotalCount int } }
	o.do(t, rep.token, `{ deals { totalCount } }`, nil).Decode(t, &list)
	assert.Zero(t, list.Deals.TotalCount, "no deal was written")

	// Real ids: the deal is created, changed and given contacts.
	d := o.create(t, rep.token, map[string]any{"companyId": company, "primaryContactId": contact})
	require.NotNil(t, d.Company)
	assert.Equal(t, company, d.Company.ID)
	require.NotNil(t, d.PrimaryContact)
	assert.Equal(t, contact, d.PrimaryContact.ID)

	notFound("update: unknown company", "input.companyId",
		o.do(t, rep.token, update, map[string]any{"id": d.ID, "in": map[string]any{"companyId": tenancy.NewID()}}))
	notFound("update: another organisation's contact", "input.primaryContactId",
		o.do(t, rep.token, update, map[string]any{"id": d.ID, "in": map[string]any{"primaryContactId": theirContact}}))
	company2, contact2 := o.company(t), o.contact(t)
	var updated struct{ UpdateDeal dealOut }
	o.do(t, rep.token, update, map[string]any{"id": d.ID, "in": map[string]any{"companyId": company2, "primaryContactId": contact2}}).Decode(t, &updated)
	assert.Equal(t, company2, updated.UpdateDeal.Company.ID)
	assert.Equal(t, contact2, updated.UpdateDeal.PrimaryContact.ID)
	o.do(t, rep.token, update, map[string]any{"id": d.ID, "in": map[string]any{"title": "Renamed", "companyId": nil}}).Decode(t, &updated)
	assert.Nil(t, updated.UpdateDeal.Company, "clearing needs no check")

	notFound("add: unknown contact", "input.contactId", o.do(t, rep.token, add, map[string]any{"id": d.ID, "c": tenancy.NewID()}))
	notFound("add: another organisation's contact", "input.contactId", o.do(t, rep.token, add, map[string]any{"id": d.ID, "c": theirContact}))
	notFound("add: a company's id", "input.contactId", o.do(t, rep.token, add, map[string]any{"id": d.ID, "c": company}))
	var added struct{ AddDealContact dealOut }
	o.do(t, rep.token, add, map[string]any{"id": d.ID, "c": contact}).Decode(t, &added)
	require.Len(t, added.AddDealContact.Contacts, 1)
	assert.Equal(t, contact, added.AddDealContact.Contacts[0].Contact.ID)

	// Owners are users of the identity subgraph: a random id and another
	// organisation's user are NOT_FOUND on ownerId, a real user is fine.
	for name, owner := range map[string]string{"unknown owner": tenancy.NewID(), "another organisation's user": other.adminID} {
		r := o.do(t, o.admin, create, map[string]any{"in": map[string]any{"title": "T", "ownerId": owner}})
		notFound("create: "+name, "input.ownerId", r)
		assert.Equal(t, "no user with this id in your organisation", r.Errors[0].Message)
		notFound("update: "+name, "input.ownerId",
			o.do(t, o.admin, update, map[string]any{"id": d.ID, "in": map[string]any{"ownerId": owner}}))
	}
	var owned struct {
		UpdateDeal struct{ Owner struct{ ID string } }
	}
	o.do(t, o.admin, `mutation($id: ID!, $in: UpdateDealInput!) { updateDeal(id: $id, input: $in) { owner { id } } }`,
		map[string]any{"id": d.ID, "in": map[string]any{"ownerId": o.adminID}}).Decode(t, &owned)
	assert.Equal(t, o.adminID, owned.UpdateDeal.Owner.ID)

	// The other organisation's own ids work for it: the check follows the caller's token.
	theirs := other.create(t, other.admin, map[string]any{"companyId": theirCompany, "primaryContactId": theirContact})
	assert.Equal(t, theirCompany, theirs.Company.ID)
}

// When the contact subgraph does not answer, a write naming a company or
// contact fails (INTERNAL) instead of accepting ids nobody checked; one that
// names none goes on.
func TestDealWritesFailWhenTheContactSubgraphIsDown(t *testing.T) {
	t.Parallel()
	o := setup(t)
	down := httptest.NewServer(nil)
	down.Close()
	deps := o.c.Deps
	deps.SubgraphURLs = map[string]string{"contact": down.URL + gqlserver.GraphQLPath}
	sg, err := subgraphs.Find("deal")
	require.NoError(t, err)
	srv := httptest.NewServer(subgraphstest.Handler(t, sg, deps))
	t.Cleanup(srv.Close)
	dealURL := srv.URL + gqlserver.GraphQLPath

	create := `mutation($in: CreateDealInput!) { createDeal(input: $in) { id } }`
	r := subgraphstest.Do(t, dealURL, o.admin, create, map[string]any{"in": map[string]any{"title": "T", "companyId": o.company(t)}})
	assert.Equal(t, "INTERNAL", r.Code(), "%+v", r.Errors)
	r = subgraphstest.Do(t, dealURL, o.admin, create, map[string]any{"in": map[string]any{"title": "T"}})
	assert.Empty(t, r.Errors, "no company or contact: no call")
	var list struct{ Deals struct{ TotalCount int } }
	o.do(t, o.admin, `{ deals { totalCount } }`, nil).Decode(t, &list)
	assert.Equal(t, 1, list.Deals.TotalCount, "only the deal that named nothing")
}
