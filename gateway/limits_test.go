package gateway_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
)

// refusedWithoutSubgraphCalls asserts a request is refused with the status
// and code, and that no subgraph was called.
func refusedWithoutSubgraphCalls(t *testing.T, b *bundle, r response, status int, code string) {
	t.Helper()
	assert.Equal(t, status, r.Status, r.Raw)
	assert.Equal(t, code, r.code(), r.Raw)
	assert.Zero(t, b.subgraphCalls())
}

func TestABodyOverTheLimitIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *gateway.Config) { c.Limits.MaxBodyBytes = 256 })
	r := b.query(t, `{ tenantBySubdomain(subdomain: "`+strings.Repeat("a", 300)+`") { name } }`)
	refusedWithoutSubgraphCalls(t, b, r, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE")
}

func TestBatchedRequestsAreRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.query(t, []byte(` [{"query":"{ __typename }"},{"query":"{ __typename }"}]`))
	refusedWithoutSubgraphCalls(t, b, r, http.StatusBadRequest, "BATCHING_NOT_SUPPORTED")
}

func TestAnOperationNestedTooDeepIsRefusedEvenInFragments(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *gateway.Config) { c.Limits.MaxDepth = 4 })
	tok := bearer(b.token(t))
	// users > edges > node > tenant > name is 5 deep; the fragment hides nothing.
	r := b.query(t, `{ users { edges { node { ...U } } } } fragment U on User { tenant { name } }`, "Authorization", tok)
	refusedWithoutSubgraphCalls(t, b, r, http.StatusBadRequest, "DEPTH_LIMIT_EXCEEDED")

	r = b.query(t, `{ users { edges { node { email } } } }`, "Authorization", tok)
	assert.Empty(t, r.Body.Errors, "4 deep is allowed: %s", r.Raw)
}

func TestAnOperationSelectingTooMuchIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *gateway.Config) { c.Limits.MaxNodes = 10; c.Limits.MaxFields = 40 })
	tok := bearer(b.token(t))
	many := func(n int, sel string) string {
		var q strings.Builder
		q.WriteString("{ me { ")
		for i := range n {
			fmt.Fprintf(&q, "...on User { %s } ", strings.ReplaceAll(sel, "$", fmt.Sprint(i)))
		}
		q.WriteString("} }")
		return q.String()
	}
	// Repeating one field is merged by normalization; aliases keep them apart.
	r := b.query(t, many(12, "t$: tenant { id }"), "Authorization", tok)
	refusedWithoutSubgraphCalls(t, b, r, http.StatusBadRequest, "COMPLEXITY_LIMIT_EXCEEDED")
	assert.Contains(t, r.Body.Errors[0].Message, "object fields")

	b2 := setup(t, func(c *gateway.Config) { c.Limits.MaxFields = 40; c.Limits.MaxAliases = 100 })
	r = b2.query(t, many(45, "e$: email"), "Authorization", bearer(b2.token(t)))
	refusedWithoutSubgraphCalls(t, b2, r, http.StatusBadRequest, "COMPLEXITY_LIMIT_EXCEEDED")
}

func TestTooManyAliasesAreRefused(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *gateway.Config) { c.Limits.MaxAliases = 3 })
	r := b.query(t, `{ a: tenantBySubdomain(subdomain: "a") { id } b: tenantBySubdomain(subdomain: "b") { id }
		c: tenantBySubdomain(subdomain: "c") { id } d: tenantBySubdomain(subdomain: "d") { id } }`)
	refusedWithoutSubgraphCalls(t, b, r, http.StatusBadRequest, "TOO_MANY_ALIASES")
}

func TestARequestOverTheTimeoutIsCutShort(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *gateway.Config) { c.Limits.Timeout = 200 * time.Millisecond })
	b.Tenant.SetDelay(2 * time.Second)
	start := time.Now()
	r := b.query(t, `{ tenantBySubdomain(subdomain: "t1") { name } }`)
	assert.Less(t, time.Since(start), 1500*time.Millisecond, "the 2 s subgraph is not waited for")
	assert.Equal(t, http.StatusGatewayTimeout, r.Status, r.Raw)
	assert.Equal(t, "TIMEOUT", r.code(), r.Raw)
}

