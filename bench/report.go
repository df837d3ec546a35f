package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// wrkResult is what bench/graphql.lua prints after a run (one WRKJSON line).
type wrkResult struct {
	Requests      int64   `json:"requests"`
	DurationUS    int64   `json:"duration_us"`
	P50US         int64   `json:"p50_us"`
	P95US         int64   `json:"p95_us"`
	P99US         int64   `json:"p99_us"`
	MeanUS        float64 `json:"mean_us"`
	Non2xx        int64   `json:"non2xx"`
	GraphQLErrors int64   `json:"graphql_errors"`
	SocketErrors  int64   `json:"socket_errors"`
	raw           string  // wrk's output
}

// parseWrk finds the script's WRKJSON line in wrk's output.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	for _, l := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "WRKJSON "); ok {
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				return r, fmt.Errorf("wrk result: %w", err)
			}
			r.raw = out
			if r.DurationUS <= 0 {
				return r, errors.New("wrk result: no duration")
			}
			return r, nil
		}
	}
	return r, fmt.Errorf("wrk printed no result:\n%s", out)
}

var pgbenchTPS = regexp.MustCompile(`tps = ([0-9.]+)`)
var pgbenchLat = regexp.MustCompile(`latency average = ([0-9.]+) ms`)
var pgbenchTx = regexp.MustCompile(`number of transactions actually processed: ([0-9]+)`)
var pgbenchFailed = regexp.MustCompile(`number of failed transactions: ([0-9]+)`)

// pgbenchResult is the SQL floor's run.
type pgbenchResult struct {
	TPS          float64 `json:"tps"`
	LatencyAvgMS float64 `json:"latency_avg_ms"`
	Transactions int64   `json:"transactions"`
	Failed       int64   `json:"failed"`
}

