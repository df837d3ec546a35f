package gateway_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
	"github.com/opencrm/opencrm/pkg/database"
	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/platform"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// crm is the gateway in front of the real composed subgraphs, each served
// over a PostgreSQL pool of its own whose statements are traced, and behind
// a recorder that keeps every GraphQL request the subgraph received and the
// SQL statements sent while serving it. The pools have no cache, so a
// cached lookup cannot hide a statement.
type crm struct {
	*e2e
	subs map[string]*recordedSubgraph
}

// startCRM starts the subgraphs of subgraphstest (for its database, keys and
// mailbox) and, in front of the traced copies of the composed subgraphs,
// the gateway.
func startCRM(t testing.TB) *crm {
	t.Helper()
	c := subgraphstest.Start(t)
	dbURL := testenv.DatabaseURL(t, "subgraphs")
	out := &crm{subs: map[string]*recordedSubgraph{}}
	urls := map[string]string{}
	for _, name := range composedSubgraphs(t) {
		sg, err := subgraphs.Find(name)
		require.NoError(t, err)
		rec := &recordedSubgraph{name: name}
		pool, err := database.NewPool(context.Background(), dbURL, database.Options{MaxConns: 4, Tracer: rec})
		require.NoError(t, err)
		t.Cleanup(pool.Close)
		deps := c.Deps
		deps.DB = &tenancy.DB{Pool: pool, Platform: platform.Domains(), Tenant: subgraphs.TenantDomains()}
		srv := httptest.NewServer(rec.wrap(subgraphstest.Handler(t, sg, deps)))
		t.Cleanup(srv.Close)
		rec.url = srv.URL + gqlserver.GraphQLPath
		urls[name] = rec.url
		out.subs[name] = rec
	}
	cfg := gateway.Config{Subgraphs: urls, Issuer: c.Issuer, Audience: c.Audience, Redis: testRedis(t)}
	cfg.RateLimit.Disabled = true
	cfg.TrustForwardedFor = true
	cfg.Logger = slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	g, err := gateway.New(ctx, cfg)
	require.NoError(t, err)
	out.e2e = &e2e{url: newServer(t, g) + "/graphql", cluster: c, client: uniqueIP()}
	return out
}

// reset forgets what every subgraph recorded.
func (c *crm) reset() {
	for _, s := range c.subs {
		s.reset()
	}
}

// recorded returns what each subgraph recorded since the last reset.
func (c *crm) recorded() map[string][]subgraphRequest {
	out := map[string][]subgraphRequest{}
	for name, s := range c.subs {
		out[name] = s.requests()
	}
	return out
}

// unattributed is the number of statements no subgraph request sent
// (pool housekeeping, or a resolver that dropped the request's context).
func (c *crm) unattributed() map[string]int64 {
	out := map[string]int64{}
	for name, s := range c.subs {
		if n := s.stray.Load(); n > 0 {
			out[name] = n
		}
	}
	return out
}

// describe is a human-readable account of what the subgraphs received.
func describe(rec map[string][]subgraphRequest) string {
	var b strings.Builder
	names := make([]string, 0, len(rec))
	for n := range rec {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		for _, r := range rec[n] {
			fmt.Fprintf(&b, "%s: %s\n", n, r)
		}
	}
	return b.String()
}

// subgraphRequest is one GraphQL request a subgraph received and the SQL it
// sent while serving it.
type subgraphRequest struct {
	Query string
	// Types are the __typename of each representation of an _entities
	// request, in order (empty for other requests).
	Types []string
	SQL   []string
}

// isEntities tells an _entities request.
func (r subgraphRequest) isEntities() bool { return strings.Contains(r.Query, "_entities") }

// typeCounts are the representations per __typename.
func (r subgraphRequest) typeCounts() map[string]int {
	out := map[string]int{}
	for _, t := range r.Types {
		out[t]++
	}
	return out
}

// sqlKind classifies a statement: "begin" (BEGIN; SET LOCAL search_path, one
// round trip), "end" (COMMIT or ROLLBACK), or "data" (everything else).
func sqlKind(sql string) string {
	s := strings.ToLower(strings.TrimSpace(sql))
	switch {
	case strings.HasPrefix(s, "begin"):
		return "begin"
	case s == "commit" || s == "rollback":
		return "end"
	default:
		return "data"
	}
}

// dataSQL are the statements that read or write data (not BEGIN, COMMIT).
func (r subgraphRequest) dataSQL() []string {
	var out []string
	for _, s := range r.SQL {
		if sqlKind(s) == "data" {
			out = append(out, s)
		}
	}
	return out
}

func (r subgraphRequest) String() string {
	kinds := map[string]int{}
	for _, s := range r.SQL {
		kinds[sqlKind(s)]++
	}
	q := strings.Join(strings.Fields(r.Query), " ")
	if len(q) > 160 {
		q = q[:160] + "…"
	}
	return fmt.Sprintf("%q reps=%v sql: %d data, %d begin, %d commit/rollback", q, r.typeCounts(), kinds["data"], kinds["begin"], kinds["end"])
}

