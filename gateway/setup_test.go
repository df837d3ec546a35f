package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
	"github.com/opencrm/opencrm/gateway/internal/fakesub"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// bundle is a gateway in front of fake identity and tenant subgraphs, and
// what the tests need around it.
type bundle struct {
	URL      string // the gateway's base URL
	Gateway  *gateway.Gateway
	Identity *fakesub.Subgraph
	Tenant   *fakesub.Subgraph
	Others   []*fakesub.Subgraph // every other composed subgraph
	Issuer   *auth.Issuer
	User     auth.Identity
}

const users = 5

// setup starts fake subgraphs and a gateway in front of them; change
// adjusts the gateway's configuration.
func setup(t testing.TB, change ...func(*gateway.Config)) *bundle {
	t.Helper()
	keys, err := auth.ParseKeySet(auth.GenerateKeySpec("k1"))
	require.NoError(t, err)
	b := &bundle{
		Identity: fakesub.Identity(t, users),
		Tenant:   fakesub.Tenant(t),
		Issuer:   &auth.Issuer{Keys: keys, Issuer: "opencrm", Audience: "opencrm-api"},
		User:     auth.Identity{UserID: tenancy.NewID(), TenantID: tenancy.NewID(), Email: "a@example.com", Role: auth.RoleAdmin},
	}
	cfg := gateway.Config{
		Subgraphs: map[string]string{},
		Keys:      keys,
		Issuer:    "opencrm",
		Audience:  "opencrm-api",
		Logger:    slog.New(slog.DiscardHandler),
	}
	for _, name := range composedSubgraphs(t) {
		switch name {
		case "identity":
			cfg.Subgraphs[name] = b.Identity.URL
		case "tenant":
			cfg.Subgraphs[name] = b.Tenant.URL
		default:
			other := fakesub.Other(t)
			b.Others = append(b.Others, other)
			cfg.Subgraphs[name] = other.URL
		}
	}
	for _, c := range change {
		c(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	b.Gateway, err = gateway.New(ctx, cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(b.Gateway)
	t.Cleanup(srv.Close)
	b.URL = srv.URL
	return b
}

// composedSubgraphs are the names of the subgraphs in the router config
// (compose/subgraphs/ has their SDL): the tests fake every one of them.
func composedSubgraphs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("compose/subgraphs/*.graphql")
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".graphql"))
	}
	return names
}

// token returns a valid access token of the bundle's user.
func (b *bundle) token(t testing.TB) string {
	tok, _, err := b.Issuer.Issue(b.User)
	require.NoError(t, err)
	return tok
}

// subgraphCalls is how many requests both subgraphs received.
func (b *bundle) subgraphCalls() int {
	return len(b.Identity.Requests()) + len(b.Tenant.Requests())
}

// response is a gateway answer.
type response struct {
	Status int
	Header http.Header
	Body   struct {
		Data   map[string]any `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	Raw string
}

// code is the extensions.code of the first error, "" without errors.
func (r response) code() string {
	if len(r.Body.Errors) == 0 {
		return ""
	}
	c, _ := r.Body.Errors[0].Extensions["code"].(string)
	return c
}

// query posts a GraphQL request body with the headers given as name, value
// pairs.
func (b *bundle) query(t testing.TB, body any, headers ...string) response {
	t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		if s, isString := body.(string); isString {
			body = map[string]any{"query": s}
		}
		var err error
		raw, err = json.Marshal(body)
		require.NoError(t, err)
	}
	req, err := http.NewRequest(http.MethodPost, b.URL+"/graphql", bytes.NewReader(raw))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	return do(t, req)
}

func do(t testing.TB, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := response{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	require.NoError(t, json.Unmarshal(raw, &out.Body), "body: %s", raw)
	return out
}

func bearer(tok string) string { return "Bearer " + tok }

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// newServer serves h for the test and returns its base URL.
func newServer(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// expiredToken is a token of id that expired 45 minutes ago.
func expiredToken(t testing.TB, iss *auth.Issuer, id auth.Identity) string {
	t.Helper()
	old := *iss
	old.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	tok, _, err := old.Issue(id)
	require.NoError(t, err)
	return tok
}