func TestInvalidOperationsAreRefusedWithTheirErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for q, code := range map[string]string{
		`{ tenantBySubdomain(subdomain: "t1") { nope } }`:                    "GRAPHQL_VALIDATION_FAILED",
		`{ tenantBySubdomain(subdomain: 1) { name } }`:                       "GRAPHQL_VALIDATION_FAILED",
		`query A { __typename } query B { __typename }`:                      "GRAPHQL_VALIDATION_FAILED",
		`{ tenantBySubdomain(subdomain: "t1") { name }`:                      "GRAPHQL_PARSE_FAILED",
		`{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`: "GRAPHQL_VALIDATION_FAILED",
	} {
		r := b.query(t, q)
		assert.Equal(t, http.StatusBadRequest, r.Status, q)
		assert.Equal(t, code, r.code(), "%s: %s", q, r.Raw)
	}
	req, err := http.NewRequest(http.MethodPost, b.URL+"/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "text/plain")
	r := do(t, req)
	assert.Equal(t, http.StatusUnsupportedMediaType, r.Status, "a form of another site cannot post")
	r = b.query(t, []byte(`{"query": 5}`))
	assert.Equal(t, "BAD_REQUEST", r.code())
	r = b.query(t, map[string]any{"query": `query($s: String!) { tenantBySubdomain(subdomain: $s) { name } }`, "variables": []int{1}})
	assert.Equal(t, "BAD_REQUEST", r.code())
	assert.Zero(t, b.subgraphCalls())
}

func TestGetServesQueriesButNotMutations(t *testing.T) {
	t.Parallel()
	b := setup(t)
	get := func(q string) response {
		req, err := http.NewRequest(http.MethodGet, b.URL+"/graphql?query="+url.QueryEscape(q), nil)
		require.NoError(t, err)
		return do(t, req)
	}
	r := get(`{ tenantBySubdomain(subdomain: "t1") { name } }`)
	assert.Empty(t, r.Body.Errors, r.Raw)
	r = get(`mutation { login(input: {subdomain: "t1", email: "a@b.co", password: "pw"}) { accessToken } }`)
	assert.Equal(t, http.StatusMethodNotAllowed, r.Status)
	assert.Len(t, b.Identity.Requests(), 0, "a GET never runs a mutation")
}

// fragmentBomb is a document of about 400 bytes whose fragments each spread
// the previous one ten times: expanded, it selects a million fields.
func fragmentBomb() string {
	var q strings.Builder
	q.WriteString("{...g}fragment a on Query{__typename}")
	for i := 1; i <= 6; i++ {
		fmt.Fprintf(&q, "fragment %c on Query{%s}", 'a'+i, strings.Repeat(fmt.Sprintf("...%c ", 'a'+i-1), 10))
	}
	return q.String()
}

// A fragment bomb is refused in milliseconds, before the normalizer expands
// it, even from an anonymous caller.
func TestAFragmentBombIsRefusedBeforeItIsExpanded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bomb := fragmentBomb()
	require.Less(t, len(bomb), 500)
	start := time.Now()
	r := b.query(t, bomb)
	assert.Less(t, time.Since(start), time.Second, "refused without expanding")
	refusedWithoutSubgraphCalls(t, b, r, http.StatusBadRequest, "COMPLEXITY_LIMIT_EXCEEDED")
	assert.Contains(t, r.Body.Errors[0].Message, "fragments")

	// Fragments spread a few times stay fine.
	r = b.query(t, `{ ...A ...A } fragment A on Query { ...B ...B } fragment B on Query { tenantBySubdomain(subdomain: "t1") { name } }`)
	assert.Empty(t, r.Body.Errors, r.Raw)
}

