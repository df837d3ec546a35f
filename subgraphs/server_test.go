package subgraphs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/cache"
	"github.com/opencrm/opencrm/pkg/database"
	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/ratelimit"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// serve starts the identity subgraph with the cluster's dependencies, changed by tweak.
func serve(t *testing.T, tweak func(*subgraphs.Deps)) (*subgraphstest.Cluster, string) {
	t.Helper()
	c := subgraphstest.Start(t)
	deps := c.Deps
	if tweak != nil {
		tweak(&deps)
	}
	sg, err := subgraphs.Find("identity")
	require.NoError(t, err)
	srv := httptest.NewServer(subgraphstest.Handler(t, sg, deps))
	t.Cleanup(srv.Close)
	return c, srv.URL
}

func TestServiceSDLWorksWhereIntrospectionIsOff(t *testing.T) {
	t.Parallel()
	_, url := serve(t, func(d *subgraphs.Deps) { d.Introspection = false })
	r := subgraphstest.Do(t, url+"/graphql", "", `{ __schema { types { name } } }`, nil)
	require.NotEmpty(t, r.Errors, "introspection is off")
	r = subgraphstest.Do(t, url+"/graphql", "", `{ _service { sdl } }`, nil)
	var out struct {
		Service struct{ SDL string } `json:"_service"`
	}
	r.Decode(t, &out)
	assert.Contains(t, out.Service.SDL, `type User @key(fields: "id")`)
	r = subgraphstest.Do(t, url+"/graphql", "", `{ _service { sdl } __schema { types { name } } }`, nil)
	assert.NotEmpty(t, r.Errors, "_service does not smuggle __schema through")
}

func TestInternalErrorsShowOnlyARequestID(t *testing.T) {
	t.Parallel()
	c, url := serve(t, func(d *subgraphs.Deps) {
		pool, err := database.NewPool(context.Background(), testenv.DatabaseURL(t, "subgraphs"), database.Options{})
		require.NoError(t, err)
		pool.Close() // every query now fails deep inside pgx
		db := *d.DB
		db.Pool = pool
		d.DB = &db
	})
	token := c.Token(t, auth.Identity{UserID: tenancy.NewID(), TenantID: tenancy.NewID(), Role: auth.RoleAdmin, Email: "a@b.example.com"})
	r := subgraphstest.DoWithHeaders(t, url+"/graphql", http.Header{"Authorization": {"Bearer " + token}, "X-Request-ID": {"req-123"}}, `{ me { id } }`, nil)
	require.Len(t, r.Errors, 1)
	assert.Equal(t, "INTERNAL", r.Code())
	assert.Equal(t, "req-123", r.Errors[0].Extensions["requestId"])
	assert.NotContains(t, strings.ToLower(r.Errors[0].Message), "pool")
	assert.NotContains(t, strings.ToLower(r.Errors[0].Message), "sql")
}

func TestLimitsAnswerWithCodes(t *testing.T) {
	t.Parallel()
	_, url := serve(t, func(d *subgraphs.Deps) {
		d.Limits = gqlserver.Limits{MaxDepth: 2, MaxComplexity: 10, MaxBodyBytes: 2048}
	})
	r := subgraphstest.Do(t, url+"/graphql", "", `{ me { tenant { id } } }`, nil)
	assert.Equal(t, "DEPTH_LIMIT_EXCEEDED", r.Code())
	r = subgraphstest.Do(t, url+"/graphql", "", `query { a: me { id } b: me { id } c: me { id } d: me { id } e: me { id } f: me { id } }`, nil)
	assert.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", r.Code())
	r = subgraphstest.Do(t, url+"/graphql", "", `{ me { id } }`, map[string]any{"pad": strings.Repeat("x", 4096)})
	assert.Equal(t, "PAYLOAD_TOO_LARGE", r.Code())
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.Status)
	r = subgraphstest.Do(t, url+"/graphql", "", `{ me { id `, nil)
	assert.Equal(t, "GRAPHQL_PARSE_FAILED", r.Code())
	r = subgraphstest.Do(t, url+"/graphql", "", `{ nope }`, nil)
	assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", r.Code())
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	_, url := serve(t, func(d *subgraphs.Deps) {
		d.Health = []gqlserver.Dependency{{Name: "nats", Check: func(context.Context) error { return io.ErrUnexpectedEOF }}}
	})
	resp, err := http.Get(url + "/health")
	require.NoError(t, err)
	defer resp.Body.Close()
	var h gqlserver.HealthReport
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&h))
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a failing dependency degrades, it does not fail")
	assert.Equal(t, "degraded", h.Status)
	assert.True(t, h.Database.Healthy)
	assert.False(t, h.Dependencies["nats"].Healthy)
	assert.EqualValues(t, database.MaxConns, h.Database.Stats.MaxConns)

	subgraphstest.Do(t, url+"/graphql", "", `query Probe { __typename }`, nil)
	resp, err = http.Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(body), `graphql_requests_total{operation="Probe",outcome="ok",subgraph="identity"}`)
}

