package deal_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/database"
	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/platform"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// bigPipeline is the deal subgraph alone, over a pool whose statements are
// counted, with a tenant whose default pipeline holds n deals (two contacts
// each), spread over its stages.
type bigPipeline struct {
	url, token, schema string
	dealIDs            []string
	db                 *tenancy.DB
	count              *testenv.Statements
}

func newBigPipeline(tb testing.TB, n int) bigPipeline {
	tb.Helper()
	ctx := context.Background()
	count := &testenv.Statements{}
	pool, err := database.NewPool(ctx, testenv.DatabaseURL(tb, "subgraphs"), database.Options{Tracer: count, MaxConns: 4})
	require.NoError(tb, err)
	tb.Cleanup(pool.Close)
	db := &tenancy.DB{Pool: pool, Platform: platform.Domains(), Tenant: subgraphs.TenantDomains()}
	require.NoError(tb, db.Setup(ctx))
	sub := "s-" + strings.ToLower(tenancy.NewID()[16:])
	tenant, err := db.Provision(ctx, "Big "+sub, sub, func(pgx.Tx, tenancy.Tenant) error { return nil })
	require.NoError(tb, err)

	ids, owners, companies, contacts := make([]string, n), make([]string, n), make([]string, n), make([]string, 2*n)
	team := []string{tenancy.NewID(), tenancy.NewID(), tenancy.NewID(), tenancy.NewID(), tenancy.NewID(), tenancy.NewID(), tenancy.NewID()}
	for i := range ids {
		ids[i], owners[i], companies[i] = tenancy.NewID(), team[i%len(team)], tenancy.NewID()
		contacts[2*i], contacts[2*i+1] = tenancy.NewID(), tenancy.NewID()
	}
	require.NoError(tb, db.InTenant(ctx, tenant.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			WITH st AS (SELECT s.id, s.pipeline_id, s.probability, row_number() OVER (ORDER BY s.position) - 1 AS k
			            FROM stages s JOIN pipelines p ON p.id = s.pipeline_id WHERE p.is_default)
			INSERT INTO deals (id, title, value, currency, probability, pipeline_id, stage_id, owner_id, company_id,
			                   primary_contact_id, expected_close_date, created_by, created_at)
			SELECT d.id, 'Deal ' || d.i, (d.i * 37 % 10000) + 0.25, 'USD', st.probability, st.pipeline_id, st.id,
			       ($2::text[])[d.i], ($3::text[])[d.i], ($4::text[])[2 * d.i - 1], current_date + (d.i % 90)::int, ($2::text[])[d.i],
			       now() - make_interval(secs => d.i::float8)
			FROM unnest($1::text[]) WITH ORDINALITY AS d (id, i)
			JOIN st ON st.k = d.i % 6`, ids, owners, companies, contacts)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO deal_contacts (deal_id, contact_id, role)
			SELECT d.id, c.contact, c.role FROM unnest($1::text[]) WITH ORDINALITY AS d (id, i),
			  LATERAL (VALUES (($2::text[])[2 * d.i - 1], 'decision_maker'), (($2::text[])[2 * d.i], 'influencer')) AS c (contact, role)`, ids, contacts)
		return err
	}))

	keys, err := auth.ParseKeySet(auth.GenerateKeySpec("stmt"))
	require.NoError(tb, err)
	deps := subgraphs.Deps{
		DB: db, Keys: keys, Metrics: gqlserver.NewMetrics(),
		Issuer:   &auth.Issuer{Keys: keys, Issuer: subgraphstest.Issuer, Audience: subgraphstest.Audience},
		Verifier: &auth.Verifier{Keys: keys, Issuer: subgraphstest.Issuer, Audience: subgraphstest.Audience},
	}
	sg, err := subgraphs.Find("deal")
	require.NoError(tb, err)
	srv := httptest.NewServer(subgraphstest.Handler(tb, sg, deps))
	tb.Cleanup(srv.Close)
	token, _, err := deps.Issuer.Issue(auth.Identity{UserID: owners[0], TenantID: tenant.ID, Email: "v@big.example.com", Role: auth.RoleViewer})
	require.NoError(tb, err)
	schema, _ := tenancy.SchemaName(tenant.ID)
	return bigPipeline{url: srv.URL + gqlserver.GraphQLPath, token: token, schema: schema, dealIDs: ids, db: db, count: count}
}

// statementsOf runs an operation and returns how many statements it sent.
func (b bigPipeline) statementsOf(tb testing.TB, q string, vars map[string]any, v any) int64 {
	tb.Helper()
	before := b.count.Count()
	subgraphstest.Do(tb, b.url, b.token, q, vars).Decode(tb, v)
	return b.count.Count() - before
}

const enrichedDeal = `id title value weightedValue stage { name } pipeline { name } company { id } primaryContact { id }
	owner { id } createdBy { id } contacts { role contact { id } }`

