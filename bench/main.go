// Command bench is the load harness of `make bench`: it migrates and seeds
// a database of its own (the board's reference set), starts every subgraph
// and the gateway as separate processes (CPU per process), signs in through
// the gateway, and drives the scenarios a CRM screen sends with wrk at 8 and
// 32 connections; then the read scenarios through the peer gateways (Apollo
// Gateway and Hive Gateway, pinned in bench/peers, serving the same
// supergraph and subgraph processes), the board's one-statement SQL floor
// with pgbench, and writes docs/performance.md and docs/performance.json.
//
//	go run ./bench -crm bin/crm            (BENCH_QUICK=1: seconds per run)
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencrm/opencrm/subgraphs"
)

// service is a subgraph as the harness runs it: every entry of
// subgraphs.All, in registry order, on the ports after the gateway's.
type service struct {
	name, urlVar string
	port         int
}

// services are where the harness runs the subgraphs when the gateway is on
// base: base+1, base+2... in the order of subgraphs.All (the peer gateways
// are on base+20 and up, peers).
func services(base int) []service {
	out := make([]service, len(subgraphs.All))
	for i, sg := range subgraphs.All {
		out[i] = service{name: sg.Name, urlVar: sg.URLVar, port: base + 1 + i}
	}
	return out
}

type proc struct {
	name string
	cmd  *exec.Cmd
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	crm := flag.String("crm", "bin/crm", "the crm binary")
	db := flag.String("db", "opencrm_bench", "the database the harness owns (dropped and recreated)")
	base := flag.Int("port", 9180, "the gateway's port; the subgraphs listen on the next ones (one each), the peer gateways on port+20 and up")
	out := flag.String("out", "docs", "where performance.md and performance.json go")
	flag.Parse()
	quick := os.Getenv("BENCH_QUICK") != ""
	dur, warm := 15*time.Second, 5*time.Second
	if quick {
		dur, warm = 3*time.Second, 1*time.Second
	}
	for _, tool := range []string{"wrk", "pgbench", "psql"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed (Debian: apt-get install wrk postgresql-client)", tool)
		}
	}
	start := time.Now()
	loadBefore := loadAverage()
	ctx := context.Background()
	// Pools of 12: every subgraph process under PostgreSQL's default
	// max_connections (100), with room for the machine's other users.
	dbURL := fmt.Sprintf("postgres://postgres@127.0.0.1:5432/%s?sslmode=disable&pool_max_conns=12", *db)
	if out, err := exec.Command("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", "DROP DATABASE IF EXISTS "+*db+" WITH (FORCE)").CombinedOutput(); err != nil {
		return fmt.Errorf("drop %s: %v: %s", *db, err, out)
	}
	keys, err := exec.Command(*crm, "keygen", "bench").Output()
	if err != nil {
		return fmt.Errorf("crm keygen: %w", err)
	}
	svcs := services(*base)
	env := append(os.Environ(), "DATABASE_URL="+dbURL, "LOG_LEVEL=error", "GOMAXPROCS="+strconv.Itoa(runtime.NumCPU()),
		// No NATS: the harness must not publish into a JetStream other
		// processes on the machine consume; the write mix's events wait in
		// the outbox (the relay's cost is not measured).
		"NATS_URL=", strings.TrimSpace(strings.SplitN(string(keys), "\n", 2)[0]))
	for _, s := range svcs {
		env = append(env, fmt.Sprintf("%s=http://127.0.0.1:%d", s.urlVar, s.port))
	}
	runCmd := func(args ...string) ([]byte, error) {
		c := exec.CommandContext(ctx, *crm, args...)
		c.Env, c.Stderr = env, os.Stderr
		return c.Output()
	}
	if _, err := runCmd("migrate"); err != nil {
		return fmt.Errorf("crm migrate: %w", err)
	}
	t0 := time.Now()
	// A new subdomain each run: Redis caches subdomain -> tenant across
	// databases, so a recreated database must not reuse one.
	seedOut, err := runCmd("seed", "--size", "board", "--subdomain", "bench-"+strconv.FormatInt(time.Now().Unix(), 36))
	if err != nil {
		return fmt.Errorf("crm seed: %w", err)
	}
	seedSeconds := time.Since(t0).Seconds()
	var org struct{ TenantID, Subdomain, Email, Password string }
	if err := json.Unmarshal(bytes.TrimSpace(seedOut), &org); err != nil {
		return fmt.Errorf("crm seed output: %w", err)
	}
	var procs []proc
	defer func() {
		for _, p := range procs {
			_ = p.cmd.Process.Signal(os.Interrupt)
			_ = p.cmd.Wait()
		}
	}()
	startProc := func(name string, port int, args ...string) error {
		c := exec.Command(*crm, args...)
		c.Env, c.Stdout, c.Stderr = append(env, "PORT="+strconv.Itoa(port)), os.Stderr, os.Stderr
		if err := c.Start(); err != nil {
			return err
		}
		procs = append(procs, proc{name, c})
		return waitHealthy(fmt.Sprintf("http://127.0.0.1:%d/health", port))
	}
	for _, s := range svcs {
		if err := startProc(s.name, s.port, "subgraph", s.name); err != nil {
			return fmt.Errorf("subgraph %s: %w", s.name, err)
		}
	}
	// The gateway runs without Redis, which turns its rate limits (600
	// requests a minute per user) off: the benchmark is one user.
	env = append(env, "REDIS_URL=")
	if err := startProc("gateway", *base, "gateway"); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	gw := fmt.Sprintf("http://127.0.0.1:%d/graphql", *base)
	// 32 sessions of the user, cycled through request by request: the
	// requests in flight at once are of different callers, as on a real
	// team's boards, so no two share a subgraph fetch (the "one session"
	// rows show what in-flight deduplication gives one caller).
	sessions, err := signIn(gw, org.Subdomain, org.Email, org.Password, 32)
	if err != nil {
		return err
	}
	token := sessions[0]
	var ids struct {
		Data struct {
			Companies struct {
				Edges []struct{ Node struct{ ID string } }
			}
			Deals struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
	}
	if err := gql(gw, token, `{ companies(first: 1) { edges { node { id } } } deals(first: 1) { edges { node { id } } } }`, nil, &ids); err != nil {
		return fmt.Errorf("ids: %w", err)
	}
	if len(ids.Data.Companies.Edges) == 0 || len(ids.Data.Deals.Edges) == 0 {
		return fmt.Errorf("the seeded organisation has no company or deal")
	}
	companyID, dealID := ids.Data.Companies.Edges[0].Node.ID, ids.Data.Deals.Edges[0].Node.ID
	tmp, err := os.MkdirTemp("", "bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	tokens, oneSession := filepath.Join(tmp, "tokens"), filepath.Join(tmp, "one-session")
	if err := os.WriteFile(tokens, []byte(strings.Join(sessions, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(oneSession, []byte(token+"\n"), 0o600); err != nil {
		return err
	}
	var runs []Run
	measure := func(gateway, url string, scs []scenario, measured []proc) error {
		for _, sc := range scs {
			tf := tokens
			if sc.oneSession {
				tf = oneSession
			}
			rs, err := measureScenario(gateway, url, sc, tmp, tf, measured, warm, dur)
			if err != nil {
				return err
			}
			runs = append(runs, rs...)
		}
		return nil
	}
	all := scenarios(companyID, dealID)
	read := append(all[:3:3], all[len(all)-1]) // board, company page, deal list, board of one session
	if err := measure("ours", gw, all, procs); err != nil {
		return err
	}
	// The peers serve the same subgraph processes, one at a time, on the
	// read scenarios (their CPU is counted as "gateway").
	if err := installPeers(); err != nil {
		return err
	}
	urls := map[string]string{}
	for _, s := range svcs {
		urls[s.name] = fmt.Sprintf("http://127.0.0.1:%d", s.port)
	}
	sg, err := supergraphFor(tmp, urls)
	if err != nil {
		return err
	}
	subgraphProcs := procs[:len(svcs):len(svcs)]
	for _, p := range peers(*base) {
		a := p.args(sg, p.port)
		c := exec.Command(a[0], a[1:]...)
		c.Dir, c.Stdout, c.Stderr = "bench/peers", os.Stderr, os.Stderr
		c.Env = append(os.Environ(), "NODE_ENV=production")
		if err := c.Start(); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		stop := func() { _ = c.Process.Signal(os.Interrupt); _ = c.Wait() }
		if err := waitHealthy(fmt.Sprintf("http://127.0.0.1:%d%s", p.port, p.health)); err != nil {
			stop()
			return fmt.Errorf("%s: %w", p.name, err)
		}
		err := measure(p.name, fmt.Sprintf("http://127.0.0.1:%d/graphql", p.port), read, append(subgraphProcs, proc{"gateway", c}))
		stop()
		if err != nil {
			return err
		}
	}
	ten, tenRuns, err := tenancyAtScale(runCmd, gw, tmp, warm, dur, quick)
	if err != nil {
		return fmt.Errorf("tenancy at scale: %w", err)
	}
	runs = append(runs, tenRuns...)
	var floor []FloorRun
	for _, conns := range []int{8} {
		c := exec.Command("pgbench", "-n", "-h", "127.0.0.1", "-U", "postgres", "-f", "bench/board.sql", "-c", strconv.Itoa(conns),
			"-j", "2", "-T", strconv.Itoa(int(dur.Seconds())), *db)
		c.Env = append(os.Environ(), "PGOPTIONS=-csearch_path=tenant_"+strings.ToLower(org.TenantID))
		o, err := c.CombinedOutput()
		if err != nil {
			return fmt.Errorf("pgbench: %v: %s", err, o)
		}
		p, err := parsePgbench(string(o))
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench: sql floor     %2d conns %8.1f statements/s latency avg %.1f ms\n", conns, p.TPS, p.LatencyAvgMS)
		floor = append(floor, FloorRun{Connections: conns, pgbenchResult: p})
	}
	commit, _ := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	rep := Report{Commit: strings.TrimSpace(string(commit)), Date: time.Now().UTC().Format(time.RFC3339), Machine: machine(), Load: [2]string{loadBefore, loadAverage()},
		Quick: quick, Runs: runs, Tenancy: ten, Floor: floor, WallTime: time.Since(start).Seconds(),
		Note: "processes: each subgraph and the gateway separately (`crm subgraph NAME`, `crm gateway`), no NATS (events wait in the outbox), the gateway without Redis (no rate limits)",
		Seed: map[string]any{"data set": "crm seed --size board: 500 deals, 100 companies, 250 contacts, 3 owners, 500 activities, 50 tasks",
			"seed seconds": fmt.Sprintf("%.1f", seedSeconds), "run seconds": dur.Seconds(), "warm-up seconds": warm.Seconds()}}
	if n := os.Getenv("BENCH_NOTE"); n != "" {
		rep.Note += "; " + n
	}
	js, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "performance.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: wrote %s/performance.md and performance.json in %.0f s\n", *out, time.Since(start).Seconds())
	return os.WriteFile(filepath.Join(*out, "performance.md"), []byte(rep.markdown()), 0o644)
}

// tenancyAtScale creates BENCH_TENANTS tiny organisations (crm seed
// --tenants, 50 deals each), signs in to each, runs the board round-robin
// over all their tokens and over one of them at 8 connections (the
// procs[] CPU is not split here), and times `crm migrate` over every schema.
func tenancyAtScale(runCmd func(...string) ([]byte, error), gw, tmp string, warm, dur time.Duration, quick bool) (*Tenancy, []Run, error) {
	n := 30
	if quick {
		n = 5
	}
	if v, err := strconv.Atoi(os.Getenv("BENCH_TENANTS")); err == nil && v > 0 {
		n = v
	}
	t0 := time.Now()
	out, err := runCmd("seed", "--tenants", strconv.Itoa(n), "--subdomain", "bench-t"+strconv.FormatInt(time.Now().Unix(), 36))
	if err != nil {
		return nil, nil, fmt.Errorf("crm seed --tenants: %w", err)
	}
	ten := &Tenancy{Tenants: n, Size: "tiny (10 companies, 25 contacts, 50 deals, 50 activities, 10 tasks, 3 users)",
		SeedSeconds: time.Since(t0).Seconds()}
	var toks, first []string
	for i, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var org struct {
			Subdomain, Email, Password string
			Seconds                    float64
		}
		if err := json.Unmarshal([]byte(l), &org); err != nil {
			return nil, nil, err
		}
		ten.ProvisionSecondsPerTenant += org.Seconds / float64(n)
		// As many sessions of the first tenant as there are tenants: both
		// runs send every request in flight with a different token.
		k := 1
		if i == 0 {
			k = n
		}
		got, err := signIn(gw, org.Subdomain, org.Email, org.Password, k)
		if err != nil {
			return nil, nil, err
		}
		if i == 0 {
			first = got
		}
		toks = append(toks, got[0])
	}
	t1 := time.Now()
	if _, err := runCmd("migrate"); err != nil {
		return nil, nil, fmt.Errorf("crm migrate: %w", err)
	}
	ten.MigrateSeconds = time.Since(t1).Seconds()
	boardBody, _ := json.Marshal(map[string]any{"query": board})
	bodies := filepath.Join(tmp, "tenancy.bodies")
	if err := os.WriteFile(bodies, append(boardBody, '\n'), 0o600); err != nil {
		return nil, nil, err
	}
	var runs []Run
	for _, c := range []struct {
		name string
		toks []string
	}{{fmt.Sprintf("board, 1 tiny tenant, %d sessions", n), first}, {fmt.Sprintf("board, %d tiny tenants round-robin", n), toks}} {
		tf := filepath.Join(tmp, "tenancy.tokens")
		if err := os.WriteFile(tf, []byte(strings.Join(c.toks, "\n")+"\n"), 0o600); err != nil {
			return nil, nil, err
		}
		if _, err := wrk(gw, bodies, tf, 8, warm); err != nil {
			return nil, nil, err
		}
		w, err := wrk(gw, bodies, tf, 8, dur)
		if err != nil {
			return nil, nil, err
		}
		r := newRun("ours", c.name, 8, w, nil, 100)
		fmt.Fprintf(os.Stderr, "bench: %s: %.1f req/s p50 %.1f ms errors %d\n", c.name, r.ReqPerSec, r.P50MS, r.Errors)
		runs = append(runs, r)
	}
	fmt.Fprintf(os.Stderr, "bench: %d tenants provisioned in %.1f s (%.0f ms each), crm migrate over them in %.1f s\n",
		n, ten.SeedSeconds, ten.ProvisionSecondsPerTenant*1000, ten.MigrateSeconds)
	return ten, runs, nil
}

// measureScenario drives one scenario through one gateway at 8 and 32
// connections, a warm-up before each run, with the CPU of every process.
func measureScenario(gateway, url string, sc scenario, tmp, tokens string, procs []proc, warm, dur time.Duration) ([]Run, error) {
	bodies := filepath.Join(tmp, sc.name+".bodies")
	var buf bytes.Buffer
	for _, q := range sc.queries {
		b, _ := json.Marshal(map[string]any{"query": q})
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if err := os.WriteFile(bodies, buf.Bytes(), 0o600); err != nil {
		return nil, err
	}
	var runs []Run
	for _, conns := range []int{8, 32} {
		if _, err := wrk(url, bodies, tokens, conns, warm); err != nil {
			return nil, fmt.Errorf("%s %s warm-up: %w", gateway, sc.name, err)
		}
		before := cpu(procs)
		w, err := wrk(url, bodies, tokens, conns, dur)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", gateway, sc.name, err)
		}
		after := cpu(procs)
		ticks := map[string]int64{}
		for n, t := range after {
			ticks[n] = t - before[n]
		}
		r := newRun(gateway, sc.name, conns, w, ticks, 100)
		fmt.Fprintf(os.Stderr, "bench: %-14s %-13s %2d conns %8.1f req/s p50 %6.1f ms p99 %6.1f ms errors %d\n", gateway, sc.name, conns, r.ReqPerSec, r.P50MS, r.P99MS, r.Errors)
		if i := strings.Index(w.raw, "WRKSAMPLE "); i >= 0 && r.Errors > 0 {
			fmt.Fprintf(os.Stderr, "bench:   an error: %s\n", strings.SplitN(w.raw[i+10:], "\n", 2)[0])
		}
		runs = append(runs, r)
	}
	return runs, nil
}

type scenario struct {
	name       string
	queries    []string // cycled through (the write mix has several)
	oneSession bool     // every request with one token (else 32 sessions in turn)
}

const board = `{ pipelineView(dealsPerStage: 500) { stages { stage { name } deals { title value company { name } primaryContact { fullName } owner { fullName } } } } }`

func scenarios(companyID, dealID string) []scenario {
	return []scenario{
		{name: "board", queries: []string{board}},
		{name: "company page", queries: []string{fmt.Sprintf(`{ company(id: %q) { name industry contacts(first: 20) { edges { node { fullName email jobTitle } } } deals(first: 20) { edges { node { title value stage { name } } } } activities(first: 10) { edges { node { type subject occurredAt } } } } }`, companyID)}},
		{name: "deal list", queries: []string{`{ deals(first: 20) { totalCount edges { node { title value owner { fullName } company { name } activities(first: 5) { edges { node { type subject occurredAt } } } } } } }`}},
		{name: "contact search", queries: []string{`{ search(query: "martin", first: 10) { ... on Contact { fullName email } ... on Company { name } } }`,
			`{ contacts(first: 20, filter: { name: "ga" }) { totalCount edges { node { fullName email company { name } } } } }`}},
		{name: "me", queries: []string{`{ me { id fullName email role } }`}},
		{name: "write mix", queries: []string{
			fmt.Sprintf(`mutation { logActivity(input: { type: CALL, subject: "Bench call", dealId: %q }) { id } }`, dealID),
			fmt.Sprintf(`mutation { createTask(input: { title: "Bench follow-up", dealId: %q }) { id } }`, dealID),
			fmt.Sprintf(`mutation { updateDeal(id: %q, input: { description: "updated by the bench" }) { id } }`, dealID),
		}},
		{name: "board, one session", queries: []string{board}, oneSession: true},
	}
}

func wrk(url, bodies, tokens string, conns int, d time.Duration) (wrkResult, error) {
	threads := min(conns, 2)
	c := exec.Command("wrk", "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", int(d.Seconds())),
		"--timeout", "10s", "-s", "bench/graphql.lua", url, "--", bodies, tokens)
	o, err := c.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %v: %s", err, o)
	}
	return parseWrk(string(o))
}