// Kubernetes takes a subgraph whose database is down out of the Service
// (readiness: /health answers 503) but does not restart it (liveness:
// /health/live checks no dependency), and Redis or NATS down is neither.
func TestReadinessFollowsTheDatabaseAndLivenessDoesNot(t *testing.T) {
	t.Parallel()
	_, url := serve(t, func(d *subgraphs.Deps) {
		pool, err := database.NewPool(context.Background(), testenv.DatabaseURL(t, "subgraphs"), database.Options{})
		require.NoError(t, err)
		pool.Close() // the database no longer answers this process
		db := *d.DB
		db.Pool = pool
		d.DB = &db
		d.Health = []gqlserver.Dependency{{Name: "redis", Check: func(context.Context) error { return io.ErrUnexpectedEOF }}}
	})
	status := func(path string) int {
		resp, err := http.Get(url + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusServiceUnavailable, status("/health"), "not ready without its database")
	assert.Equal(t, http.StatusOK, status(gqlserver.LivePath), "alive all the same: a restart brings no database back")

	_, url = serve(t, func(d *subgraphs.Deps) {
		d.Health = []gqlserver.Dependency{{Name: "redis", Check: func(context.Context) error { return io.ErrUnexpectedEOF }}}
	})
	assert.Equal(t, http.StatusOK, status("/health"), "ready without Redis (degraded)")
	assert.Equal(t, http.StatusOK, status(gqlserver.LivePath))
}

func TestJWKSPublishesTheVerificationKeys(t *testing.T) {
	t.Parallel()
	c, url := serve(t, nil)
	remote := auth.NewRemoteKeys(url + auth.JWKSPath)
	v := &auth.Verifier{Keys: remote, Issuer: c.Issuer, Audience: c.Audience}
	_, err := v.Verify(c.Token(t, auth.Identity{UserID: "u", TenantID: tenancy.NewID(), Role: auth.RoleViewer}))
	assert.NoError(t, err)
}

func TestSignInAndTenantLookupsWorkWithRedisDown(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	dead, err := cache.New(cache.Config{URL: "redis://127.0.0.1:1/0"}) // nothing listens on port 1
	require.NoError(t, err)
	t.Cleanup(func() { _ = dead.Close() })
	deps := c.Deps
	db := *deps.DB
	db.Cache = dead
	deps.DB = &db
	deps.Limiter = &ratelimit.Limiter{Redis: dead.Client()}
	urls := map[string]string{}
	for _, sg := range subgraphs.All {
		srv := httptest.NewServer(subgraphstest.Handler(t, sg, deps))
		t.Cleanup(srv.Close)
		urls[sg.Name] = srv.URL + "/graphql"
	}
	sub := "redis-down-" + strings.ToLower(tenancy.NewID()[20:])
	r := subgraphstest.Do(t, urls["identity"], "", `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken } }`,
		map[string]any{"in": map[string]any{"organizationName": "No Cache", "subdomain": sub, "email": "a@nc.example.com",
			"password": "s3cret-enough pass", "firstName": "A", "lastName": "B"}})
	require.Empty(t, r.Errors)
	var login struct{ Login struct{ AccessToken string } }
	subgraphstest.Do(t, urls["identity"], "", `mutation($s: String!) { login(input: {subdomain: $s, email: "a@nc.example.com", password: "s3cret-enough pass"}) { accessToken } }`,
		map[string]any{"s": sub}).Decode(t, &login)
	var out struct{ TenantBySubdomain struct{ Name string } }
	subgraphstest.Do(t, urls["tenant"], "", `query($s: String!) { tenantBySubdomain(subdomain: $s) { name } }`, map[string]any{"s": sub}).Decode(t, &out)
	assert.Equal(t, "No Cache", out.TenantBySubdomain.Name)
	var ten struct{ Tenant struct{ Subdomain string } }
	subgraphstest.Do(t, urls["tenant"], login.Login.AccessToken, `{ tenant { subdomain } }`, nil).Decode(t, &ten)
	assert.Equal(t, sub, ten.Tenant.Subdomain)
}

func TestSignUpWritesItsEventsToTheOutboxInTheSameTransaction(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	sub := "events-" + strings.ToLower(tenancy.NewID()[20:])
	var out struct {
		SignUp struct {
			User struct{ Tenant struct{ ID string } }
		}
	}
	subgraphstest.Do(t, c.URLs["identity"], "", `mutation($in: SignUpInput!) { signUp(input: $in) { user { tenant { id } } } }`,
		map[string]any{"in": map[string]any{"organizationName": "Evented", "subdomain": sub, "email": "a@ev.example.com",
			"password": "s3cret-enough pass", "firstName": "A", "lastName": "B"}}).Decode(t, &out)
	rows, err := c.DB.Pool.Query(context.Background(), "SELECT subject FROM platform.outbox WHERE tenant_id = $1 ORDER BY id", out.SignUp.User.Tenant.ID)
	require.NoError(t, err)
	subjects, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	assert.Equal(t, []string{"crm.tenant.created", "crm.user.created"}, subjects)

	// A failed sign-up (taken subdomain) writes nothing.
	r := subgraphstest.Do(t, c.URLs["identity"], "", `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken } }`,
		map[string]any{"in": map[string]any{"organizationName": "Again", "subdomain": sub, "email": "b@ev.example.com",
			"password": "s3cret-enough pass", "firstName": "A", "lastName": "B"}})
	assert.Equal(t, "CONFLICT", r.Code())
	var n int
	require.NoError(t, c.DB.Pool.QueryRow(context.Background(), "SELECT count(*) FROM platform.outbox WHERE payload->>'data' LIKE '%b@ev.example.com%'").Scan(&n))
	assert.Zero(t, n)
}

func TestScalarErrorsNameTheInputField(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	token := c.Token(t, auth.Identity{UserID: tenancy.NewID(), TenantID: tenancy.NewID(), Role: auth.RoleAdmin})
	r := subgraphstest.Do(t, c.URLs["deal"], token, `mutation($d: Date) { createDeal(input: {title: "x", expectedCloseDate: $d}) { id } }`, map[string]any{"d": "2026-13-45"})
	assert.Equal(t, "BAD_USER_INPUT", r.Code())
	assert.Equal(t, "input.expectedCloseDate", r.Field())
	r = subgraphstest.Do(t, c.URLs["contact"], token, `mutation($c: JSON) { createCompany(input: {name: "x", customFields: $c}) { id } }`, map[string]any{"c": []any{1}})
	assert.Equal(t, "input.customFields", r.Field())
}

func TestNestedPagesMultiplyIntoTheObjectLimit(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	tn, err := c.DB.Provision(context.Background(), "Pages", "pages-"+strings.ToLower(tenancy.NewID()[20:]), func(pgx.Tx, tenancy.Tenant) error { return nil })
	require.NoError(t, err)
	token := c.Token(t, auth.Identity{UserID: tenancy.NewID(), TenantID: tn.ID, Role: auth.RoleViewer})
	nested := `query($n: Int) { companies(first: $n) { edges { node { contacts(first: $n) { edges { node {
		company { contacts(first: $n) { edges { node { id } } } } } } } } } } }`
	r := subgraphstest.Do(t, c.URLs["contact"], token, nested, map[string]any{"n": 100})
	assert.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", r.Code(), "100 x 100 x 100 objects could come back")
	assert.Contains(t, r.Errors[0].Message, "smaller pages")
	r = subgraphstest.Do(t, c.URLs["contact"], token, nested, map[string]any{"n": 10})
	assert.Empty(t, r.Errors, "10 x 10 x 10 is fine")
}

func TestTwentyTenantsWritingAndReadingAtOnceSeeOnlyTheirOwnRows(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	type org struct{ id, token string }
	orgs := make([]org, 20)
	for i := range orgs {
		tn, err := c.DB.Provision(context.Background(), "Iso", "iso-"+strings.ToLower(tenancy.NewID()[20:]), func(pgx.Tx, tenancy.Tenant) error { return nil })
		require.NoError(t, err)
		orgs[i] = org{id: tn.ID, token: c.Token(t, auth.Identity{UserID: tenancy.NewID(), TenantID: tn.ID, Role: auth.RoleAdmin})}
	}
	var wg sync.WaitGroup
	for _, o := range orgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				r := subgraphstest.Do(t, c.URLs["contact"], o.token, `mutation($n: String!) { createCompany(input: {name: $n}) { id } }`,
					map[string]any{"n": fmt.Sprintf("%s-%d", o.id, i)})
				assert.Empty(t, r.Errors)
				var out struct {
					Companies struct {
						TotalCount int
						Edges      []struct{ Node struct{ Name string } }
					}
				}
				subgraphstest.Do(t, c.URLs["contact"], o.token, `{ companies(first: 100) { totalCount edges { node { name } } } }`, nil).Decode(t, &out)
				assert.Equal(t, i+1, out.Companies.TotalCount)
				for _, e := range out.Companies.Edges {
					assert.True(t, strings.HasPrefix(e.Node.Name, o.id), "tenant %s saw %s", o.id, e.Node.Name)
				}
			}
		}()
	}
	wg.Wait()
}