// The cost of an operation is counted over the whole federated graph:
// companies (contact) > contacts (contact) > deals (deal) > tasks (comms) is
// 36 million potential objects across three subgraphs, each of which alone
// sees a small query; the gateway refuses it before any subgraph is called.
func TestAnOperationThatCouldReturnTooManyObjectsAcrossSubgraphsIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := bearer(b.token(t))
	calls := func() int {
		n := b.subgraphCalls()
		for _, o := range b.Others {
			n += len(o.Requests())
		}
		return n
	}
	const nested = `query($c: Int, $k: Int = 60, $t: Int = 100) { companies(first: $c) { edges { node { contacts(first: $k) { edges { node {
		deals(first: 100) { edges { node { tasks(first: $t) { totalCount } } } } } } } } } } }`
	for _, body := range []any{
		`{ companies(first: 60) { edges { node { contacts(first: 60) { edges { node { deals(first: 100) { edges { node { tasks(first: 100) { totalCount } } } } } } } } } } }`,
		map[string]any{"query": nested, "variables": map[string]any{"c": 60}},
		map[string]any{"query": nested}, // companies 20 by default, tasks 100 by the variable's default
		// Plain lists count too: 5 ancestors each.
		`{ companies(first: 100) { edges { node { ancestors { descendants { childCompanies { contacts(first: 100) { totalCount } } } } } } } }`,
	} {
		r := b.query(t, body, "Authorization", tok)
		assert.Equal(t, http.StatusBadRequest, r.Status, r.Raw)
		assert.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", r.code(), r.Raw)
		assert.Contains(t, r.Body.Errors[0].Message, "objects")
	}
	assert.Zero(t, calls(), "no subgraph is called")

	// Small pages of the same nesting, and the 500-deal board, pass the
	// limit (the fake subgraphs then answer them with errors of their own).
	for _, body := range []any{
		map[string]any{"query": nested, "variables": map[string]any{"c": 2, "k": 2, "t": 1}},
		pipelineViewQuery,
		`query($n: Int) { pipelineView(dealsPerStage: $n) { stages { deals { title company { name } } } } }`,
	} {
		r := b.query(t, body, "Authorization", tok)
		assert.NotEqual(t, "COMPLEXITY_LIMIT_EXCEEDED", r.code(), r.Raw)
	}
	assert.NotZero(t, calls())

	// dealsPerStage sizes each stage's deals.
	small := setup(t, func(c *gateway.Config) { c.Limits.MaxObjects = 1000 })
	r := small.query(t, map[string]any{"query": `query($n: Int) { pipelineView(dealsPerStage: $n) { stages { deals { title } } } }`,
		"variables": map[string]any{"n": 500}}, "Authorization", bearer(small.token(t)))
	assert.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", r.code(), r.Raw)
	r = small.query(t, `{ pipelineView(dealsPerStage: 10) { stages { deals { title } } } }`, "Authorization", bearer(small.token(t)))
	assert.NotEqual(t, "COMPLEXITY_LIMIT_EXCEEDED", r.code(), r.Raw)
}

func TestVariablesNestedTooDeepAreRefusedNotAnInternalError(t *testing.T) {
	t.Parallel()
	b := setup(t)
	deep := func(levels int) string {
		return strings.Repeat(`{"a":`, levels) + `1` + strings.Repeat(`}`, levels)
	}
	// 300 levels once made the engine's JSON parser give up: HTTP 500.
	for _, levels := range []int{40, 300, 5000} {
		r := b.query(t, []byte(`{"query":"query($v: JSON) { __typename }","variables":{"v":`+deep(levels)+`}}`))
		refusedWithoutSubgraphCalls(t, b, r, http.StatusBadRequest, "DEPTH_LIMIT_EXCEEDED")
	}
	// Braces inside strings are not nesting.
	r := b.query(t, []byte(`{"query":"query($v: String) { __typename }","variables":{"v":"`+strings.Repeat(`{[`, 100)+`"}}`))
	assert.NotEqual(t, "DEPTH_LIMIT_EXCEEDED", r.code(), r.Raw)
}
