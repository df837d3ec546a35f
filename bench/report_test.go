package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseWrkReadsTheScriptsResultLine(t *testing.T) {
	out := "Running 5s test @ http://127.0.0.1:9180/graphql\n  2 threads and 8 connections\n" +
		`WRKJSON {"requests":500,"duration_us":5000000,"p50_us":15000,"p95_us":30000,"p99_us":45000,"mean_us":16000.5,"non2xx":1,"graphql_errors":2,"socket_errors":3}` + "\n"
	w, err := parseWrk(out)
	require.NoError(t, err)
	r := newRun("ours", "board", 8, w, map[string]int64{"gateway": 100, "deal": 250}, 100)
	require.InDelta(t, 100.0, r.ReqPerSec, 1e-9)
	require.InDelta(t, 15.0, r.P50MS, 1e-9)
	require.InDelta(t, 45.0, r.P99MS, 1e-9)
	require.EqualValues(t, 6, r.Errors, "non-2xx, GraphQL errors and socket errors all count")
	require.InDelta(t, 2.0, r.CPUMSPerReq["gateway"], 1e-9, "100 ticks at 100 Hz over 500 requests")
	require.InDelta(t, 5.0, r.CPUMSPerReq["deal"], 1e-9)

	_, err = parseWrk("Running 5s test\nunable to connect to 127.0.0.1:9180 Connection refused\n")
	require.ErrorContains(t, err, "wrk printed no result")
}

func TestParsePgbench(t *testing.T) {
	out := `number of clients: 8
number of transactions actually processed: 5512
number of failed transactions: 0 (0.000%)
latency average = 14.512 ms
initial connection time = 12.1 ms
tps = 551.234567 (without initial connection time)`
	p, err := parsePgbench(out)
	require.NoError(t, err)
	require.InDelta(t, 551.234567, p.TPS, 1e-9)
	require.InDelta(t, 14.512, p.LatencyAvgMS, 1e-9)
	require.EqualValues(t, 5512, p.Transactions)
	_, err = parsePgbench("pgbench: error: connection failed")
	require.Error(t, err)
}

func TestTheReportShowsEveryRunAndProcess(t *testing.T) {
	r := Report{Commit: "abc1234", Date: "2026-12-02", Machine: Machine{CPUs: 2, CPUModel: "Test CPU", MemoryGB: "8 GB"},
		Note: "measured while other work ran", Load: [2]string{"0.10 0.20 0.30", "4.00 3.00 2.00"},
		Runs: []Run{
			{Gateway: "ours", Scenario: "board", Connections: 8, ReqPerSec: 52.5, P50MS: 151, Requests: 525, CPUMSPerReq: map[string]float64{"gateway": 6.3, "deal": 12}},
			{Gateway: "ours", Scenario: "me", Connections: 32, ReqPerSec: 2000, Requests: 20000, Errors: 4, CPUMSPerReq: map[string]float64{"gateway": 0.5}},
		},
		Floor: []FloorRun{{Connections: 8, pgbenchResult: pgbenchResult{TPS: 550, LatencyAvgMS: 14.5}}},
	}
	md := r.markdown()
	for _, want := range []string{"commit `abc1234`", "2 CPUs (Test CPU)", "measured while other work ran", "before the run: 0.10 0.20 0.30, after: 4.00 3.00 2.00",
		"| CPU ms/req deal | CPU ms/req gateway |", "| ours | board | 8 | 52.5 | 151.0 |", "| 6.30 |", "| ours | me | 32 | 2000.0 |",
		"| 8 | 550.0 | 14.50 |"} {
		require.True(t, strings.Contains(md, want), "the report has %q:\n%s", want, md)
	}
}

func TestTheReportComparesUsWithEachPeerScenarioByScenario(t *testing.T) {
	r := Report{Runs: []Run{
		{Gateway: "ours", Scenario: "board", Connections: 8, ReqPerSec: 150, CPUMSPerReq: map[string]float64{"gateway": 6}},
		{Gateway: "ours", Scenario: "me", Connections: 8, ReqPerSec: 2000},
		{Gateway: "apollo-gateway", Scenario: "board", Connections: 8, ReqPerSec: 50, CPUMSPerReq: map[string]float64{"gateway": 14}},
		{Gateway: "hive-gateway", Scenario: "board", Connections: 8, ReqPerSec: 75, CPUMSPerReq: map[string]float64{"gateway": 41}},
	}}
	md := r.markdown()
	require.Contains(t, md, "| scenario | conns | ours / apollo-gateway | CPU ms/req apollo-gateway | ours / hive-gateway | CPU ms/req hive-gateway | CPU ms/req ours |")
	require.Contains(t, md, "| board | 8 | 3.00x | 14.00 | 2.00x | 41.00 | 6.00 |")
	cmp := md[strings.Index(md, "## Ours and the peers"):]
	require.NotContains(t, cmp, "| me | 8 |", "a scenario no peer ran is not compared")
}
