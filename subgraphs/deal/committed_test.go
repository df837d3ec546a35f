package deal_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// commitTracer arms a pool's failure once a transaction commits.
type commitTracer struct{ committed *atomic.Bool }

func (c commitTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.EqualFold(strings.TrimSpace(d.SQL), "commit") {
		return context.WithValue(ctx, commitTracer{}, true)
	}
	return ctx
}

func (c commitTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	if ctx.Value(commitTracer{}) == true && d.Err == nil {
		c.committed.Store(true)
	}
}

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
	var armed, committed atomic.Bool
	cfg, err := pgxpool.ParseConfig(testenv.DatabaseURL(t, "subgraphs"))
	require.NoError(t, err)
	cfg.ConnConfig.Tracer = commitTracer{&committed}
	cfg.PrepareConn = func(context.Context, *pgx.Conn) (bool, error) {
		if armed.Load() && committed.Load() {
			return false, errors.New("the database is restarting")
		}
		return true, nil
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	deps := o.c.Deps
	deps.DB = &tenancy.DB{Pool: pool, Platform: o.c.DB.Platform, Tenant: o.c.DB.Tenant} // no cache: every lookup reads
	sg, err := subgraphs.Find("deal")
	require.NoError(t, err)
	srv := httptest.NewServer(subgraphstest.Handler(t, sg, deps))
	t.Cleanup(srv.Close)
	do := func(q string, vars map[string]any) subgraphstest.Response {
		t.Helper()
		committed.Store(false)
		armed.Store(true)
		defer armed.Store(false)
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
	require.True(t, committed.Load(), "the write committed")
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
	armed.Store(true)
	r = subgraphstest.Do(t, srv.URL+gqlserver.GraphQLPath, o.admin, `{ pipelines { id } }`, nil)
	armed.Store(false)
	assert.Equal(t, "INTERNAL", r.Code(), "a read after the commit fails (the test's failure is real)")
}
