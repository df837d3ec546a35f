package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
	"github.com/opencrm/opencrm/subgraphs/webhooks"
	"github.com/opencrm/opencrm/subgraphs/webhooks/graph"
)

// fast is the retry schedule of tests: every retry 50 ms later.
var fast = []time.Duration{50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond,
	50 * time.Millisecond, 50 * time.Millisecond, 50 * time.Millisecond}

// testConfig is the configuration of tests: http and loopback allowed (the
// receivers are httptest servers), short retries.
func testConfig() webhooks.Config {
	c := webhooks.Config{Development: true, Schedule: fast, PollInterval: 50 * time.Millisecond, Timeout: 2 * time.Second}
	c.Egress.AllowLoopback = true
	return c
}

// env is a test's world: the cluster, an organisation of its own, the
// webhooks subgraph served by a service whose consumer and sender serve
// only that organisation.
type env struct {
	c        *subgraphstest.Cluster
	svc      *webhooks.Service
	url      string
	tenantID string
	users    map[auth.Role]auth.Identity
	consumer string // the durable consumer's name, once started
}

func setup(t testing.TB, cfg webhooks.Config) *env {
	t.Helper()
	c := subgraphstest.Start(t)
	e := &env{c: c, users: map[auth.Role]auth.Identity{}}
	e.tenantID = provision(t, c)
	for _, r := range auth.Roles {
		e.users[r] = auth.Identity{UserID: tenancy.NewID(), TenantID: e.tenantID, Role: r, Email: string(r) + "@acme.example.com"}
	}
	e.svc = webhooks.New(c.DB, cfg, nil)
	e.svc.Tenants = func(context.Context) ([]string, error) { return []string{e.tenantID}, nil }
	srv := httptest.NewServer(serve(e.svc, c.Deps))
	t.Cleanup(srv.Close)
	e.url = srv.URL + "/graphql"
	return e
}

func provision(t testing.TB, c *subgraphstest.Cluster) string {
	tn, err := c.DB.Provision(context.Background(), "Acme", "w-"+strings.ToLower(tenancy.NewID()[14:]),
		func(pgx.Tx, tenancy.Tenant) error { return nil })
	require.NoError(t, err)
	return tn.ID
}

// serve is the webhooks subgraph as the registry builds it, with svc.
func serve(svc *webhooks.Service, d subgraphs.Deps) http.Handler {
	return subgraphs.Service{Schema: graph.NewSchema(svc), Domain: auth.DomainWebhooks}.Handler("webhooks", d)
}

func (e *env) do(t testing.TB, r auth.Role, query string, vars map[string]any) subgraphstest.Response {
	t.Helper()
	return subgraphstest.Do(t, e.url, e.c.Token(t, e.users[r]), query, vars)
}

// run runs a worker until the test ends.
func run(t testing.TB, fn func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = fn(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// start runs the service's consumer (a durable consumer of the test's own
// on the package's stream) and sender for the rest of the test.
func (e *env) start(t testing.TB) { e.startWith(t, e.svc) }

// startWith runs svc's consumer and sender for the rest of the test.
func (e *env) startWith(t testing.TB, svc *webhooks.Service) {
	t.Helper()
	js := backbone(t, e.c.DB)
	c, err := svc.Consumer(js, stream, strings.ToLower(tenancy.NewID()))
	require.NoError(t, err)
	e.consumer = c.Name()
	run(t, c.Run)
	run(t, svc.Sender().Run)
}

// stream is the package's events stream, made afresh by every run; the
// relay publishes the package database's outbox to it.
var stream = events.Stream{Name: "TEST_WEBHOOKS", Prefix: "testwebhooks", MaxAge: time.Hour}

var (
	backboneOnce sync.Once
	backboneJS   jetstream.JetStream
	backboneErr  error
)

func backbone(t testing.TB, db *tenancy.DB) jetstream.JetStream {
	backboneOnce.Do(func() {
		_, js, err := events.Connect(testenv.NATSURL(), "webhooks tests")
		if err != nil {
			backboneErr = err
			return
		}
		_ = js.DeleteStream(context.Background(), stream.Name)
		if backboneErr = stream.Ensure(context.Background(), js); backboneErr != nil {
			return
		}
		backboneJS = js
		go func() {
			_ = events.NewRelay(db, js, events.RelayConfig{Stream: stream, PollInterval: 100 * time.Millisecond}).Run(context.Background())
		}()
	})
	require.NoError(t, backboneErr)
	return backboneJS
}

// emit writes an event of the tenant to the outbox, as a subgraph's write
// would, and returns its id.
func emit(t testing.TB, db *tenancy.DB, tenantID string, typ events.Type, data any) string {
	t.Helper()
	ev, err := events.New(typ, tenantID, tenancy.NewID(), data)
	require.NoError(t, err)
	require.NoError(t, db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		return events.Publish(context.Background(), tx, ev)
	}))
	return ev.ID
}

