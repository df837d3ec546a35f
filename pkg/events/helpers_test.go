package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/database"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/platform"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
)

// bundle is what a test works with: a database of its own with one tenant,
// and a stream of its own on a NATS server.
type bundle struct {
	db       *tenancy.DB
	tenantID string
	stream   events.Stream
	nc       *nats.Conn
	js       jetstream.JetStream
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// setup gives the test its own database (named after the test: relays claim
// every row of an outbox, so tests cannot share one), a tenant, and a stream
// with its own name and subject prefix on the NATS server at natsURL.
func setup(t testing.TB, natsURL string) *bundle {
	t.Helper()
	b := &bundle{db: openDB(t), stream: uniqueStream()}
	tn, err := b.db.Provision(context.Background(), "Acme", "t-"+strings.ToLower(tenancy.NewID()[14:]),
		func(pgx.Tx, tenancy.Tenant) error { return nil })
	require.NoError(t, err)
	b.tenantID = tn.ID
	b.nc, b.js, err = events.Connect(natsURL, t.Name())
	require.NoError(t, err)
	t.Cleanup(b.nc.Close)
	t.Cleanup(func() { _ = b.js.DeleteStream(context.Background(), b.stream.Name) })
	return b
}

func openDB(t testing.TB) *tenancy.DB {
	t.Helper()
	name := "ev_" + nonWord.ReplaceAllString(strings.ToLower(t.Name()), "_")
	pool, err := database.NewPool(context.Background(), testenv.DatabaseURL(t, name[:min(len(name), 45)]),
		database.Options{MaxConns: 8, MinConns: 1})
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	db := &tenancy.DB{Pool: pool, Platform: platform.Domains(), Tenant: []tenancy.Domain{
		{Name: "events", FS: events.TenantMigrations()},
		{Name: "events_test", FS: os.DirFS("testdata/applied")},
	}}
	require.NoError(t, db.Setup(context.Background()))
	// The database is this test's alone: clear what an earlier run left.
	_, err = pool.Exec(context.Background(), "TRUNCATE platform.outbox, platform.parked_events")
	require.NoError(t, err)
	return db
}

func uniqueStream() events.Stream {
	id := strings.ToLower(tenancy.NewID())
	return events.Stream{Name: "TEST_" + strings.ToUpper(id), Prefix: "t" + id}
}

// emit commits n contact.created events in transactions of up to 100 and
// returns their ids.
func (b *bundle) emit(t testing.TB, n int) []string {
	t.Helper()
	var ids []string
	for len(ids) < n {
		err := b.db.InTenant(context.Background(), b.tenantID, func(tx pgx.Tx) error {
			for range min(100, n-len(ids)) {
				e, err := events.New(events.ContactCreated, b.tenantID, "", events.ContactPayload{ContactID: tenancy.NewID()})
				if err != nil {
					return err
				}
				if err := events.Publish(context.Background(), tx, e); err != nil {
					return err
				}
				ids = append(ids, e.ID)
			}
			return nil
		})
		require.NoError(t, err)
	}
	return ids
}

// relay starts a relay of the bundle's outbox, stopped when the test ends.
func (b *bundle) relay(t testing.TB, cfg events.RelayConfig) *events.Relay {
	cfg.Stream = b.stream
	r := events.NewRelay(b.db, b.js, cfg)
	run(t, r.Run)
	return r
}

// consume starts a consumer whose handler records each event it applies in
// the tenant's applied table, after fn (if any) has had its say.
func (b *bundle) consume(t testing.TB, cfg events.ConsumerConfig, fn events.Handler) *events.Consumer {
	t.Helper()
	cfg.Stream = b.stream
	var c *events.Consumer
	c, err := events.NewConsumer(b.db, b.js, cfg, func(ctx context.Context, tx pgx.Tx, e events.Event) error {
		if fn != nil {
			if err := fn(ctx, tx, e); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, "INSERT INTO applied (consumer, event_id) VALUES ($1, $2)", c.Name(), e.ID)
		return err
	})
	require.NoError(t, err)
	run(t, c.Run)
	return c
}

// applied returns the event ids consumer applied, one entry per application.
func (b *bundle) applied(t testing.TB, consumer string) []string {
	t.Helper()
	var ids []string
	err := b.db.InTenant(context.Background(), b.tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(context.Background(), "SELECT event_id FROM applied WHERE consumer = $1", consumer)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	require.NoError(t, err)
	return ids
}

// unsent counts the outbox rows not yet published.
func (b *bundle) unsent(t testing.TB) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.Pool.QueryRow(context.Background(),
		"SELECT count(*) FROM platform.outbox WHERE sent_at IS NULL").Scan(&n))
	return n
}

// streamMessages is how many messages the bundle's stream holds.
func (b *bundle) streamMessages(t testing.TB) uint64 {
	t.Helper()
	s, err := b.js.Stream(context.Background(), b.stream.Name)
	if err != nil {
		return 0
	}
	info, err := s.Info(context.Background())
	require.NoError(t, err)
	return info.State.Msgs
}

// run runs fn in the background until the test ends, then stops it and
// waits for it to return.
func run(t testing.TB, fn func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
}

// natsServer is a NATS server of the test's own, which it may stop and
// start again; its JetStream store survives restarts.
type natsServer struct {
	t        testing.TB
	port     int
	storeDir string
	mu       sync.Mutex
	cmd      *exec.Cmd
}

func startNATS(t testing.TB) *natsServer {
	t.Helper()
	s := &natsServer{t: t, port: freePort(t), storeDir: t.TempDir()}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *natsServer) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

func (s *natsServer) start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command("/usr/sbin/nats-server", "-a", "127.0.0.1", "-p", fmt.Sprint(s.port), "-js", "-sd", s.storeDir)
	require.NoError(s.t, cmd.Start())
	s.cmd = cmd
	require.Eventually(s.t, func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "nats-server did not start")
}

// stop shuts the server down (SIGTERM, as an orchestrator would) and waits.
func (s *natsServer) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	_ = s.cmd.Wait()
	s.cmd = nil
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	raw, err := json.Marshal(v)
	require.NoError(t, err)
	return raw
}

// consumerIdle reports whether the consumer has been sent everything in the
// stream and acknowledged it.
func consumerIdle(t testing.TB, b *bundle, name string) bool {
	t.Helper()
	info := consumerInfo(b, name)
	return info != nil && info.NumPending == 0 && info.NumAckPending == 0
}

// consumerInfo is the consumer's state, nil until it exists.
func consumerInfo(b *bundle, name string) *jetstream.ConsumerInfo {
	cons, err := b.js.Consumer(context.Background(), b.stream.Name, name)
	if err != nil {
		return nil
	}
	info, err := cons.Info(context.Background())
	if err != nil {
		return nil
	}
	return info
}