func parsePgbench(out string) (pgbenchResult, error) {
	var r pgbenchResult
	m := pgbenchTPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	r.TPS, _ = strconv.ParseFloat(m[1], 64)
	if m := pgbenchLat.FindStringSubmatch(out); m != nil {
		r.LatencyAvgMS, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := pgbenchTx.FindStringSubmatch(out); m != nil {
		r.Transactions, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := pgbenchFailed.FindStringSubmatch(out); m != nil {
		r.Failed, _ = strconv.ParseInt(m[1], 10, 64)
	}
	return r, nil
}

// Run is one scenario at one concurrency through one gateway.
type Run struct {
	Gateway     string             `json:"gateway"`
	Scenario    string             `json:"scenario"`
	Connections int                `json:"connections"`
	Seconds     float64            `json:"seconds"`
	ReqPerSec   float64            `json:"req_per_sec"`
	P50MS       float64            `json:"p50_ms"`
	P95MS       float64            `json:"p95_ms"`
	P99MS       float64            `json:"p99_ms"`
	Requests    int64              `json:"requests"`
	Errors      int64              `json:"errors"`
	CPUMSPerReq map[string]float64 `json:"cpu_ms_per_request"` // process name -> CPU ms per request
}

// newRun turns wrk's numbers and the processes' CPU ticks into a Run.
func newRun(gw, scenario string, conns int, w wrkResult, cpuTicks map[string]int64, ticksPerSec int64) Run {
	r := Run{Gateway: gw, Scenario: scenario, Connections: conns, Seconds: float64(w.DurationUS) / 1e6,
		P50MS: float64(w.P50US) / 1e3, P95MS: float64(w.P95US) / 1e3, P99MS: float64(w.P99US) / 1e3,
		Requests: w.Requests, Errors: w.Non2xx + w.GraphQLErrors + w.SocketErrors, CPUMSPerReq: map[string]float64{}}
	r.ReqPerSec = float64(w.Requests) / r.Seconds
	for name, t := range cpuTicks {
		if w.Requests > 0 {
			r.CPUMSPerReq[name] = float64(t) * 1000 / float64(ticksPerSec) / float64(w.Requests)
		}
	}
	return r
}

// Report is docs/performance.json.
type Report struct {
	Commit   string         `json:"commit"`
	Date     string         `json:"date"`
	Machine  Machine        `json:"machine"`
	Load     [2]string      `json:"load_average"` // before and after the run (1, 5, 15 min)
	Quick    bool           `json:"quick"`
	Note     string         `json:"note"`
	Seed     map[string]any `json:"seed"`
	Runs     []Run          `json:"runs"`
	Floor    []FloorRun     `json:"sql_floor"`
	Tenancy  *Tenancy       `json:"tenancy,omitempty"`
	WallTime float64        `json:"wall_seconds"`
}

// Tenancy is the harness's tenancy-at-scale measurement.
type Tenancy struct {
	Tenants                   int     `json:"tenants"`
	Size                      string  `json:"size"`
	SeedSeconds               float64 `json:"seed_seconds"`
	ProvisionSecondsPerTenant float64 `json:"provision_seconds_per_tenant"`
	MigrateSeconds            float64 `json:"migrate_seconds"`
}

type FloorRun struct {
	Connections int `json:"connections"`
	pgbenchResult
}

type Machine struct {
	CPUs     int    `json:"nproc"`
	CPUModel string `json:"cpu_model"`
	MemoryGB string `json:"memory"`
}

// markdown renders docs/performance.md.
func (r Report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Performance\n\nWritten by `make bench` (bench/main.go) from its own numbers: do not edit by hand.\n\n")
	fmt.Fprintf(&b, "- commit `%s`, %s\n- machine: %d CPUs (%s), %s memory\n", r.Commit, r.Date, r.Machine.CPUs, r.Machine.CPUModel, r.Machine.MemoryGB)
	if r.Quick {
		fmt.Fprintf(&b, "- **BENCH_QUICK**: seconds per run, numbers are rough\n")
	}
	fmt.Fprintf(&b, "- wall time of the run: %.0f s\n", r.WallTime)
	if r.Load[0] != "" {
		fmt.Fprintf(&b, "- load average (1, 5, 15 min) before the run: %s, after: %s (the harness itself loads the 2 CPUs; much more means other work ran too, and the numbers are low)\n", r.Load[0], r.Load[1])
	}
	if r.Note != "" {
		fmt.Fprintf(&b, "- %s\n", r.Note)
	}
	keys := make([]string, 0, len(r.Seed))
	for k := range r.Seed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "- %s: %v\n", k, r.Seed[k])
	}
	b.WriteString("\n## Scenarios through the gateway\n\nwrk, warm-up then a fixed duration per run; errors are non-2xx answers, socket errors and answers with GraphQL `errors`. CPU is utime+stime of each process from /proc/PID/stat over the run, divided by the requests served.\n\n")
	procs := map[string]bool{}
	for _, run := range r.Runs {
		for p := range run.CPUMSPerReq {
			procs[p] = true
		}
	}
	names := make([]string, 0, len(procs))
	for p := range procs {
		names = append(names, p)
	}
	sort.Strings(names)
	b.WriteString("| gateway | scenario | conns | req/s | p50 ms | p95 ms | p99 ms | requests | errors |")
	for _, p := range names {
		fmt.Fprintf(&b, " CPU ms/req %s |", p)
	}
	b.WriteString("\n|---|---|---|---|---|---|---|---|---|")
	for range names {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, run := range r.Runs {
		fmt.Fprintf(&b, "| %s | %s | %d | %.1f | %.1f | %.1f | %.1f | %d | %d |", run.Gateway, run.Scenario, run.Connections,
			run.ReqPerSec, run.P50MS, run.P95MS, run.P99MS, run.Requests, run.Errors)
		for _, p := range names {
			if v, ok := run.CPUMSPerReq[p]; ok {
				fmt.Fprintf(&b, " %.2f |", v)
			} else {
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	if cmp := r.comparison(); cmp != "" {
		b.WriteString(cmp)
	}
	if len(r.Floor) > 0 {
		b.WriteString("\n## The board's SQL floor\n\npgbench running bench/board.sql (one statement returning the board's JSON) in the board tenant's schema.\n\n| conns | statements/s | latency avg ms | transactions | failed |\n|---|---|---|---|---|\n")
		for _, f := range r.Floor {
			fmt.Fprintf(&b, "| %d | %.1f | %.2f | %d | %d |\n", f.Connections, f.TPS, f.LatencyAvgMS, f.Transactions, f.Failed)
		}
	}
	if t := r.Tenancy; t != nil {
		fmt.Fprintf(&b, "\n## Tenancy at scale\n\n- %d organisations created by `crm seed --tenants %d`, each %s: %.1f s, **%.0f ms per organisation** (sign-up with its schema and migrations, team, data)\n"+
			"- `crm migrate` over %d tenant schemas (nothing to apply): %.1f s\n- the board over one of them and round-robin over all: the rows \"board, ... tiny tenant(s)\" above\n",
			t.Tenants, t.Tenants, t.Size, t.SeedSeconds, t.ProvisionSecondsPerTenant*1000, t.Tenants+1, t.MigrateSeconds)
	}
	b.WriteString("\nThe same numbers as JSON: [performance.json](performance.json).\n")
	return b.String()
}

// comparison renders our throughput over each peer's, scenario by
// scenario, from the runs the report holds.
func (r Report) comparison() string {
	type key struct {
		scenario string
		conns    int
	}
	by := map[string]map[key]Run{}
	var peers []string
	var order []key
	for _, run := range r.Runs {
		if by[run.Gateway] == nil {
			by[run.Gateway] = map[key]Run{}
			if run.Gateway != "ours" {
				peers = append(peers, run.Gateway)
			}
		}
		k := key{run.Scenario, run.Connections}
		by[run.Gateway][k] = run
		if run.Gateway != "ours" && len(peers) == 1 {
			order = append(order, k)
		}
	}
	if len(peers) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\n## Ours and the peers\n\nThe same subgraph processes behind each gateway in turn, the same sessions and queries: our requests per second over the peer's (above 1: ours serves more), and the gateway's own CPU per request.\n\n| scenario | conns |")
	for _, p := range peers {
		fmt.Fprintf(&b, " ours / %s | CPU ms/req %s |", p, p)
	}
	b.WriteString(" CPU ms/req ours |\n|---|---|")
	for range peers {
		b.WriteString("---|---|")
	}
	b.WriteString("---|\n")
	for _, k := range order {
		ours, ok := by["ours"][k]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d |", k.scenario, k.conns)
		for _, p := range peers {
			if pr, ok := by[p][k]; ok && pr.ReqPerSec > 0 {
				fmt.Fprintf(&b, " %.2fx | %.2f |", ours.ReqPerSec/pr.ReqPerSec, pr.CPUMSPerReq["gateway"])
			} else {
				b.WriteString(" | |")
			}
		}
		fmt.Fprintf(&b, " %.2f |\n", ours.CPUMSPerReq["gateway"])
	}
	return b.String()
}