// received is a webhook a receiver accepted, its signature verified.
type received struct {
	ID, Signature string
	Body          map[string]any
}

// receiver is an httptest server that verifies each webhook with the
// Standard Webhooks library and keeps those that verify; Down makes it
// answer 503.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	secrets  []string
	got      []received
	bad      int
	down     bool
	requests int
}

func newReceiver(t testing.TB) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) URL() string { return r.srv.URL + "/hook" }

// Trust sets the secrets a webhook may verify with (any of them).
func (r *receiver) Trust(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = secrets
}

func (r *receiver) SetDown(down bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = down
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if r.down {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	for _, s := range r.secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			continue
		}
		if wh.Verify(body, req.Header) == nil {
			var m map[string]any
			_ = json.Unmarshal(body, &m)
			r.got = append(r.got, received{ID: req.Header.Get("webhook-id"), Signature: req.Header.Get("webhook-signature"), Body: m})
			_, _ = io.WriteString(w, `{"ok":true}`)
			return
		}
	}
	r.bad++
	http.Error(w, "bad signature", http.StatusUnauthorized)
}

func (r *receiver) Got() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (r *receiver) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// ids are the webhook-ids received.
func (r *receiver) ids() []string {
	var out []string
	for _, g := range r.Got() {
		out = append(out, g.ID)
	}
	return out
}

// waitFor waits until a webhook of each id has arrived.
func (r *receiver) waitFor(t testing.TB, ids ...string) {
	t.Helper()
	require.Eventually(t, func() bool {
		have := map[string]bool{}
		for _, id := range r.ids() {
			have[id] = true
		}
		for _, id := range ids {
			if !have[id] {
				return false
			}
		}
		return true
	}, 20*time.Second, 20*time.Millisecond, "webhooks %v did not all arrive; got %v", ids, r.ids())
}

const createEndpoint = `mutation($in: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $in) { secret endpoint { id url eventTypes enabled filter } } }`

// endpoint registers an endpoint as the admin and returns its id and secret.
func (e *env) endpoint(t testing.TB, in map[string]any) (string, string) {
	t.Helper()
	var out struct {
		CreateWebhookEndpoint struct {
			Secret   string
			Endpoint struct{ ID string }
		}
	}
	e.do(t, auth.RoleAdmin, createEndpoint, map[string]any{"in": in}).Decode(t, &out)
	return out.CreateWebhookEndpoint.Endpoint.ID, out.CreateWebhookEndpoint.Secret
}

// idle waits until the tenant has nothing left to deliver: every delivery
// succeeded or failed.
func (e *env) idle(t testing.TB) {
	t.Helper()
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, e.c.DB.InTenant(context.Background(), e.tenantID, func(tx pgx.Tx) error {
			return tx.QueryRow(context.Background(), "SELECT count(*) FROM webhook_deliveries WHERE status = 'pending'").Scan(&n)
		}))
		return n == 0
	}, 20*time.Second, 20*time.Millisecond)
}

// handled waits until the test's consumer has seen an event (it is
// recorded handled in the tenant's schema).
func (e *env) handled(t testing.TB, eventID string) {
	t.Helper()
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, e.c.DB.InTenant(context.Background(), e.tenantID, func(tx pgx.Tx) error {
			return tx.QueryRow(context.Background(), "SELECT count(*) FROM handled_events WHERE consumer = $1 AND event_id = $2", e.consumer, eventID).Scan(&n)
		}))
		return n > 0
	}, 20*time.Second, 20*time.Millisecond, "event %s not handled", eventID)
}

func doAs(t testing.TB, url, token, query string, vars map[string]any) subgraphstest.Response {
	t.Helper()
	return subgraphstest.Do(t, url, token, query, vars)
}
