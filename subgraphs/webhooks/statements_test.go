package webhooks_test

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
	"github.com/opencrm/opencrm/subgraphs/webhooks"
)

func TestAPageOfDeliveriesWithAttemptsAndEndpointsCostsAConstantNumberOfStatements(t *testing.T) {
	t.Parallel()
	e := setup(t, testConfig())
	endpoint, _ := e.endpoint(t, map[string]any{"url": "https://hooks.example.com/in", "eventTypes": []string{"*"}})
	require.NoError(t, e.c.DB.InTenant(context.Background(), e.tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `
			INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, status, attempts)
			SELECT $1 || lpad(n::text, 4, '0'), $2, 'e' || n, 'task.created', '{}', 'failed', 3 FROM generate_series(1, 60) AS n`,
			tenancy.NewID()[:22], endpoint)
		if err != nil {
			return err
		}
		_, err = tx.Exec(context.Background(), `
			INSERT INTO webhook_attempts (id, delivery_id, attempted_at, status_code, latency_ms)
			SELECT d.id || '-' || a, d.id, now(), 500, 12 FROM webhook_deliveries d, generate_series(1, 3) AS a`)
		return err
	}))

	var count testenv.Statements
	pool, err := database.NewPool(context.Background(), testenv.DatabaseURL(t, "subgraphs"), database.Options{MaxConns: 4, MinConns: 1, Tracer: &count})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	db := &tenancy.DB{Pool: pool, Platform: platform.Domains(), Tenant: subgraphs.TenantDomains()}
	srv := httptest.NewServer(serve(webhooks.New(db, testConfig(), nil), e.c.Deps))
	t.Cleanup(srv.Close)
	token := e.c.Token(t, e.users[auth.RoleAdmin])

	statements := func(first int) int64 {
		before := count.Count()
		var out struct {
			WebhookDeliveries struct {
				Edges []struct {
					Node struct {
						Attempts []struct{ StatusCode int }
						Endpoint struct{ ID string }
					}
				}
			}
		}
		doAs(t, srv.URL+"/graphql", token, `query($id: ID!, $n: Int) { webhookDeliveries(endpointId: $id, first: $n) {
			edges { node { attempts { statusCode } endpoint { id } } } } }`, map[string]any{"id": endpoint, "n": first}).Decode(t, &out)
		require.Len(t, out.WebhookDeliveries.Edges, first)
		for _, ed := range out.WebhookDeliveries.Edges {
			require.Len(t, ed.Node.Attempts, 3)
			require.Equal(t, endpoint, ed.Node.Endpoint.ID)
		}
		return count.Count() - before
	}
	few, many := statements(2), statements(50)
	assert.Equal(t, few, many, "the page's attempts and endpoints are one statement each, whatever the page size")
	// Three transactions, each a BEGIN and a COMMIT around: the endpoint's
	// check, the page and its count; the page's attempts; its endpoints.
	assert.Equal(t, int64(11), many)
	t.Logf("statements for a page of 50 deliveries with attempts and endpoints: %d", many)
}
