package gateway_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// noErrors fails on any error: a link that dangles (the owning subgraph
// answered null for the entity) reads as null, and the engine reports the
// fields it could not complete in extensions.valueCompletion, not errors.
func noErrors(t *testing.T, r subgraphstest.Response) {
	t.Helper()
	assert.Empty(t, r.Errors)
}

// Links to records that no longer exist (deleted since, or stored before
// references were checked) read as null through the gateway: a deal whose
// owner and creator are no users, whose company and contact were deleted,
// a task and an activity whose contact, deal and assignee are gone. One
// such record never turns a whole list into `data: null`, and the records
// beside it read in full.
func TestRefsDanglingLinksReadAsNullThroughTheGateway(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	admin := e.signUp(t, "refs-"+strings.ToLower(tenancy.NewID()[18:]))
	tok := admin.AccessToken
	idOf := func(r []byte, field string) string {
		t.Helper()
		var out map[string]struct{ ID string }
		require.NoError(t, json.Unmarshal(r, &out), string(r))
		require.NotEmpty(t, out[field].ID, string(r))
		return out[field].ID
	}
	ok := func(q string, vars map[string]any) []byte {
		t.Helper()
		r := e.do(t, tok, q, vars)
		require.Empty(t, r.Errors, "%s: %+v", q, r.Errors)
		return r.Data
	}
	var me struct {
		Me struct{ Tenant struct{ ID string } }
	}
	require.NoError(t, json.Unmarshal(ok(`{ me { tenant { id } } }`, nil), &me))
	company := idOf(ok(`mutation { createCompany(input: {name: "Gone Ltd"}) { id } }`, nil), "createCompany")
	contact := idOf(ok(`mutation { createContact(input: {firstName: "Gone", lastName: "Soon"}) { id } }`, nil), "createContact")
	idOf(ok(`mutation { createDeal(input: {title: "Kept"}) { id } }`, nil), "createDeal")
	dangling := idOf(ok(`mutation($c: ID, $p: ID) { createDeal(input: {title: "Dangling", companyId: $c, primaryContactId: $p}) { id } }`,
		map[string]any{"c": company, "p": contact}), "createDeal")
	ok(`mutation($d: ID!, $c: ID!) { addDealContact(input: {dealId: $d, contactId: $c, role: CHAMPION}) { id } }`,
		map[string]any{"d": dangling, "c": contact})
	ok(`mutation($c: ID!, $d: ID!) { createTask(input: {title: "Call", contactId: $c, dealId: $d}) { id } }`,
		map[string]any{"c": contact, "d": dangling})
	ok(`mutation($c: ID!, $co: ID!) { logActivity(input: {type: NOTE, subject: "Met", contactId: $c, companyId: $co}) { id } }`,
		map[string]any{"c": contact, "co": company})

	// The contact and company are deleted (no consumer runs here, so the
	// deal and comms keep their ids), and the deal's owner and creator and
	// the task's assignee name nobody: rows stored before the checks existed.
	ok(`mutation($id: ID!) { deleteContact(id: $id) }`, map[string]any{"id": contact})
	ok(`mutation($id: ID!) { deleteCompany(id: $id) }`, map[string]any{"id": company})
	nobody := tenancy.NewID()
	require.NoError(t, e.cluster.DB.InTenant(context.Background(), me.Me.Tenant.ID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(context.Background(), `UPDATE deals SET owner_id = $1, created_by = $1 WHERE id = $2`, nobody, dangling); err != nil {
			return err
		}
		_, err := tx.Exec(context.Background(), `UPDATE tasks SET assigned_to = $1, created_by = $1`, nobody)
		return err
	}))

	type deal struct {
		Title          string
		Owner          *struct{ Email string }
		CreatedBy      *struct{ Email string }
		Company        *struct{ Name string }
		PrimaryContact *struct{ FullName string }
		Contacts       []struct {
			Contact *struct{ FullName string }
			Role    string
		}
	}
	r := e.do(t, tok, `{ deals { edges { node { title owner { email } createdBy { email }
		company { name } primaryContact { fullName } contacts { contact { fullName } role } } } } }`, nil)
	noErrors(t, r)
	var deals struct {
		Deals struct{ Edges []struct{ Node deal } }
	}
	require.NoError(t, json.Unmarshal(r.Data, &deals), string(r.Data))
	require.Len(t, deals.Deals.Edges, 2, "the list survives: %s", r.Data)
	got := map[string]deal{}
	for _, e := range deals.Deals.Edges {
		got[e.Node.Title] = e.Node
	}
	d := got["Dangling"]
	assert.Nil(t, d.Owner, "an owner that is no user")
	assert.Nil(t, d.CreatedBy)
	assert.Nil(t, d.Company, "a deleted company")
	assert.Nil(t, d.PrimaryContact, "a deleted contact")
	// The deal contact row stays until the deal subgraph hears of the
	// deletion (an event, which may already have arrived); until then its
	// contact reads as null.
	for _, c := range d.Contacts {
		assert.Nil(t, c.Contact)
		assert.Equal(t, "CHAMPION", c.Role)
	}
	if k := got["Kept"]; assert.NotNil(t, k.Owner, "the deal beside it reads in full") {
		assert.Equal(t, "ada@acme.example.com", k.Owner.Email)
	}

	// One deal by id, and comms' links.
	r = e.do(t, tok, `query($id: ID!) { deal(id: $id) { title owner { email } createdBy { email } } }`, map[string]any{"id": dangling})
	noErrors(t, r)
	assert.JSONEq(t, `{"deal": {"title": "Dangling", "owner": null, "createdBy": null}}`, string(r.Data))
	r = e.do(t, tok, `{ tasks { edges { node { title assignedTo { email } createdBy { email } contact { fullName } deal { title } } } }
		activities { edges { node { subject contact { fullName } company { name } } } } }`, nil)
	noErrors(t, r)
	var comms struct {
		Tasks      json.RawMessage
		Activities struct {
			Edges []struct {
				Node struct {
					Subject          string
					Contact, Company *struct{ FullName, Name string }
				}
			}
		}
	}
	require.NoError(t, json.Unmarshal(r.Data, &comms), string(r.Data))
	assert.JSONEq(t, `{"edges": [{"node": {"title": "Call", "assignedTo": null, "createdBy": null, "contact": null, "deal": {"title": "Dangling"}}}]}`, string(comms.Tasks))
	// The timeline holds "Met" and, once comms has heard of the contact's
	// creation (an event, which may already have arrived), its note: every
	// one of them reads the deleted contact and company as null.
	var subjects []string
	for _, e := range comms.Activities.Edges {
		subjects = append(subjects, e.Node.Subject)
		assert.Nil(t, e.Node.Contact, e.Node.Subject)
		assert.Nil(t, e.Node.Company, e.Node.Subject)
	}
	assert.Contains(t, subjects, "Met", string(r.Data))
}
