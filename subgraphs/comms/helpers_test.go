package comms_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/comms"
	"github.com/opencrm/opencrm/subgraphs/comms/graph"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// env is what a test works with: the cluster, a tenant of its own, the
// comms subgraph served with a service whose workers serve only that
// tenant and deliver to an SMTP server of the test's own.
type env struct {
	c        *subgraphstest.Cluster
	svc      *comms.Service
	url      string // the comms GraphQL endpoint
	base     string // the comms server
	tenantID string
	smtpPort int
	users    map[auth.Role]auth.Identity
}

func setup(t *testing.T) *env {
	t.Helper()
	c := subgraphstest.Start(t)
	tn, err := c.DB.Provision(context.Background(), "Acme", "c-"+strings.ToLower(tenancy.NewID()[14:]),
		func(pgx.Tx, tenancy.Tenant) error { return nil })
	require.NoError(t, err)
	e := &env{c: c, tenantID: tn.ID, smtpPort: freePort(t), users: map[auth.Role]auth.Identity{}}
	for _, r := range auth.Roles {
		e.users[r] = auth.Identity{UserID: tenancy.NewID(), TenantID: tn.ID, Role: r, Email: string(r) + "@acme.example.com"}
	}
	e.svc = comms.New(c.DB, comms.Config{
		SMTPHost: "127.0.0.1", SMTPPort: e.smtpPort, SMTPTLS: "none", MailFrom: "Acme CRM <crm@acme.example.com>",
		PollInterval: 50 * time.Millisecond, RetryBase: 100 * time.Millisecond, RetryMax: 300 * time.Millisecond,
		MaxAttempts: 50, SendTimeout: 5 * time.Second,
	}, nil)
	e.svc.Tenants = func(context.Context) ([]string, error) { return []string{tn.ID}, nil }
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	e.base, e.url = srv.URL, srv.URL+"/graphql"
	e.svc.Config.PublicURL = srv.URL
	h = serve(e.svc, c.Deps)
	return e
}

// serve is the comms subgraph as the registry builds it, with svc.
func serve(svc *comms.Service, d subgraphs.Deps) http.Handler {
	return subgraphs.Service{Schema: graph.NewSchema(svc), Routes: svc.Routes()}.Handler("comms", d)
}

func (e *env) token(t *testing.T, r auth.Role) string { return e.c.Token(t, e.users[r]) }

func (e *env) do(t *testing.T, r auth.Role, query string, vars map[string]any) subgraphstest.Response {
	t.Helper()
	return subgraphstest.Do(t, e.url, e.token(t, r), query, vars)
}

// apply applies an event as the consumer would.
func (e *env) apply(t *testing.T, typ events.Type, actor string, data any) {
	t.Helper()
	ev, err := events.New(typ, e.tenantID, actor, data)
	require.NoError(t, err)
	require.NoError(t, e.c.DB.InTenant(context.Background(), e.tenantID, func(tx pgx.Tx) error {
		return e.svc.Apply(context.Background(), tx, ev)
	}))
}

// outbox returns the payloads of the tenant's events of a type.
func (e *env) outbox(t *testing.T, typ events.Type) []map[string]any {
	t.Helper()
	var out []map[string]any
	require.NoError(t, e.c.DB.InPlatform(context.Background(), func(tx pgx.Tx) error {
		rows, err := tx.Query(context.Background(), "SELECT payload->'data' FROM platform.outbox WHERE tenant_id = $1 AND subject = $2 ORDER BY id",
			e.tenantID, "crm."+string(typ))
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[map[string]any])
		return err
	}))
	return out
}

// scalar runs a query in the tenant's schema and scans one value.
func (e *env) scalar(t *testing.T, dst any, sql string, args ...any) {
	t.Helper()
	require.NoError(t, e.c.DB.InTenant(context.Background(), e.tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), sql, args...).Scan(dst)
	}))
}

// run runs a worker until the test ends.
func run(t *testing.T, fn func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = fn(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// received is a message the test SMTP server accepted.
type received struct {
	From, To, Subject, MessageID, Text, HTML string
}

// smtpServer is an in-process SMTP server that keeps what it receives.
type smtpServer struct {
	srv *smtp.Server
	mu  sync.Mutex
	got []received
}

func startSMTP(t *testing.T, port int) *smtpServer {
	t.Helper()
	s := &smtpServer{}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain, s.srv.AllowInsecureAuth = "localhost", true
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	require.NoError(t, err)
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

func (s *smtpServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// waitFor waits for a message to an address.
func (s *smtpServer) waitFor(t *testing.T, to string) received {
	t.Helper()
	var m received
	require.Eventually(t, func() bool {
		for _, r := range s.messages() {
			if r.To == to {
				m = r
				return true
			}
		}
		return false
	}, 15*time.Second, 20*time.Millisecond, "no mail to %s", to)
	return m
}

type session struct {
	s        *smtpServer
	from, to string
}

func (x *session) Reset()        {}
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = to
	return nil
}
func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := parseMail(raw)
	if err != nil {
		return err
	}
	m.From, m.To = x.from, x.to
	x.s.mu.Lock()
	x.s.got = append(x.s.got, m)
	x.s.mu.Unlock()
	return nil
}

// parseMail reads the subject, Message-ID and the text and HTML parts.
func parseMail(raw []byte) (received, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return received{}, err
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	out := received{Subject: subject, MessageID: msg.Header.Get("Message-Id")}
	var walk func(h map[string][]string, body io.Reader) error
	walk = func(h map[string][]string, body io.Reader) error {
		hdr := mail.Header(h)
		mt, params, err := mime.ParseMediaType(hdr.Get("Content-Type"))
		if err != nil {
			return err
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextRawPart()
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
				if err := walk(p.Header, p); err != nil {
					return err
				}
			}
		}
		if strings.EqualFold(hdr.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(body)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		if mt == "text/html" {
			out.HTML = string(b)
		} else {
			out.Text = string(b)
		}
		return nil
	}
	return out, walk(msg.Header, msg.Body)
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func doAs(t *testing.T, url, token, query string, vars map[string]any) subgraphstest.Response {
	t.Helper()
	return subgraphstest.Do(t, url, token, query, vars)
}
