package gateway_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/opencrm/opencrm/pkg/tenancy"
)

// TestSchemaFuzzThroughTheGateway is issue 11's schema-driven fuzz test: it
// reads the composed supergraph, builds requests for every root field of
// Query and Mutation (selection sets from the return type, arguments as
// variables: well-typed, wrong-typed, missing, hostile strings, other
// tenants' ids, altered cursors, huge and malformed decimals and dates, deep
// and wide JSON) and sends them through the real gateway to the real
// subgraphs, as an admin, a viewer or nobody. Any HTTP 5xx, and any error
// whose extensions.code is INTERNAL or missing, fails the test; every other
// code is an expected answer to a bad request. Request i is generated from
// its own math/rand seeded by FUZZ_SCHEMA_SEED and i, over pools of ids and
// cursors collected before the run starts, so a failure is reproduced by
// its seed and index. FUZZ_SCHEMA_COUNT (default 5000) sets the number.
func TestSchemaFuzzThroughTheGateway(t *testing.T) {
	t.Parallel()
	seed := envInt(t, "FUZZ_SCHEMA_SEED", 11)
	count := envInt(t, "FUZZ_SCHEMA_COUNT", 5000)

	src, err := os.ReadFile("compose/supergraph.graphql")
	require.NoError(t, err)
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "supergraph.graphql", Input: string(src)})
	require.Nil(t, gerr, "%v", gerr)

	e := startE2E(t)
	f := &schemaFuzz{e: e, schema: schema, client: &http.Client{Timeout: 60 * time.Second}}
	f.setUp(t)

	ops := f.operations()
	require.NotEmpty(t, ops)

	// Warm-up: every query once, well-typed, as the admin, to collect the
	// first tenant's real ids and cursors; the pools are then frozen so that
	// request i depends only on the seed and i.
	for round := range 3 {
		for i, op := range ops {
			if op.kind != ast.Query {
				continue
			}
			req := f.build(rand.New(rand.NewSource(mix(seed, -1-round*len(ops)-i))), op, modeWellTyped)
			req.token = f.admin
			res := f.send(req)
			f.collect(res.body)
		}
	}
	f.freeze()

	var (
		mu       sync.Mutex
		byCode   = map[string]int{}
		failures []string
		// lostToken counts requests with a token the gateway refused (401):
		// the run must never end its own tokens, or what follows tests nothing.
		lostToken int
		// answered are the operations that answered data without errors
		// at least once.
		answered = map[string]bool{}
		sent     atomic.Int64
	)
	start := time.Now()
	err = parallel(count, 8, func(i int) error {
		r := rand.New(rand.NewSource(mix(seed, i)))
		op := ops[r.Intn(len(ops))]
		req := f.build(r, op, fuzzMode(r.Intn(int(modeCount))))
		switch n := r.Intn(10); {
		case n == 0:
			req.token = ""
		case n == 1:
			req.token = f.viewer
		default:
			req.token = f.admin
		}
		res := f.send(req)
		sent.Add(1)
		codes, bad := res.verdict()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range codes {
			byCode[c]++
			if c == "OK" {
				answered[op.name] = true
			}
		}
		if res.status == http.StatusUnauthorized && req.token != "" {
			lostToken++
		}
		if bad != "" && len(failures) < 200 {
			failures = append(failures, fmt.Sprintf("#%d %s as %s (%s)\n  query: %s\n  variables: %s\n  response %d: %s",
				i, op.name, req.who(f), bad, req.query, truncate(req.body, 600), res.status, truncate(res.body, 1200)))
		}
		return nil
	})
	require.NoError(t, err)

	keys := make([]string, 0, len(byCode))
	for k := range byCode {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%d", k, byCode[k])
	}
	t.Logf("schema fuzz: seed %d, %d requests over %d operations in %s; answers by code:%s",
		seed, sent.Load(), len(ops), time.Since(start).Round(time.Millisecond), b.String())
	var never []string
	for _, op := range ops {
		if !answered[op.name] {
			never = append(never, op.name)
		}
	}
	t.Logf("operations that never answered without errors: %s", strings.Join(never, ", "))
	if lostToken > 0 {
		t.Errorf("the gateway refused the token of %d requests (401): the run ended its own tokens", lostToken)
	}
	if len(failures) > 0 {
		t.Errorf("%d requests answered HTTP 5xx or INTERNAL (or an error without a code):\n%s",
			len(failures), strings.Join(failures, "\n\n"))
	}
}

