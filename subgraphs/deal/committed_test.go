package deal_test

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// A mutation's response is what its own transaction read: with every read
// after the commit failing (the database restarting), createDeal, updateDeal,
// moveDeal and addDealContact still answer the committed deal with its stage,
// pipeline and contacts, not INTERNAL for a write that happened.
func TestMutationsAnswerWhatTheirTransactionReadWhenReadsFailAfterTheCommit(t *testing.T) {
	t.Parallel()
	o := setup(t)
	stages := o.defaultPipeline(t).Stages
	contact := o.contact(t)

	// A deal subgraph whose pool refuses every connection once armed and a
	// transaction has committed.
	breaker := testenv.NewCommitBreaker(t, "subgraphs")
	deps := o.c.Deps
	deps.DB = &tenancy.DB{Pool: breaker.Pool, Platform: o.c.DB.Platform, Tenant: o.c.DB.Tenant} // no cache: every lookup reads
	sg, err := subgraphs.Find("deal")
	require.NoError(t, err)
	srv := httptest.NewServer(subgraphstest.Handler(t, sg, deps))
	t.Cleanup(srv.Close)
	do := func(q string, vars map[string]any) subgraphstest.Response {
		t.Helper()
		defer breaker.Arm()()
		return subgraphstest.Do(t, srv.URL+gqlserver.GraphQLPath, o.admin, q, vars)
	}
	const fields = `id title stage { id name } pipeline { id name } contacts { contact { id } role }`

	var created struct {
		CreateDeal struct {
			ID       string
			Stage    struct{ ID, Name string }
			Pipeline struct{ ID string }
			Contacts []struct{ Contact struct{ ID string } }
		}
	}
	r := do(`mutation($in: CreateDealInput!) { createDeal(input: $in) { `+fields+` } }`,
		map[string]any{"in": map[string]any{"title": "Committed"}})
	require.Empty(t, r.Errors, "%+v", r.Errors)
	require.True(t, breaker.Committed(), "the write committed")
	r.Decode(t, &created)
	assert.Equal(t, stages[0].ID, created.CreateDeal.Stage.ID)
	assert.NotEmpty(t, created.CreateDeal.Stage.Name)
	assert.NotEmpty(t, created.CreateDeal.Pipeline.ID)
	assert.Empty(t, created.CreateDeal.Contacts)
	id := created.CreateDeal.ID

	r = do(`mutation($id: ID!) { updateDeal(id: $id, input: {title: "Renamed"}) { `+fields+` } }`, map[string]any{"id": id})
	assert.Empty(t, r.Errors, "updateDeal: %+v", r.Errors)
	r = do(`mutation($id: ID!, $s: ID!) { moveDeal(id: $id, input: {stageId: $s}) { `+fields+` } }`,
		map[string]any{"id": id, "s": stages[1].ID})
	require.Empty(t, r.Errors, "moveDeal: %+v", r.Errors)
	assert.Contains(t, string(r.Data), stages[1].ID, "the stage it moved to")
	r = do(`mutation($id: ID!, $c: ID!) { addDealContact(input: {dealId: $id, contactId: $c, role: CHAMPION}) { `+fields+` } }`,
		map[string]any{"id": id, "c": contact})
	require.Empty(t, r.Errors, "addDealContact: %+v", r.Errors)
	assert.Contains(t, string(r.Data), contact, "the contact it added")
	r = do(`mutation($id: ID!) { closeDeal(id: $id, input: {won: true}) { `+fields+` } }`, map[string]any{"id": id})
	require.Empty(t, r.Errors, "closeDeal: %+v", r.Errors)

	// Reads fail as they should: the pool is down for them.
	r = do(`mutation($id: ID!) { updateDeal(id: $id, input: {title: "Again"}) { id } }`, map[string]any{"id": id})
	require.Empty(t, r.Errors)
	up := breaker.Down()
	r = subgraphstest.Do(t, srv.URL+gqlserver.GraphQLPath, o.admin, `{ pipelines { id } }`, nil)
	up()
	assert.Equal(t, "INTERNAL", r.Code(), "a read after the commit fails (the test's failure is real)")
}
