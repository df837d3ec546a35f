package comms_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/database"
	"github.com/opencrm/opencrm/pkg/platform"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/comms"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

func TestTimelinesOfManyDealsCostAConstantNumberOfStatements(t *testing.T) {
	t.Parallel()
	e := setup(t)
	deals := make([]string, 100)
	for i := range deals {
		deals[i] = tenancy.NewID()
	}
	require.NoError(t, e.c.DB.InTenant(context.Background(), e.tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `
			INSERT INTO activities (id, type, subject, status, occurred_at, completed_at, deal_id)
			SELECT d || '-' || n, 'note', 'note ' || n, 'completed', now() - n * interval '1 minute', now(), d
			FROM unnest($1::text[]) AS d, generate_series(1, 7) AS n`, deals)
		if err != nil {
			return err
		}
		_, err = tx.Exec(context.Background(), `
			INSERT INTO tasks (id, title, deal_id) SELECT d || '-' || n, 'task ' || n, d
			FROM unnest($1::text[]) AS d, generate_series(1, 3) AS n`, deals)
		return err
	}))

	var count testenv.Statements
	pool, err := database.NewPool(context.Background(), testenv.DatabaseURL(t, "subgraphs"), database.Options{MaxConns: 4, MinConns: 1, Tracer: &count})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	db := &tenancy.DB{Pool: pool, Platform: platform.Domains(), Tenant: subgraphs.TenantDomains()}
	srv := httptest.NewServer(serve(comms.New(db, e.svc.Config, nil), e.c.Deps))
	t.Cleanup(srv.Close)
	token := e.token(t, auth.RoleViewer)

	statements := func(ids []string) int64 {
		reps := make([]map[string]any, len(ids))
		for i, id := range ids {
			reps[i] = map[string]any{"__typename": "Deal", "id": id}
		}
		before := count.Count()
		var out struct {
			Entities []struct {
				Activities struct {
					TotalCount int
					Edges      []struct{ Node struct{ Subject string } }
				}
				Tasks struct{ TotalCount int }
			} `json:"_entities"`
		}
		subgraphstest.Do(t, srv.URL+"/graphql", token, `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Deal {
			activities(first: 5) { totalCount edges { node { subject } } } tasks(first: 2) { totalCount } } } }`,
			map[string]any{"reps": reps}).Decode(t, &out)
		n := count.Count() - before
		require.Len(t, out.Entities, len(ids))
		for _, ent := range out.Entities {
			assert.Equal(t, 7, ent.Activities.TotalCount)
			require.Len(t, ent.Activities.Edges, 5)
			assert.Equal(t, "note 1", ent.Activities.Edges[0].Node.Subject, "newest first")
			assert.Equal(t, 3, ent.Tasks.TotalCount)
		}
		return n
	}
	few, many := statements(deals[:3]), statements(deals)
	t.Logf("statements: 3 deals %d, 100 deals %d", few, many)
	assert.Equal(t, few, many, "100 deals cost what 3 do")
	assert.LessOrEqual(t, many, int64(8), "a transaction per batch: begin, one statement, commit, per list")
}