func TestEntitiesAndPipelineViewCostConstantStatements(t *testing.T) {
	t.Parallel()
	b := newBigPipeline(t, 500)
	entities := `query($r: [_Any!]!) { _entities(representations: $r) { ... on Deal { ` + enrichedDeal + ` } } }`
	reps := func(n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"__typename": "Deal", "id": b.dealIDs[i]}
		}
		return out
	}
	var few, many struct {
		Entities []struct {
			ID       string
			Contacts []struct{ Role string }
		} `json:"_entities"`
	}
	nFew := b.statementsOf(t, entities, map[string]any{"r": reps(5)}, &few)
	nMany := b.statementsOf(t, entities, map[string]any{"r": reps(500)}, &many)
	require.Len(t, many.Entities, 500)
	assert.Len(t, many.Entities[499].Contacts, 2)
	assert.Equal(t, nFew, nMany, "_entities: 5 deals and 500 deals cost the same statements")
	t.Logf("_entities of 500 deals: %d statements", nMany)
	// Three transactions (deals, catalog, contacts): BEGIN+SET, one or two queries, COMMIT.
	assert.LessOrEqual(t, nMany, int64(10))

	view := `query($n: Int) { pipelineView(dealsPerStage: $n) { stages { dealCount totalValue deals { ` + enrichedDeal + ` } } totals { totalDeals } } }`
	var small, big struct {
		PipelineView struct {
			Stages []struct{ Deals []struct{ ID string } }
			Totals struct{ TotalDeals int }
		}
	}
	nSmall := b.statementsOf(t, view, map[string]any{"n": 2}, &small)
	nBig := b.statementsOf(t, view, map[string]any{"n": 500}, &big)
	assert.Equal(t, 500, big.PipelineView.Totals.TotalDeals)
	listed := 0
	for _, s := range big.PipelineView.Stages {
		listed += len(s.Deals)
	}
	assert.Equal(t, 500, listed)
	assert.Equal(t, nSmall, nBig, "pipelineView: 12 deals and 500 deals cost the same statements")
	t.Logf("pipelineView of 500 deals: %d statements", nBig)
	assert.LessOrEqual(t, nBig, int64(14))

	// A page of deals with its total is one statement (the total is counted
	// in it, only when asked), plus the catalog and the contacts: three
	// transactions, like _entities.
	list := `query($n: Int) { deals(first: $n) { totalCount edges { node { ` + enrichedDeal + ` } } } }`
	var page struct{ Deals struct{ TotalCount int } }
	nList := b.statementsOf(t, list, map[string]any{"n": 100}, &page)
	assert.Equal(t, 500, page.Deals.TotalCount)
	t.Logf("a page of 100 deals with totalCount: %d statements", nList)
	assert.LessOrEqual(t, nList, int64(10))
}

// BenchmarkPipelineView compares the enriched pipeline view of 500 deals
// through the subgraph (HTTP, GraphQL, tenant transactions, loaders) with
// one hand-written statement joining the same tables: the floor.
//
//	go test -run '^$' -bench PipelineView -benchtime 50x ./subgraphs/deal/
func BenchmarkPipelineView(b *testing.B) {
	p := newBigPipeline(b, 500)
	view := `{ pipelineView(dealsPerStage: 500) { stages { dealCount totalValue weightedValue deals { ` + enrichedDeal + ` } }
		totals { totalDeals totalValue totalWeightedValue } } }`
	b.Run("subgraph", func(b *testing.B) {
		for b.Loop() {
			r := subgraphstest.Do(b, p.url, p.token, view, nil)
			if len(r.Errors) > 0 {
				b.Fatal(r.Errors)
			}
		}
	})
	q := fmt.Sprintf(`
		SELECT d.id, d.title, d.value, d.value * d.probability / 100, s.name, pl.name, d.company_id, d.primary_contact_id,
		       d.owner_id, d.created_by, c.roles,
		       count(*) OVER w, sum(d.value) OVER w, sum(d.value * d.probability / 100) OVER w
		FROM %[1]s.deals d
		JOIN %[1]s.stages s ON s.id = d.stage_id
		JOIN %[1]s.pipelines pl ON pl.id = d.pipeline_id AND pl.is_default
		LEFT JOIN LATERAL (SELECT json_agg(json_build_object('contact', dc.contact_id, 'role', dc.role)) AS roles
		                   FROM %[1]s.deal_contacts dc WHERE dc.deal_id = d.id) c ON true
		WINDOW w AS (PARTITION BY d.stage_id)
		ORDER BY s.position, d.created_at DESC`, pgx.Identifier{p.schema}.Sanitize())
	b.Run("one SQL statement", func(b *testing.B) {
		ctx := context.Background()
		for b.Loop() {
			rows, err := p.db.Pool.Query(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil || len(vals) == 0 {
					b.Fatal(err)
				}
				n++
			}
			if rows.Err() != nil || n != 500 {
				b.Fatal(rows.Err(), n)
			}
		}
	})
}
