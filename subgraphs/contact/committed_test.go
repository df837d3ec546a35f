package contact_test

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

// A contact write answers with the company its own transaction read: with
// every read after the commit failing (the database restarting),
// createContact and updateContact still answer the committed contact with
// its company, not INTERNAL for a write that happened.
func TestContactWritesAnswerWhatTheirTransactionReadWhenReadsFailAfterTheCommit(t *testing.T) {
	t.Parallel()
	o := setup(t)
	acme := o.createCompany(t, o.admin(), map[string]any{"name": "Acme"})
	globex := o.createCompany(t, o.admin(), map[string]any{"name": "Globex"})

	breaker := testenv.NewCommitBreaker(t, "subgraphs")
	deps := o.c.Deps
	deps.DB = &tenancy.DB{Pool: breaker.Pool, Platform: o.c.DB.Platform, Tenant: o.c.DB.Tenant} // no cache: every lookup reads
	sg, err := subgraphs.Find("contact")
	require.NoError(t, err)
	srv := httptest.NewServer(subgraphstest.Handler(t, sg, deps))
	t.Cleanup(srv.Close)
	do := func(q string, vars map[string]any) subgraphstest.Response {
		t.Helper()
		defer breaker.Arm()()
		return subgraphstest.Do(t, srv.URL+gqlserver.GraphQLPath, o.admin().token, q, vars)
	}

	r := do(`mutation($c: ID!) { createContact(input: {firstName: "Ada", lastName: "Byron", companyId: $c}) { id company { id name } } }`,
		map[string]any{"c": acme})
	require.Empty(t, r.Errors, "%+v", r.Errors)
	require.True(t, breaker.Committed(), "the write committed")
	var created struct {
		CreateContact struct {
			ID      string
			Company struct{ ID, Name string }
		}
	}
	r.Decode(t, &created)
	assert.Equal(t, acme, created.CreateContact.Company.ID)
	assert.Equal(t, "Acme", created.CreateContact.Company.Name)

	r = do(`mutation($id: ID!, $c: ID!) { updateContact(id: $id, input: {companyId: $c}) { company { name } } }`,
		map[string]any{"id": created.CreateContact.ID, "c": globex})
	require.Empty(t, r.Errors, "%+v", r.Errors)
	assert.JSONEq(t, `{"updateContact": {"company": {"name": "Globex"}}}`, string(r.Data))

	// Reads fail as they should: the pool is down for them.
	up := breaker.Down()
	r = subgraphstest.Do(t, srv.URL+gqlserver.GraphQLPath, o.admin().token, `{ companies { totalCount } }`, nil)
	up()
	assert.Equal(t, "INTERNAL", r.Code(), "a read after the commit fails (the test's failure is real)")
}
