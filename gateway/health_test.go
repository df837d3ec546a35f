package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
	"github.com/opencrm/opencrm/pkg/gqlserver"
)

func health(t *testing.T, url string) (int, gqlserver.HealthReport) {
	t.Helper()
	resp, err := http.Get(url + "/health")
	require.NoError(t, err)
	defer resp.Body.Close()
	var rep gqlserver.HealthReport
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&rep))
	return resp.StatusCode, rep
}

func TestHealthAggregatesEverySubgraph(t *testing.T) {
	t.Parallel()
	b := setup(t)
	status, rep := health(t, b.URL)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "healthy", rep.Status)
	assert.True(t, rep.Dependencies["subgraph:identity"].Healthy)
	assert.True(t, rep.Dependencies["subgraph:tenant"].Healthy)

	b.Tenant.Server.Close()
	status, rep = health(t, b.URL)
	assert.Equal(t, http.StatusOK, status, "the rest of the graph still serves")
	assert.Equal(t, "degraded", rep.Status)
	assert.False(t, rep.Dependencies["subgraph:tenant"].Healthy)
	assert.NotEmpty(t, rep.Dependencies["subgraph:tenant"].Error)

	b.Identity.Server.Close()
	for _, other := range b.Others {
		other.Server.Close()
	}
	status, rep = health(t, b.URL)
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "unhealthy", rep.Status)

	resp, err := http.Get(b.URL + gqlserver.LivePath)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "alive (no restart) while every subgraph is down: liveness checks no dependency")
}

// A subgraph that says it is degraded (NATS down, say) makes the gateway
// degraded, not healthy; the identity subgraph down makes it unhealthy
// (503), since nobody can sign in; another subgraph down only degraded.
func TestHealthIsHonestAboutDegradedAndRequiredSubgraphs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.Tenant.SetHealth(http.StatusOK, `{"status":"degraded","dependencies":{"nats":{"healthy":false,"error":"no servers"},"redis":{"healthy":true}}}`)
	status, rep := health(t, b.URL)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "degraded", rep.Status)
	assert.False(t, rep.Dependencies["subgraph:tenant"].Healthy)
	assert.Equal(t, "degraded: nats not answering", rep.Dependencies["subgraph:tenant"].Error)
	assert.True(t, rep.Dependencies["subgraph:identity"].Healthy)

	b.Identity.SetHealth(http.StatusServiceUnavailable, `{"status":"unhealthy"}`)
	status, rep = health(t, b.URL)
	assert.Equal(t, http.StatusServiceUnavailable, status, "identity is required")
	assert.Equal(t, "unhealthy", rep.Status)

	b.Identity.SetHealth(http.StatusOK, `{"status":"healthy"}`)
	b.Tenant.SetHealth(http.StatusServiceUnavailable, `{"status":"unhealthy"}`)
	status, rep = health(t, b.URL)
	assert.Equal(t, http.StatusOK, status, "tenant is not required")
	assert.Equal(t, "degraded", rep.Status)

	b.Identity.Server.Close()
	status, rep = health(t, b.URL)
	assert.Equal(t, http.StatusServiceUnavailable, status, "identity unreachable")
	assert.Equal(t, "unhealthy", rep.Status)
}

func TestHealthReportsRedis(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *gateway.Config) { c.Redis = deadRedis(t) })
	_, rep := health(t, b.URL)
	assert.Equal(t, "degraded", rep.Status)
	assert.False(t, rep.Dependencies["redis"].Healthy)
}

func TestASubgraphThatIsDownGivesAnErrorNotAnOutage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.Tenant.Server.Close()
	r := b.query(t, `{ me { email tenant { name } } }`, "Authorization", bearer(b.token(t)))
	assert.Equal(t, http.StatusOK, r.Status)
	require.NotEmpty(t, r.Body.Errors)
	assert.Contains(t, r.Raw, "tenant", "the error names the subgraph")
	for _, e := range r.Body.Errors {
		assert.Equal(t, "SERVICE_UNAVAILABLE", e.Extensions["code"], "every error is coded, as one to retry: %s", r.Raw)
		assert.Equal(t, true, e.Extensions["retryable"])
	}
	assert.Equal(t, "u1@example.com", r.Body.Data["me"].(map[string]any)["email"], "what the other subgraph gave is kept")
}