// mix is the seed of request i of a run (splitmix64: seeds that differ by
// little give unrelated runs).
func mix(seed, i int) int64 {
	z := uint64(seed)<<32 ^ uint64(i) + 0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return int64(z ^ z>>31)
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	require.NoError(t, err, name)
	return n
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + fmt.Sprintf("... (%d bytes)", len(b))
}

type fuzzMode int

const (
	modeWellTyped fuzzMode = iota
	modeWrongTyped
	modeMissing
	modeHostile
	modeIDs
	modeMixed
	modeCount
)

type fuzzOp struct {
	kind  ast.Operation
	name  string
	field *ast.FieldDefinition
}

type schemaFuzz struct {
	e      *e2e
	schema *ast.Schema
	client *http.Client

	admin, viewer, other string

	mu sync.Mutex
	// own are the first tenant's real ids, foreign the second tenant's,
	// cursors real cursors of the first tenant.
	own, foreign, cursors []string
	seen                  map[string]bool
	// typed are the first tenant's real ids by their __typename.
	typed map[string][]string
	// callers are the run's own users: their ids are never fed to the fuzz,
	// which would end its own tokens (deactivateUser, a role change); a
	// third member's id is.
	callers map[string]bool
	frozen  bool
}

func (f *schemaFuzz) setUp(t *testing.T) {
	f.seen = map[string]bool{}
	f.typed = map[string][]string{}
	f.callers = map[string]bool{}
	f.cursors = []string{b64(`c1:["Fuzz","01HZZZZZZZZZZZZZZZZZZZZZZZ"]`)}
	a := f.e.signUp(t, "fza-"+strings.ToLower(tenancy.NewID()[18:]))
	f.admin = a.AccessToken
	rep := f.e.member(t, f.admin, "vera@acme.example.com")
	r := f.e.do(t, f.admin, `mutation($id: ID!) { updateUser(id: $id, input: {role: VIEWER}) { id } }`, map[string]any{"id": rep.User.ID})
	require.Empty(t, r.Errors, "%+v", r.Errors)
	// The role change ended the member's tokens: sign in again as a viewer.
	f.viewer = f.login(t, rep.User.Email)
	b := f.e.signUp(t, "fzb-"+strings.ToLower(tenancy.NewID()[18:]))
	f.other = b.AccessToken
	f.seed(t, f.admin, false)
	f.seed(t, f.other, true)
	sam := f.e.member(t, f.admin, "sam@acme.example.com")
	f.foreign = append(f.foreign, b.User.ID)
	f.own = append(f.own, sam.User.ID)
	f.callers[a.User.ID], f.callers[rep.User.ID] = true, true
	f.seen[a.User.ID], f.seen[rep.User.ID], f.seen[sam.User.ID] = true, true, true
}

func (f *schemaFuzz) login(t *testing.T, email string) string {
	t.Helper()
	var me struct {
		Me struct{ Tenant struct{ Subdomain string } }
	}
	f.e.do(t, f.admin, `{ me { tenant { subdomain } } }`, nil).Decode(t, &me)
	var out struct{ Login tokens }
	f.e.do(t, "", `mutation($in: LoginInput!) { login(input: $in) { `+tokenFields+` } }`, map[string]any{"in": map[string]any{
		"subdomain": me.Me.Tenant.Subdomain, "email": email, "password": pw}}).Decode(t, &out)
	require.NotEmpty(t, out.Login.AccessToken)
	return out.Login.AccessToken
}