// recordedSubgraph records a subgraph's GraphQL requests and, as a pgx
// QueryTracer of its pool, the statements each request sent (found through
// the request's context, which gqlgen hands down to the resolvers and their
// loaders).
type recordedSubgraph struct {
	name, url string
	mu        sync.Mutex
	reqs      []*subgraphRequest
	stray     atomic.Int64
}

type requestKey struct{}

func (s *recordedSubgraph) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != gqlserver.GraphQLPath || r.Method != http.MethodPost {
			h.ServeHTTP(w, r)
			return
		}
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		body := raw
		if r.Header.Get("Content-Encoding") == "gzip" {
			if zr, err := gzip.NewReader(bytes.NewReader(raw)); err == nil {
				body, _ = io.ReadAll(zr)
			}
		}
		var op struct {
			Query     string `json:"query"`
			Variables struct {
				Representations []struct {
					Typename string `json:"__typename"`
				} `json:"representations"`
			} `json:"variables"`
		}
		_ = json.Unmarshal(body, &op)
		rec := &subgraphRequest{Query: op.Query}
		for _, rep := range op.Variables.Representations {
			rec.Types = append(rec.Types, rep.Typename)
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, rec)
		s.mu.Unlock()
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestKey{}, rec)))
	})
}

// TraceQueryStart implements pgx.QueryTracer.
func (s *recordedSubgraph) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	rec, ok := ctx.Value(requestKey{}).(*subgraphRequest)
	if !ok {
		s.stray.Add(1)
		return ctx
	}
	s.mu.Lock()
	rec.SQL = append(rec.SQL, data.SQL)
	s.mu.Unlock()
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (s *recordedSubgraph) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (s *recordedSubgraph) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = nil
	s.stray.Store(0)
}

func (s *recordedSubgraph) requests() []subgraphRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]subgraphRequest, len(s.reqs))
	for i, r := range s.reqs {
		out[i] = *r
		out[i].SQL = slices.Clone(r.SQL)
	}
	return out
}

