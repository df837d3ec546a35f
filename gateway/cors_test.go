package gateway_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
)

func TestBrowsersOfAllowedOriginsMayCallTheGraph(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *gateway.Config) { c.AllowedOrigins = []string{"https://app.example.com/"} })
	preflight := func(origin string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, b.URL+"/graphql", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	resp := preflight("https://app.example.com")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "https://app.example.com", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "Authorization")
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"), "tokens, not cookies")

	resp = preflight("https://evil.example.com")
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

	r := b.query(t, `{ tenantBySubdomain(subdomain: "t1") { name } }`, "Origin", "https://app.example.com")
	assert.Equal(t, "https://app.example.com", r.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, r.Header.Get("Access-Control-Expose-Headers"), "RateLimit-Remaining")
	assert.Equal(t, 1, b.subgraphCalls(), "only the query reached a subgraph, no preflight")
}

func TestWithoutAllowedOriginsThereAreNoCORSHeaders(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.query(t, `{ tenantBySubdomain(subdomain: "t1") { name } }`, "Origin", "https://app.example.com")
	assert.Empty(t, r.Header.Get("Access-Control-Allow-Origin"))
}