// seed gives a tenant one record of every kind, and their ids to the pools.
func (f *schemaFuzz) seed(t *testing.T, token string, foreign bool) {
	t.Helper()
	add := func(r []byte) {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, id := range idsIn(r) {
			if foreign {
				f.foreign = append(f.foreign, id)
			} else if !f.seen[id] {
				f.seen[id] = true
				f.own = append(f.own, id)
			}
		}
	}
	do := func(q string, vars map[string]any) string {
		r := f.e.do(t, token, q, vars)
		require.Empty(t, r.Errors, "%s: %+v", q, r.Errors)
		add(r.Data)
		var top map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(r.Data, &top))
		for _, v := range top {
			var rec struct{ ID string }
			_ = json.Unmarshal(v, &rec)
			return rec.ID
		}
		return ""
	}
	company := do(`mutation { createCompany(input: {name: "Fuzz Ltd", customFields: {tier: "gold"}}) { id } }`, nil)
	do(`mutation($c: ID) { createCompany(input: {name: "Fuzz Subsidiary", parentCompanyId: $c}) { id } }`, map[string]any{"c": company})
	do(`mutation($c: ID) { createContact(input: {firstName: "Fuzzy", lastName: "Twin", email: "twin@example.com", companyId: $c}) { id } }`, map[string]any{"c": company})
	contact := do(`mutation($c: ID) { createContact(input: {firstName: "Fuzzy", lastName: "Input", email: "fuzzy@example.com", companyId: $c}) { id } }`, map[string]any{"c": company})
	deal := do(`mutation($c: ID, $p: ID) { createDeal(input: {title: "Fuzz deal", value: "1234.56", companyId: $c, primaryContactId: $p, expectedCloseDate: "2026-06-30"}) { id stage { id } pipeline { id } } }`,
		map[string]any{"c": company, "p": contact})
	do(`mutation($c: ID!, $d: ID!) { createTask(input: {title: "Call back", contactId: $c, dealId: $d, dueDate: "2026-07-01T10:00:00Z"}) { id } }`, map[string]any{"c": contact, "d": deal})
	do(`mutation($c: ID!) { logActivity(input: {type: NOTE, subject: "Met", contactId: $c}) { id } }`, map[string]any{"c": contact})
	do(`mutation { createEmailTemplate(input: {name: "Hello", subject: "Hi {{contact.firstName}}", bodyHtml: "<p>Hi {{contact.firstName}}</p>"}) { id } }`, nil)
	do(`mutation { inviteUser(input: {email: "later@acme.example.com", role: SALES_REP}) { invitation { id } } }`, nil)
	do(`{ pipelines { id stages { id } } }`, nil)
}

