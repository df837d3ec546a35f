package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencrm/opencrm/pkg/tenancy"
)

// BenchmarkGateway compares the same query sent straight to the identity
// subgraph, the same through the gateway, and a federated query whose
// tenant fields come from the tenant subgraph in one entity batch. Run:
//
//	go test ./gateway -run '^$' -bench Gateway -benchtime 5s
func BenchmarkGateway(b *testing.B) {
	bb := setup(b)
	tok := bearer(bb.token(b))
	const local = `{ users { edges { node { id email tenant { id } } } } }`
	const federated = `{ users { edges { node { id email tenant { name subdomain } } } } }`
	b.Run("direct-to-subgraph", func(b *testing.B) { load(b, bb.Identity.URL, local, tok) })
	b.Run("gateway-same-query", func(b *testing.B) { load(b, bb.URL+"/graphql", local, tok) })
	b.Run("gateway-federated", func(b *testing.B) { load(b, bb.URL+"/graphql", federated, tok) })
}

// BenchmarkGatewayRealSubgraphs is BenchmarkGateway against the real
// identity and tenant subgraphs (PostgreSQL, Redis): the signed-in user with
// its tenant's name and subdomain, a query of two subgraphs. Run:
//
//	go test ./gateway -run '^$' -bench RealSubgraphs -benchtime 5s
func BenchmarkGatewayRealSubgraphs(b *testing.B) {
	e := startE2E(b)
	tok := "Bearer " + e.signUp(b, "bench-"+strings.ToLower(tenancy.NewID()[18:])).AccessToken
	const local = `{ me { id email tenant { id } } }`
	const federated = `{ me { id email tenant { name subdomain } } }`
	b.Run("direct-to-subgraph", func(b *testing.B) { load(b, e.cluster.URLs["identity"], local, tok) })
	b.Run("gateway-same-query", func(b *testing.B) { load(b, e.url, local, tok) })
	b.Run("gateway-federated", func(b *testing.B) { load(b, e.url, federated, tok) })
}

// load posts query to url from parallel clients and reports throughput
// and latency percentiles.
func load(b *testing.B, url, query, authorization string) {
	body, _ := json.Marshal(map[string]string{"query": query})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var mu sync.Mutex
	var all []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", authorization)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		all = append(all, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}