// parallel runs f(i) for i in [0, n) on workers goroutines and returns the
// first error.
func parallel(n, workers int, f func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// gql posts an operation to the gateway as the token's user; it is safe
// from any goroutine (it returns errors rather than failing the test).
func (c *crm) gql(token, query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", c.client)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r subgraphstest.Response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("decode response (%s): %w", resp.Status, err)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("%s: %+v", strings.Fields(query)[0]+" "+strings.Fields(query)[1], r.Errors)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Data, out)
}

// crmOrg is an organisation filled through the gateway: three users, a
// parent company with subsidiaries, contacts at them and deals spread over
// the stages of the default pipeline.
type crmOrg struct {
	Subdomain, TenantID, Token string
	Users                      []crmUser // [0] is the admin
	Companies                  []crmCompany
	Contacts                   []crmContact
	Deals                      []crmDeal
	Stages                     []struct{ ID, Name string } // the open stages of the default pipeline
}

type crmUser struct{ ID, FullName string }

type crmCompany struct{ ID, Name, ParentID string }

type crmContact struct{ ID, FullName, CompanyID, OwnerID string }

type crmDeal struct{ ID, Title, Stage, CompanyID, ContactID, OwnerID string }

// crmSize is how much an organisation holds.
type crmSize struct{ Companies, Contacts, Deals int }

// workers is how many mutations run at once while an organisation is filled.
const workers = 8

// newOrg signs an organisation up and fills it through the gateway only,
// with workers mutations at a time. Company 0 is the parent of every
// other even-numbered company; contact j works at company j mod
// Companies; deal i points at company i, contact i and user i (modulo their
// counts) and sits in open stage i mod 4 of the default pipeline.
func (c *crm) newOrg(t testing.TB, label string, size crmSize) *crmOrg {
	t.Helper()
	o := &crmOrg{Subdomain: label + "-" + strings.ToLower(tenancy.NewID()[18:])}
	admin := c.signUp(t, o.Subdomain)
	o.Token = admin.AccessToken
	var me struct {
		Me struct {
			ID, FullName string
			Tenant       struct{ ID string }
		}
	}
	require.NoError(t, c.gql(o.Token, `{ me { id fullName tenant { id } } }`, nil, &me))
	o.TenantID = me.Me.Tenant.ID
	o.Users = append(o.Users, crmUser{me.Me.ID, me.Me.FullName})
	for _, u := range []struct{ first, last, role string }{{"Bob", "Rep", "SALES_REP"}, {"Cara", "Manager", "MANAGER"}} {
		var inv struct{ InviteUser struct{ Token string } }
		email := strings.ToLower(u.first) + "@" + o.Subdomain + ".example.com"
		require.NoError(t, c.gql(o.Token, `mutation($in: InviteUserInput!) { inviteUser(input: $in) { token } }`,
			map[string]any{"in": map[string]any{"email": email, "role": u.role}}, &inv))
		var acc struct{ AcceptInvitation tokens }
		require.NoError(t, c.gql("", `mutation($in: AcceptInvitationInput!) { acceptInvitation(input: $in) { `+tokenFields+` } }`,
			map[string]any{"in": map[string]any{"token": inv.InviteUser.Token, "password": pw, "firstName": u.first, "lastName": u.last}}, &acc))
		o.Users = append(o.Users, crmUser{acc.AcceptInvitation.User.ID, u.first + " " + u.last})
	}

	var pipelines struct {
		Pipelines []struct {
			IsDefault bool
			Stages    []struct {
				ID, Name string
				IsClosed bool
			}
		}
	}
	require.NoError(t, c.gql(o.Token, `{ pipelines { isDefault stages { id name isClosed } } }`, nil, &pipelines))
	require.NotEmpty(t, pipelines.Pipelines)
	require.True(t, pipelines.Pipelines[0].IsDefault, "the default pipeline comes first")
	for _, st := range pipelines.Pipelines[0].Stages {
		if !st.IsClosed { // a deal starts in an open stage
			o.Stages = append(o.Stages, struct{ ID, Name string }{st.ID, st.Name})
		}
	}
	require.Len(t, o.Stages, 4, "Prospecting, Qualification, Proposal, Negotiation")

	const createCompany = `mutation($in: CreateCompanyInput!) { createCompany(input: $in) { id } }`
	o.Companies = make([]crmCompany, size.Companies)
	o.Companies[0].Name = "Parent Holdings " + label
	var co struct{ CreateCompany struct{ ID string } }
	require.NoError(t, c.gql(o.Token, createCompany, map[string]any{"in": map[string]any{"name": o.Companies[0].Name}}, &co))
	o.Companies[0].ID = co.CreateCompany.ID
	require.NoError(t, parallel(size.Companies-1, workers, func(k int) error {
		i := k + 1
		cp := crmCompany{Name: fmt.Sprintf("Company %03d %s", i, label)}
		in := map[string]any{"name": cp.Name}
		if i%2 == 0 {
			cp.ParentID = o.Companies[0].ID
			in["parentCompanyId"] = cp.ParentID
		}
		var out struct{ CreateCompany struct{ ID string } }
		if err := c.gql(o.Token, createCompany, map[string]any{"in": in}, &out); err != nil {
			return err
		}
		cp.ID = out.CreateCompany.ID
		o.Companies[i] = cp
		return nil
	}))

	o.Contacts = make([]crmContact, size.Contacts)
	require.NoError(t, parallel(size.Contacts, workers, func(j int) error {
		first, last := fmt.Sprintf("First%03d", j), "Last"+label
		ct := crmContact{FullName: first + " " + last, CompanyID: o.Companies[j%size.Companies].ID, OwnerID: o.Users[j%len(o.Users)].ID}
		var out struct{ CreateContact struct{ ID string } }
		if err := c.gql(o.Token, `mutation($in: CreateContactInput!) { createContact(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"firstName": first, "lastName": last, "companyId": ct.CompanyID, "ownerId": ct.OwnerID}}, &out); err != nil {
			return err
		}
		ct.ID = out.CreateContact.ID
		o.Contacts[j] = ct
		return nil
	}))

	o.Deals = make([]crmDeal, size.Deals)
	require.NoError(t, parallel(size.Deals, workers, func(i int) error {
		st := o.Stages[i%len(o.Stages)]
		d := crmDeal{Title: fmt.Sprintf("Deal %03d", i), Stage: st.Name, CompanyID: o.Companies[i%size.Companies].ID,
			ContactID: o.Contacts[i%size.Contacts].ID, OwnerID: o.Users[i%len(o.Users)].ID}
		var out struct{ CreateDeal struct{ ID string } }
		if err := c.gql(o.Token, `mutation($in: CreateDealInput!) { createDeal(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"title": d.Title, "value": fmt.Sprintf("%d.00", 100+i), "stageId": st.ID, "companyId": d.CompanyID, "primaryContactId": d.ContactID, "ownerId": d.OwnerID}}, &out); err != nil {
			return err
		}
		d.ID = out.CreateDeal.ID
		o.Deals[i] = d
		return nil
	}))
	return o
}

// names are the names behind an organisation's ids.
func (o *crmOrg) names() map[string]string {
	out := map[string]string{}
	for _, u := range o.Users {
		out[u.ID] = u.FullName
	}
	for _, co := range o.Companies {
		out[co.ID] = co.Name
	}
	for _, ct := range o.Contacts {
		out[ct.ID] = ct.FullName
	}
	return out
}
