package gateway

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the gateway's Prometheus metrics: requests by operation name
// and outcome, their latency, and the latency of every subgraph fetch.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	fetches  *prometheus.HistogramVec

	mu  sync.Mutex
	ops map[string]bool // operation names seen, to bound label cardinality
}

// maxOperationLabels bounds the distinct operation names in the metrics;
// clients choose names, so later ones are counted as "other".
const maxOperationLabels = 200

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_requests_total",
			Help: "GraphQL requests served by the gateway, by operation name and outcome (ok, error: the response has errors, or the code of a refusal).",
		}, []string{"operation", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_request_duration_seconds",
			Help:    "Time to serve a GraphQL request, by operation name.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation"}),
		fetches: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_subgraph_fetch_duration_seconds",
			Help:    "Time from sending a fetch to a subgraph to its response headers, by subgraph and HTTP status (error: no response).",
			Buckets: prometheus.DefBuckets,
		}, []string{"subgraph", "status"}),
		ops: map[string]bool{},
	}
	m.registry.MustRegister(m.requests, m.latency, m.fetches,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

var operationName = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]{0,63}$`)

// observe records one request.
func (m *metrics) observe(op, outcome string, took time.Duration) {
	op = m.label(op)
	m.requests.WithLabelValues(op, outcome).Inc()
	m.latency.WithLabelValues(op).Observe(took.Seconds())
}

func (m *metrics) label(op string) string {
	switch {
	case op == "":
		return "anonymous"
	case !operationName.MatchString(op):
		return "other"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.ops[op] {
		if len(m.ops) >= maxOperationLabels {
			return "other"
		}
		m.ops[op] = true
	}
	return op
}

// fetchTransport is the engine's HTTP transport, timing each subgraph fetch
// under the name of the subgraph its host belongs to.
type fetchTransport struct {
	next    http.RoundTripper
	byHost  map[string]string
	latency *prometheus.HistogramVec
}

func newFetchTransport(next http.RoundTripper, urls map[string]string, m *metrics) *fetchTransport {
	t := &fetchTransport{next: next, byHost: map[string]string{}, latency: m.fetches}
	for name, u := range urls {
		if pu, err := url.Parse(u); err == nil {
			t.byHost[pu.Host] = name
		}
	}
	return t
}

// RoundTrip implements http.RoundTripper.
func (t *fetchTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
	}
	name, ok := t.byHost[r.URL.Host]
	if !ok {
		name = "unknown"
	}
	t.latency.WithLabelValues(name, status).Observe(time.Since(start).Seconds())
	return resp, err
}
