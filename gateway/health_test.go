package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

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
		assert.Equal(t, "INTERNAL", e.Extensions["code"], "every error is coded")
		assert.Equal(t, r.Header.Get("X-Request-ID"), e.Extensions["requestId"])
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