// cpu reads utime+stime (clock ticks) of each process and its descendants
// (and their waited-for children) from /proc/PID/stat.
func cpu(procs []proc) map[string]int64 {
	out := map[string]int64{}
	for _, p := range procs {
		for _, pid := range processTree(p.cmd.Process.Pid) {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			if err != nil {
				continue
			}
			s := string(b)
			f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
			for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
				v, _ := strconv.ParseInt(f[i], 10, 64)
				out[p.name] += v
			}
		}
	}
	return out
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				m.CPUModel = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		f := strings.Fields(string(b))
		if len(f) > 1 {
			kb, _ := strconv.ParseFloat(f[1], 64)
			m.MemoryGB = fmt.Sprintf("%.1f GB", kb/1024/1024)
		}
	}
	return m
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute averages: a number
// measured while other work ran on the machine says so.
func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func waitHealthy(url string) error {
	for range 100 {
		if r, err := http.Get(url); err == nil {
			_ = r.Body.Close()
			if r.StatusCode < 500 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer in 10 s", url)
}

// signIn opens n sessions of a user through the gateway.
func signIn(gw, subdomain, email, password string, n int) ([]string, error) {
	var out []string
	for range n {
		var login struct {
			Data struct{ Login struct{ AccessToken string } }
		}
		if err := gql(gw, "", `mutation($i: LoginInput!) { login(input: $i) { accessToken } }`,
			map[string]any{"i": map[string]any{"subdomain": subdomain, "email": email, "password": password}}, &login); err != nil {
			return nil, fmt.Errorf("login %s: %w", subdomain, err)
		}
		if slices.Contains(out, login.Data.Login.AccessToken) {
			return nil, fmt.Errorf("login %s: two sign-ins gave the same token", subdomain)
		}
		out = append(out, login.Data.Login.AccessToken)
	}
	return out, nil
}

func gql(url, token, query string, vars map[string]any, v any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var e struct{ Errors []any }
	if json.Unmarshal(b, &e) == nil && len(e.Errors) > 0 {
		return fmt.Errorf("GraphQL errors: %s", b)
	}
	return json.Unmarshal(b, v)
}
