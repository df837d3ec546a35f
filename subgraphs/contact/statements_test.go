package contact_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/database"
	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/platform"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// countedServer serves the contact subgraph over a pool of its own whose
// statements it counts, without the cache (a cached lookup would hide a
// statement).
func countedServer(t *testing.T, c *subgraphstest.Cluster) (url string, count func(func()) int64) {
	t.Helper()
	var st testenv.Statements
	pool, err := database.NewPool(context.Background(), testenv.DatabaseURL(t, "subgraphs"), database.Options{MaxConns: 4, Tracer: &st})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	deps := c.Deps
	deps.DB = &tenancy.DB{Pool: pool, Platform: platform.Domains(), Tenant: subgraphs.TenantDomains()}
	sg, err := subgraphs.Find("contact")
	require.NoError(t, err)
	srv := httptest.NewServer(subgraphstest.Handler(t, sg, deps))
	t.Cleanup(srv.Close)
	return srv.URL + gqlserver.GraphQLPath, func(f func()) int64 {
		before := st.Count()
		f()
		return st.Count() - before
	}
}

// seed inserts n companies, each the child of the one before and with three
// contacts, in one statement per table; it returns the contact ids.
func (o *org) seed(t *testing.T, n int) []string {
	t.Helper()
	var contacts []string
	require.NoError(t, o.c.DB.InTenant(context.Background(), o.tenantID, func(tx pgx.Tx) error {
		ctx := context.Background()
		if _, err := tx.Exec(ctx, `INSERT INTO companies (id, name, parent_company_id, created_by)
			SELECT 'co' || lpad(i::text, 8, '0'), 'Company ' || i, CASE WHEN i > 1 THEN 'co' || lpad((i - 1)::text, 8, '0') END, $2
			FROM generate_series(1, $1::int) i`, n, o.rep().id); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `INSERT INTO contacts (id, first_name, last_name, company_id, owner_id)
			SELECT 'ct' || lpad(i::text, 8, '0') || j, 'First' || j, 'Last' || i, 'co' || lpad(i::text, 8, '0'), $2
			FROM generate_series(1, $1::int) i, generate_series(1, 3) j RETURNING id`, n, o.rep().id)
		if err != nil {
			return err
		}
		contacts, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	}))
	return contacts
}

// A page of companies with their contacts, owners, parents and children,
// and an _entities batch of contacts with their companies, each cost the
// same number of statements whatever their size.
func TestAPageCostsAConstantNumberOfStatements(t *testing.T) {
	t.Parallel()
	o := setup(t)
	contacts := o.seed(t, 200)
	url, count := countedServer(t, o.c)
	const page = `query($n: Int) { companies(first: $n, orderBy: {field: CREATED_AT}) { totalCount edges { node {
		id name createdBy { id } parentCompany { id name } childCompanies { id }
		contacts(first: 5) { totalCount edges { node { id fullName owner { id } company { id name } } } } } } } }`
	pageCost := func(n int) int64 {
		return count(func() {
			var out struct{ Companies conn }
			subgraphstest.Do(t, url, o.viewer().token, page, map[string]any{"n": n}).Decode(t, &out)
			require.Len(t, out.Companies.Edges, n)
		})
	}
	const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id fullName company { id name parentCompany { id } } } } }`
	entitiesCost := func(n int) int64 {
		reps := make([]any, n)
		for i := range reps {
			reps[i] = map[string]any{"__typename": "Contact", "id": contacts[i]}
		}
		return count(func() {
			var out struct {
				Entities []*struct {
					ID      string
					Company *struct{ Name string }
				} `json:"_entities"`
			}
			subgraphstest.Do(t, url, o.viewer().token, entities, map[string]any{"r": reps}).Decode(t, &out)
			require.Len(t, out.Entities, n)
			require.NotNil(t, out.Entities[n-1].Company)
		})
	}
	small, large := pageCost(10), pageCost(100)
	assert.Equal(t, small, large, "a page of 10 companies and a page of 100 cost the same")
	t.Logf("a page of companies with contacts, owners, parents and children: %d statements", large)
	small, large = entitiesCost(10), entitiesCost(500)
	assert.Equal(t, small, large, "10 entities and 500 cost the same")
	t.Logf("an _entities batch of contacts with their companies: %d statements", large)
	assert.LessOrEqual(t, large, int64(2*3), "a transaction (3 statements) for the contacts and one for their companies")
}
