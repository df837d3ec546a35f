package gateway_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
)

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func TestThePlaygroundIsServedFromTheBinary(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, page := get(t, b.URL+"/")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'")
	assert.Contains(t, page, `id="token"`, "a field to paste an access token")
	assert.NotContains(t, page, "https://", "no CDN")
	for _, asset := range []string{"graphiql.min.js", "graphiql.min.css", "react.production.min.js", "react-dom.production.min.js", "playground.js", "playground.css"} {
		assert.Contains(t, page, "/playground/"+asset)
		resp, body := get(t, b.URL+"/playground/"+asset)
		assert.Equal(t, http.StatusOK, resp.StatusCode, asset)
		assert.NotEmpty(t, body, asset)
	}
	_, js := get(t, b.URL+"/playground/playground.js")
	assert.Contains(t, js, `fetch("/graphql"`, "the endpoint is preset")
	resp, _ = get(t, b.URL+"/nope")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestThePlaygroundRunsQueriesInChromium drives the page in headless
// Chromium (Debian's chromium package; `make test` installs it). It is
// skipped only where no Chromium is installed.
func TestThePlaygroundRunsQueriesInChromium(t *testing.T) {
	t.Parallel()
	browser := os.Getenv("CHROMIUM")
	if browser == "" {
		browser = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(browser); err != nil {
		t.Skipf("no Chromium at %s (apt-get install chromium): %v", browser, err)
	}
	dir, err := filepath.Abs("playground")
	require.NoError(t, err)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		out, err := exec.Command("npm", "ci", "--prefix", dir, "--prefer-offline", "--no-audit", "--no-fund").CombinedOutput()
		require.NoError(t, err, "npm ci in gateway/playground: %s", out)
	}
	b := setup(t, func(c *gateway.Config) { c.Introspection = true })

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "check.mjs", b.URL, b.token(t))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CHROMIUM="+browser)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.True(t, strings.Contains(string(out), "playground ok"), "%s", out)
	assert.NotEmpty(t, b.Tenant.Requests(), "the query reached the graph")
}
