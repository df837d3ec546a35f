package gateway

import (
	"context"
	"crypto/subtle"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/opencrm/opencrm/pkg/telemetry"
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
			Help: "GraphQL requests served by the gateway, by operation name and outcome (ok, error: the response has errors, replayed: the kept response of an Idempotency-Key, or the code of a refusal).",
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

// requireToken serves h only to requests bearing token (Authorization:
// Bearer <token>, compared in constant time); an empty token serves
// everyone.
func requireToken(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need the metrics token: Authorization: Bearer <METRICS_TOKEN>", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
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

// fetchTransport is the engine's HTTP transport: it bounds each subgraph
// fetch by the subgraph's own deadline (Config.SubgraphTimeout, within the
// request's), lets it finish when its request is cancelled (others may
// share it), times it under the name of the subgraph its host belongs to,
// and makes it a client span of the request's trace, whose traceparent it
// carries (the one place the gateway passes the trace on; with tracing off
// the client's own traceparent goes on unchanged).
type fetchTransport struct {
	next     http.RoundTripper
	byHost   map[string]string
	timeout  time.Duration            // of a fetch
	timeouts map[string]time.Duration // per subgraph, overriding timeout
	latency  *prometheus.HistogramVec
}

func newFetchTransport(next http.RoundTripper, urls map[string]string, m *metrics, timeout time.Duration, timeouts map[string]time.Duration) *fetchTransport {
	t := &fetchTransport{next: next, byHost: map[string]string{}, latency: m.fetches, timeout: timeout, timeouts: timeouts}
	for name, u := range urls {
		if pu, err := url.Parse(u); err == nil {
			t.byHost[pu.Host] = name
		}
	}
	return t
}

// RoundTrip implements http.RoundTripper. The fetch's deadline covers
// reading the body too: it ends when the engine closes it.
func (t *fetchTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	name, ok := t.byHost[r.URL.Host]
	if !ok {
		name = "unknown"
	}
	timeout := t.timeout
	if d, ok := t.timeouts[name]; ok && d > 0 {
		timeout = d
	}
	// The fetch outlives its request's cancellation (not its deadline): the
	// engine shares one in-flight fetch among identical requests of a
	// caller, and a client that gives up must not fail the others.
	deadline := time.Now().Add(timeout)
	if d, ok := r.Context().Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	ctx, cancel := context.WithDeadline(context.WithoutCancel(r.Context()), deadline)
	ctx, span := telemetry.Tracer().Start(ctx, "fetch "+name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(telemetry.AttrComponent.String("gateway"), attrSubgraph.String(name)))
	r = r.WithContext(ctx)
	r.Header = r.Header.Clone()
	if h, ok := ctx.Value(requestHeadersKey{}).(http.Header); ok {
		for k, v := range h {
			r.Header[k] = v
		}
	}
	telemetry.Inject(ctx, r.Header)
	resp, err := t.next.RoundTrip(r)
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
		resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: func() { span.End(); cancel() }}
	} else {
		telemetry.Fail(span, err)
		span.End()
		cancel()
	}
	t.latency.WithLabelValues(name, status).Observe(time.Since(start).Seconds())
	return resp, err
}

// attrSubgraph names the subgraph a fetch span went to.
const attrSubgraph = attribute.Key("opencrm.subgraph")

// requestHeadersKey holds, in the context of an operation's execution, the
// headers the fetch transport adds to each of its subgraph fetches
// (Gateway.requestHeaders).
type requestHeadersKey struct{}

// withRequestHeaders returns ctx whose subgraph fetches carry h.
func withRequestHeaders(ctx context.Context, h http.Header) context.Context {
	return context.WithValue(ctx, requestHeadersKey{}, h)
}

// cancelOnClose ends a fetch's deadline when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