func TestMetricsCountOperationsAndTimeSubgraphFetches(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.query(t, map[string]any{"query": `query Me { me { email tenant { name } } }`, "operationName": "Me"}, "Authorization", bearer(b.token(t)))
	b.query(t, `query Me { me { email } }`) // named only in the document

	resp, err := http.Get(b.URL + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	text := string(raw)
	for _, want := range []string{
		`gateway_requests_total{operation="Me",outcome="ok"} 1`,
		`gateway_requests_total{operation="Me",outcome="UNAUTHENTICATED"} 1`,
		`gateway_request_duration_seconds_count{operation="Me"} 2`,
		`gateway_subgraph_fetch_duration_seconds_count{status="200",subgraph="identity"} 1`,
		`gateway_subgraph_fetch_duration_seconds_count{status="200",subgraph="tenant"} 1`,
		`go_goroutines`,
	} {
		assert.True(t, strings.Contains(text, want), "metrics lack %s", want)
	}
}

// A subgraph slower than its fetch deadline costs only its own fields: the
// client gets what the others answered at once and a retryable
// SERVICE_UNAVAILABLE naming the slow one, long before the request's
// timeout.
func TestASlowSubgraphCostsOnlyItsOwnFields(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *gateway.Config) {
		c.SubgraphTimeout = 5 * time.Second
		c.SubgraphTimeouts = map[string]time.Duration{"comms": 300 * time.Millisecond}
	})
	for _, o := range b.Others {
		o.SetDelay(3 * time.Second)
	}
	start := time.Now()
	r := b.query(t, `{ me { id email } task(id: "01M8TPESG11BMP7CTN5GSZSKN2") { title } }`, "Authorization", bearer(b.token(t)))
	assert.Less(t, time.Since(start), 2*time.Second, "comms is not waited for")
	assert.Equal(t, http.StatusOK, r.Status, r.Raw)
	require.NotNil(t, r.Body.Data, r.Raw)
	assert.Equal(t, "u1@example.com", r.Body.Data["me"].(map[string]any)["email"], "identity's answer is kept: %s", r.Raw)
	require.NotEmpty(t, r.Body.Errors)
	assert.Equal(t, "SERVICE_UNAVAILABLE", r.code(), r.Raw)
	assert.Contains(t, r.Body.Errors[0].Message, "comms")
	assert.Equal(t, true, r.Body.Errors[0].Extensions["retryable"])
	assert.NotContains(t, r.Raw, "context deadline", "no internals")

	// A non-null field of the slow subgraph nulls the whole answer, as
	// GraphQL requires, and every error says why.
	r = b.query(t, `{ me { id email } tasks(first: 1) { totalCount } }`, "Authorization", bearer(b.token(t)))
	require.NotEmpty(t, r.Body.Errors, r.Raw)
	for _, e := range r.Body.Errors {
		assert.Equal(t, "SERVICE_UNAVAILABLE", e.Extensions["code"], r.Raw)
	}
}

// With a metrics token, /metrics answers only a scraper that sends it: the
// public port no longer shows operation names and latencies to anyone.
func TestMetricsNeedTheirTokenWhenOneIsSet(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *gateway.Config) { c.MetricsToken = "s3cret-metrics-token" })
	get := func(authorization string) (int, string) {
		req, err := http.NewRequest(http.MethodGet, b.URL+"/metrics", nil)
		require.NoError(t, err)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(raw)
	}
	for _, bad := range []string{"", "Bearer wrong", "s3cret-metrics-token", bearer(b.token(t))} {
		status, body := get(bad)
		assert.Equal(t, http.StatusUnauthorized, status, bad)
		assert.NotContains(t, body, "gateway_requests_total")
	}
	status, body := get("Bearer s3cret-metrics-token")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "go_goroutines")
}