// idsIn lists every string value of an "id" key in a JSON document.
func idsIn(raw []byte) []string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var ids []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && (k == "id" || strings.HasSuffix(k, "Id")) && s != "" {
					ids = append(ids, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return ids
}

// collect adds a response's ids and cursors to the first tenant's pools.
func (f *schemaFuzz) collect(raw []byte) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.frozen {
		return
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if tn, ok := v["__typename"].(string); ok {
				if id, ok := v["id"].(string); ok && !f.callers[id] && !f.seen["typed:"+id] {
					f.seen["typed:"+id] = true
					f.typed[tn] = append(f.typed[tn], id)
				}
			}
			for k, x := range v {
				if s, ok := x.(string); ok && s != "" && !f.seen[s] && !f.callers[s] {
					switch {
					case k == "id":
						f.seen[s] = true
						f.own = append(f.own, s)
					case k == "endCursor" || k == "startCursor" || k == "cursor":
						f.seen[s] = true
						f.cursors = append(f.cursors, s)
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
}

func (f *schemaFuzz) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frozen = true
	sort.Strings(f.own)
	sort.Strings(f.foreign)
	sort.Strings(f.cursors)
	for _, ids := range f.typed {
		sort.Strings(ids)
	}
}

// operations are the root fields of Query and Mutation, without federation
// plumbing, in a stable order.
func (f *schemaFuzz) operations() []fuzzOp {
	var ops []fuzzOp
	for _, root := range []struct {
		kind ast.Operation
		def  *ast.Definition
	}{{ast.Query, f.schema.Query}, {ast.Mutation, f.schema.Mutation}} {
		for _, fd := range root.def.Fields {
			if strings.HasPrefix(fd.Name, "_") {
				continue
			}
			ops = append(ops, fuzzOp{kind: root.kind, name: string(root.kind) + "." + fd.Name, field: fd})
		}
	}
	return ops
}

type fuzzRequest struct {
	query string
	body  []byte
	token string
}

func (r fuzzRequest) who(f *schemaFuzz) string {
	switch r.token {
	case "":
		return "anonymous"
	case f.viewer:
		return "viewer"
	}
	return "admin"
}

// Markers the body builder replaces after encoding, for bytes encoding/json
// would never write: invalid UTF-8 and a lone surrogate escape.
const (
	markInvalidUTF8 = "\u0001INVALID-UTF8\u0001"
	markSurrogate   = "\u0001SURROGATE\u0001"
)

func (f *schemaFuzz) build(r *rand.Rand, op fuzzOp, mode fuzzMode) fuzzRequest {
	g := &valueGen{f: f, r: r, mode: mode, returns: op.field.Type.Name()}
	var decls, args []string
	vars := map[string]any{}
	missing := -1
	if mode == modeMissing && len(op.field.Arguments) > 0 {
		missing = r.Intn(len(op.field.Arguments))
	}
	for i, a := range op.field.Arguments {
		name := a.Name
		decl := "$" + name + ": " + a.Type.String()
		if mode == modeWrongTyped && r.Intn(3) == 0 {
			// Declared with another type than the argument's.
			decl = "$" + name + ": " + []string{"Int", "String!", "[ID!]!", "Boolean", "JSON"}[r.Intn(5)]
		}
		decls = append(decls, decl)
		args = append(args, name+": $"+name)
		if i == missing {
			continue
		}
		if !a.Type.NonNull && r.Intn(4) == 0 {
			continue
		}
		vars[name] = g.value(a.Type, name, 0)
	}
	if mode == modeMissing && r.Intn(3) == 0 {
		vars["undeclared"] = "x"
	}
	var q strings.Builder
	q.WriteString(string(op.kind))
	if len(decls) > 0 {
		q.WriteString("(" + strings.Join(decls, ", ") + ")")
	}
	q.WriteString(" { " + op.field.Name)
	if len(args) > 0 {
		q.WriteString("(" + strings.Join(args, ", ") + ")")
	}
	q.WriteString(f.selection(r, op.field.Type, 0))
	q.WriteString(" }")
	body, _ := json.Marshal(map[string]any{"query": q.String(), "variables": vars})
	body = bytes.ReplaceAll(body, []byte(markInvalidUTF8), []byte("\xff\xfe\xc3("))
	body = bytes.ReplaceAll(body, []byte(markSurrogate), []byte(`\ud800`))
	return fuzzRequest{query: q.String(), body: body}
}

// selection is a selection set for a value of type t: scalars and enums,
// objects up to depth 2, connections with a small first, __typename and
// inline fragments for abstract types.
func (f *schemaFuzz) selection(r *rand.Rand, t *ast.Type, depth int) string {
	def := f.schema.Types[t.Name()]
	if def == nil || def.Kind == ast.Scalar || def.Kind == ast.Enum {
		return ""
	}
	if def.Kind == ast.Union || def.Kind == ast.Interface {
		var b strings.Builder
		b.WriteString(" { __typename")
		for _, p := range f.schema.GetPossibleTypes(def) {
			b.WriteString(" ... on " + p.Name + f.fields(r, p, depth+1))
		}
		b.WriteString(" }")
		return b.String()
	}
	return f.fields(r, def, depth)
}

func (f *schemaFuzz) fields(r *rand.Rand, def *ast.Definition, depth int) string {
	var parts []string
	nested := 0
	for _, fd := range def.Fields {
		if strings.HasPrefix(fd.Name, "_") {
			continue
		}
		args, ok := f.literalArgs(r, fd)
		if !ok {
			continue
		}
		sub := f.schema.Types[fd.Type.Name()]
		if sub == nil || sub.Kind == ast.Scalar || sub.Kind == ast.Enum {
			parts = append(parts, fd.Name+args)
			continue
		}
		if depth >= 2 || nested >= 3 || r.Intn(3) == 0 {
			continue
		}
		nested++
		parts = append(parts, fd.Name+args+f.selection(r, fd.Type, depth+1))
	}
	parts = append([]string{"__typename"}, parts...)
	return " { " + strings.Join(parts, " ") + " }"
}

// literalArgs gives a nested field small literal arguments: first: 2 on
// connections; fields with other required arguments are left out.
func (f *schemaFuzz) literalArgs(r *rand.Rand, fd *ast.FieldDefinition) (string, bool) {
	var args []string
	for _, a := range fd.Arguments {
		switch {
		case a.Name == "first" || a.Name == "limit" || a.Name == "last":
			args = append(args, a.Name+": "+strconv.Itoa(1+r.Intn(3)))
		case a.Type.NonNull && a.DefaultValue == nil:
			return "", false
		}
	}
	if len(args) == 0 {
		return "", true
	}
	return "(" + strings.Join(args, ", ") + ")", true
}

type valueGen struct {
	f       *schemaFuzz
	r       *rand.Rand
	mode    fuzzMode
	returns string // the operation's type, whose record an argument "id" names
}

// well says whether to draw a value that fits.
func (g *valueGen) well() bool {
	switch g.mode {
	case modeWellTyped:
		return true
	case modeHostile, modeMixed:
		return false
	}
	return g.r.Intn(2) == 0
}

// idTypes are the types of records that arguments by these names name.
var idTypes = map[string]string{
	"companyid": "Company", "parentcompanyid": "Company", "contactid": "Contact", "primarycontactid": "Contact",
	"sourcecontactid": "Contact", "targetcontactid": "Contact", "dealid": "Deal", "ownerid": "User", "assignedto": "User",
	"pipelineid": "Pipeline", "stageid": "Stage", "templateid": "EmailTemplate",
}

// typedID is a real id of the record an argument names, or "".
func (g *valueGen) typedID(name string) string {
	tn := idTypes[strings.ToLower(name)]
	if strings.ToLower(name) == "id" {
		tn = g.returns
	}
	ids := g.f.typed[tn]
	if len(ids) == 0 {
		return ""
	}
	return ids[g.r.Intn(len(ids))]
}

// hostileStrings are what an attacker puts in any string.
var hostileStrings = []string{
	"", " ", "\x00", "a\x00b", markInvalidUTF8, "x" + markInvalidUTF8, markSurrogate, "ab" + markSurrogate + "cd",
	"' OR 1=1 --", "'; DROP TABLE contacts; --", `"}]}`, `{"$gt": ""}`, "%", "_", "\\", "%_\\%", "$1",
	"../../etc/passwd", "<script>alert(1)</script>", "{{", "{{ contact.firstName", "}}{{#each}}", "{{.}}",
	"ñandú 🦜 中文 עברית \u202e", "\u200b\ufeff", "\r\n\t", strings.Repeat("a", 10*1024), strings.Repeat("é", 6000),
	strings.Repeat("{{x}}", 2000), "null", "undefined", "NaN", "-0", "1e999999", "0x41", "@", "a@b", "@@",
	"user@" + strings.Repeat("x", 300) + ".com", "USD", "XXX", "usd", "US", "2026-02-30", "LEAD", "admin",
}

func (g *valueGen) pick(xs []string) string { return xs[g.r.Intn(len(xs))] }

func (g *valueGen) str(name string) any {
	n := strings.ToLower(name)
	if !g.well() && g.r.Intn(2) == 0 {
		return g.pick(hostileStrings)
	}
	switch {
	case n == "after" || n == "before" || strings.Contains(n, "cursor"):
		return g.cursor()
	case strings.Contains(n, "email"):
		return g.pick([]string{"ada@acme.example.com", "fuzzy@example.com", "nobody@example.com", "vera@acme.example.com"})
	case n == "currency":
		return g.pick([]string{"USD", "EUR", "JPY", "GBP"})
	case n == "currentpassword":
		// Never the right one: changePassword would end the run's tokens.
		return g.pick([]string{"not-the-password", pw + "x", ""})
	case strings.Contains(n, "password"):
		return g.pick([]string{pw, "short", strings.Repeat("p", 80)})
	case n == "subdomain":
		return g.pick([]string{"demo", "fz-" + strings.ToLower(tenancy.NewID()[18:]), "Bad_Sub", "a"})
	case n == "token" || n == "refreshtoken":
		return g.pick([]string{"deadbeef", tenancy.NewID(), strings.Repeat("0", 64)})
	case n == "query":
		return g.pick([]string{"fuzz", "fuzy input", "acme", "a", "ltd"})
	}
	return g.pick([]string{"Fuzz", "hello world", "Ltd", "x", "https://example.com", "+1 555 0100"})
}

func (g *valueGen) cursor() any {
	c := g.f.cursors[g.r.Intn(len(g.f.cursors))]
	switch g.r.Intn(7) {
	case 0:
		return c
	case 1: // a character changed
		b := []byte(c)
		b[g.r.Intn(len(b))] = "AZaz09-_+/="[g.r.Intn(11)]
		return string(b)
	case 2: // truncated
		return c[:g.r.Intn(len(c))]
	case 3: // a forged sort key
		keys := []string{`"garbage"`, `"9999999-01-01"`, `1e999`, `null`, `{"a":1}`, `"\u0000"`, `[1,2,3]`, `-1`, `"` + strings.Repeat("z", 5000) + `"`}
		raw := `c1:[` + keys[g.r.Intn(len(keys))] + `,"` + tenancy.NewID() + `"]`
		return b64(raw)
	case 4:
		return b64(g.pick([]string{"", "c1:", "c1:{}", "c1:[]", "c1:not json", "[1]", `c1:["2026-01-01T00:00:00Z","x",3,4]`, `c1:[[[[[[[[1]]]]]]]]`, "c2:[1]"}))
	case 5:
		return g.pick([]string{"!!!", "====", "a", strings.Repeat("QQ", 3000)})
	}
	return c + c
}

func b64(s string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func (g *valueGen) id() any {
	f := g.f
	switch g.r.Intn(6) {
	case 0, 1:
		if len(f.own) > 0 {
			return f.own[g.r.Intn(len(f.own))]
		}
	case 2:
		if len(f.foreign) > 0 {
			return f.foreign[g.r.Intn(len(f.foreign))]
		}
	case 3:
		return tenancy.NewID()
	case 4:
		return g.pick([]string{"", "0", "-1", "not-an-id", "01HZZZZZZZZZZZZZZZZZZZZZZZ", "01hzzzzzzzzzzzzzzzzzzzzzzz", "IIIIIIIIIIIIIIIIIIIIIIIIII", "01H" + strings.Repeat("Z", 40), "' OR 1=1 --", "a\x00b", markInvalidUTF8, strings.Repeat("7", 10000)})
	}
	return g.pick(hostileStrings)
}

func (g *valueGen) wrong() any {
	switch g.r.Intn(8) {
	case 0:
		return 0
	case 1:
		return 3.5
	case 2:
		return true
	case 3:
		return map[string]any{"a": 1}
	case 4:
		return []any{1, "x"}
	case 5:
		return "str"
	case 6:
		return nil
	}
	return 1e300
}

func (g *valueGen) value(t *ast.Type, name string, depth int) any {
	if g.mode == modeWrongTyped && g.r.Intn(3) == 0 || g.mode == modeMixed && g.r.Intn(8) == 0 {
		return g.wrong()
	}
	if t.Elem != nil {
		n := g.r.Intn(3)
		if !g.well() && g.r.Intn(10) == 0 {
			n = 200
		}
		xs := make([]any, n)
		for i := range xs {
			xs[i] = g.value(t.Elem, name, depth+1)
		}
		if !t.NonNull && g.r.Intn(10) == 0 {
			return nil
		}
		return xs
	}
	def := g.f.schema.Types[t.NamedType]
	if def == nil {
		return nil
	}
	switch def.Kind {
	case ast.Enum:
		if !g.well() && g.r.Intn(4) == 0 {
			return g.pick([]string{"lead", "NOPE", "", "ADMIN", "\x00"})
		}
		return def.EnumValues[g.r.Intn(len(def.EnumValues))].Name
	case ast.InputObject:
		obj := map[string]any{}
		for _, fd := range def.Fields {
			if !fd.Type.NonNull && g.r.Intn(2) == 0 {
				continue
			}
			if g.mode == modeMissing && fd.Type.NonNull && g.r.Intn(4) == 0 {
				continue
			}
			if depth > 6 {
				continue
			}
			obj[fd.Name] = g.value(fd.Type, fd.Name, depth+1)
		}
		if !g.well() && g.r.Intn(6) == 0 {
			obj["notAField"] = "x"
		}
		return obj
	}
	switch t.NamedType {
	case "ID":
		if id := g.typedID(name); id != "" && g.mode != modeIDs && g.well() {
			return id
		}
		if g.mode == modeIDs || !g.well() {
			return g.id()
		}
		if len(g.f.own) > 0 {
			return g.f.own[g.r.Intn(len(g.f.own))]
		}
		return tenancy.NewID()
	case "String":
		return g.str(name)
	case "Int":
		if g.well() {
			return 1 + g.r.Intn(20)
		}
		return []any{0, 1, 2, 5, 20, 100, -1, -2147483648, 2147483647, 2147483648, 1 << 53, 1000000}[g.r.Intn(12)]
	case "Float":
		return []any{0, 1.5, -1e308, 1e308, 3}[g.r.Intn(5)]
	case "Boolean":
		return g.r.Intn(2) == 0
	case "Decimal":
		if g.well() {
			return g.pick([]string{"0", "100", "1234.56", "0.01", "99999.99"})
		}
		return g.pick([]string{"0", "100", "1234.56", "0.005", "-5", "-0.01", "1e999999", "NaN", "Infinity", "-Infinity",
			"99999999999999999999999999999999999999.99", "0." + strings.Repeat("1", 500), "1,5", "", " 1 ", "0x10", "1e-999999", "12.345678901234567890"})
	case "Date":
		if g.well() {
			return g.pick([]string{"2026-01-01", "2026-06-30", "2027-12-31"})
		}
		return g.pick([]string{"2026-06-30", "2026-01-01", "0000-01-01", "0001-01-01", "9999-12-31", "10000-01-01", "-0001-01-01",
			"2026-13-45", "2026-02-30", "26-1-1", "2026-06-30T00:00:00Z", "", "today", "+275760-09-13"})
	case "DateTime":
		if g.well() {
			return g.pick([]string{"2026-07-01T10:00:00Z", "2026-12-24T08:30:00+01:00"})
		}
		return g.pick([]string{"2026-07-01T10:00:00Z", "2026-07-01T10:00:00+02:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
			"10000-01-01T00:00:00Z", "2026-07-01", "2026-07-01T25:61:61Z", "1970-01-01T00:00:00Z", "-1000-01-01T00:00:00Z", "", "now"})
	case "JSON":
		if g.well() {
			return map[string]any{"tier": "gold", "score": 3}
		}
		return g.json()
	}
	return g.str(name)
}

// json is a JSON scalar value: plain, wide, deep, or odd.
func (g *valueGen) json() any {
	switch g.r.Intn(8) {
	case 0:
		return map[string]any{"tier": "gold", "score": 3, "vip": true}
	case 1: // wide
		m := map[string]any{}
		for i := 0; i < 300+g.r.Intn(1000); i++ {
			m["k"+strconv.Itoa(i)] = strings.Repeat("v", g.r.Intn(40))
		}
		return m
	case 2: // deep: past the subgraphs' limit, under or past the gateway's
		var v any = "leaf"
		depth := []int{9, 10, 11, 12, 20, 31, 32, 33, 40}[g.r.Intn(9)]
		for i := 0; i < depth; i++ {
			if i%2 == 0 {
				v = map[string]any{"a": v}
			} else {
				v = []any{v}
			}
		}
		return v
	case 3:
		return map[string]any{"\x00": 1, "a\x00": "b\x00", markInvalidUTF8: markSurrogate, "": nil}
	case 4:
		return []any{1, "two", nil, 3.5, map[string]any{}}
	case 5:
		return g.pick([]string{"just a string", "", "{\"a\":1}"})
	case 6:
		return map[string]any{"contact": map[string]any{"firstName": strings.Repeat("x", 10000)}, "n": 1e308}
	}
	return 42
}

type fuzzResponse struct {
	status int
	body   []byte
	err    error
}

func (f *schemaFuzz) send(req fuzzRequest) fuzzResponse {
	hr, _ := http.NewRequest(http.MethodPost, f.e.url, bytes.NewReader(req.body))
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("X-Forwarded-For", f.e.client)
	if req.token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.token)
	}
	resp, err := f.client.Do(hr)
	if err != nil {
		return fuzzResponse{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return fuzzResponse{status: resp.StatusCode, body: body, err: err}
}

// verdict counts the answer by code (OK without errors) and says why it is a
// failure, or "" when it is an expected answer.
func (r fuzzResponse) verdict() (codes []string, bad string) {
	if r.err != nil {
		return []string{"TRANSPORT"}, r.err.Error()
	}
	var out struct {
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		codes = []string{"HTTP_" + strconv.Itoa(r.status) + "_NOT_JSON"}
		if r.status >= 500 {
			return codes, "HTTP " + strconv.Itoa(r.status)
		}
		return codes, "not a GraphQL response"
	}
	if r.status >= 500 {
		bad = "HTTP " + strconv.Itoa(r.status)
	}
	if len(out.Errors) == 0 {
		return []string{"OK"}, bad
	}
	seen := map[string]bool{}
	for _, e := range out.Errors {
		c, _ := e.Extensions["code"].(string)
		if c == "" {
			c = "(none)"
		}
		if !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
		if (c == "INTERNAL" || c == "(none)") && bad == "" {
			bad = "code " + c
		}
	}
	return codes, bad
}
