// Package subgraphstest starts every subgraph on free ports against the real
// PostgreSQL (and Redis), for integration and end-to-end tests, and gives
// tests a GraphQL client and the mail the subgraphs sent.
package subgraphstest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/cache"
	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/mail"
	"github.com/opencrm/opencrm/pkg/ratelimit"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/comms"
)

// Issuer and Audience of the cluster's tokens.
const (
	Issuer   = "opencrm-test"
	Audience = "opencrm-test-api"
)

// Cluster is every subgraph, served on free ports.
type Cluster struct {
	// URLs maps a subgraph's name to its GraphQL endpoint.
	URLs      map[string]string
	Keys      *auth.KeySet
	KeySource auth.KeySource
	Issuer    string
	Audience  string
	Mail      *Mailbox
	DB        *tenancy.DB
	Deps      subgraphs.Deps
}

// cachePrefix namespaces this test process's cache keys. The test database
// is dropped and created afresh by each process while Redis is shared by
// every run: with one namespace a lookup cached by an earlier run (a
// subdomain, a tenant) would name an organisation this database never had.
var cachePrefix = "test:" + tenancy.NewID()

// Start serves every subgraph for the test; they stop when it ends.
func Start(t testing.TB) *Cluster {
	t.Helper()
	keys, err := auth.ParseKeySet(auth.GenerateKeySpec("test"))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := cache.New(cache.Config{URL: testenv.RedisURL(), Prefix: cachePrefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Close() })
	rdb := rc.Client()
	c := &Cluster{
		URLs: map[string]string{}, Keys: keys, KeySource: keys, Issuer: Issuer, Audience: Audience,
		Mail: &Mailbox{},
		DB:   testenv.DB(t, "subgraphs", subgraphs.TenantDomains()...),
	}
	c.DB.Cache = rc
	c.Deps = subgraphs.Deps{
		DB:            c.DB,
		Keys:          keys,
		Issuer:        &auth.Issuer{Keys: keys, Issuer: Issuer, Audience: Audience},
		Verifier:      &auth.Verifier{Keys: keys, Issuer: Issuer, Audience: Audience, Revocations: &auth.Revocations{Cache: rc}},
		Mail:          c.Mail,
		Limiter:       &ratelimit.Limiter{Redis: rdb},
		Metrics:       gqlserver.NewMetrics(),
		Introspection: true,
		// One comms service for its schema, routes and any workers a test runs.
		Comms: comms.New(c.DB, comms.Config{}, nil),
	}
	// Subgraphs start in the order of All, each with a handler built once the
	// URLs of those before it are known: the deal subgraph's client of the
	// contact subgraph needs its URL.
	c.Deps.SubgraphURLs = map[string]string{}
	for _, sg := range subgraphs.All {
		srv := httptest.NewServer(Handler(t, sg, c.Deps))
		t.Cleanup(srv.Close)
		c.URLs[sg.Name] = srv.URL + gqlserver.GraphQLPath
		c.Deps.SubgraphURLs[sg.Name] = c.URLs[sg.Name]
	}
	return c
}

// Handler builds the subgraph with deps and returns its handler.
func Handler(t testing.TB, sg subgraphs.Subgraph, deps subgraphs.Deps) http.Handler {
	t.Helper()
	h, err := sg.Handler(deps)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// Token returns an access token for an identity of the cluster.
func (c *Cluster) Token(t testing.TB, id auth.Identity) string {
	t.Helper()
	tok, _, err := c.Deps.Issuer.Issue(id)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// Mailbox records the mail the subgraphs send.
type Mailbox struct {
	mu   sync.Mutex
	sent []mail.Message
}

// Send implements mail.Sender.
func (m *Mailbox) Send(_ context.Context, msg mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, msg)
	return nil
}

// Last returns the newest message of a kind sent to an address.
func (m *Mailbox) Last(kind mail.Kind, to string) (mail.Message, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.sent) - 1; i >= 0; i-- {
		if m.sent[i].Kind == kind && strings.EqualFold(m.sent[i].To, to) {
			return m.sent[i], true
		}
	}
	return mail.Message{}, false
}

// Response is a GraphQL response.
type Response struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Status int `json:"-"`
}

// Code is the extensions.code of the first error, "" without errors.
func (r Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	s, _ := r.Errors[0].Extensions["code"].(string)
	return s
}

// Field is the extensions.field of the first error.
func (r Response) Field() string {
	if len(r.Errors) == 0 {
		return ""
	}
	s, _ := r.Errors[0].Extensions["field"].(string)
	return s
}

// Decode unmarshals data into v, failing the test on errors.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode %s: %v", r.Data, err)
	}
}

// Do posts a GraphQL operation to url, with a bearer token when token is
// not empty.
func Do(t testing.TB, url, token, query string, vars map[string]any) Response {
	t.Helper()
	return DoWithHeaders(t, url, http.Header{"Authorization": bearer(token)}, query, vars)
}

func bearer(token string) []string {
	if token == "" {
		return nil
	}
	return []string{"Bearer " + token}
}

// DoWithHeaders posts a GraphQL operation with the given headers.
func DoWithHeaders(t testing.TB, url string, h http.Header, query string, vars map[string]any) Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	// Each call comes from its own documentation-range client address, so
	// per-client limits (login failures) of one test never reach another.
	req.Header.Set("X-Forwarded-For", fmt.Sprintf("2001:db8::%x", rand.Uint32()))
	for k, v := range h {
		if len(v) > 0 {
			req.Header[http.CanonicalHeaderKey(k)] = v
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r Response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("decode response (%s): %v", resp.Status, err)
	}
	r.Status = resp.StatusCode
	return r
}
