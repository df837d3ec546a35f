package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/opencrm/opencrm/pkg/telemetry"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// Not parallel: it installs the process's tracer provider, and the
// parallel tests (which expect the client's traceparent to reach the
// subgraphs unchanged, as it does with tracing off) run only after it.
func TestOneTraceFollowsAFederatedQueryFromTheGatewayThroughTwoSubgraphsToTheSQL(t *testing.T) {
	spans := &endedSpans{}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSpanProcessor(spans))
	t.Cleanup(telemetry.Use(tp)) // before the pools: they trace SQL only when tracing is on
	c := startCRM(t)
	admin := c.signUp(t, "trace-"+strings.ToLower(tenancy.NewID()[18:]))

	// The caller's own trace: the gateway's span is its child.
	const callerTrace, callerSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	body, _ := json.Marshal(map[string]any{"query": `{ me { fullName tenant { name } } }`})
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+admin.AccessToken)
	req.Header.Set("Traceparent", "00-"+callerTrace+"-"+callerSpan+"-01")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var out struct {
		Data struct {
			Me struct {
				FullName string
				Tenant   struct{ Name string }
			}
		}
		Errors []any
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	resp.Body.Close()
	require.Empty(t, out.Errors)
	require.Equal(t, "Acme E2E", out.Data.Me.Tenant.Name)

	// Spans end after the response is written: wait for the three servers'.
	got := spans.waitFor(t, callerTrace, "gateway POST /graphql", "identity POST /graphql", "tenant POST /graphql")

	root := got.one(t, "gateway POST /graphql")
	assert.Equal(t, callerSpan, root.Parent.SpanID().String(), "the gateway's span continues the caller's trace")
	assert.Equal(t, trace.SpanKindServer, root.SpanKind)
	for _, subgraph := range []string{"identity", "tenant"} {
		fetch := got.one(t, "fetch "+subgraph)
		assert.Equal(t, root.SpanContext.SpanID(), fetch.Parent.SpanID(), "the gateway's fetch of %s is a child of its request", subgraph)
		server := got.one(t, subgraph+" POST /graphql")
		assert.Equal(t, fetch.SpanContext.SpanID(), server.Parent.SpanID(), "the %s subgraph serves the fetch: the traceparent crossed", subgraph)
		sql := got.under(server, "SQL ")
		assert.NotEmpty(t, sql, "the %s subgraph's SQL statements are spans of the trace", subgraph)
		for _, s := range sql {
			assert.Equal(t, trace.SpanKindClient, s.SpanKind)
			assert.NotEmpty(t, attr(s, "db.query.text"), "%s has its statement's text", s.Name)
		}
	}
	assert.NotEmpty(t, got.under(got.one(t, "tenant POST /graphql"), "SQL SELECT"), "the tenant's row is read in the trace")
}

// endedSpans collects the spans that ended, for a test to wait on.
type endedSpans struct {
	mu      sync.Mutex
	spans   []sdktrace.ReadOnlySpan
	changed chan struct{}
}

func (e *endedSpans) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (e *endedSpans) Shutdown(context.Context) error                  { return nil }
func (e *endedSpans) ForceFlush(context.Context) error                { return nil }

func (e *endedSpans) OnEnd(s sdktrace.ReadOnlySpan) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.spans = append(e.spans, s)
	if e.changed != nil {
		close(e.changed)
		e.changed = nil
	}
}

// waitFor returns the spans of the trace once spans of every name ended
// in it (at most 10 s: a bound on a hang, not a timing).
func (e *endedSpans) waitFor(t *testing.T, traceID string, names ...string) spanSet {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		e.mu.Lock()
		var set spanSet
		for _, s := range e.spans {
			if s.SpanContext().TraceID().String() == traceID {
				set = append(set, tracetest.SpanStubFromReadOnlySpan(s))
			}
		}
		missing := ""
		for _, n := range names {
			if len(set.named(n)) == 0 {
				missing = n
			}
		}
		if missing == "" {
			e.mu.Unlock()
			return set
		}
		changed := make(chan struct{})
		e.changed = changed
		e.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no span %q ended in trace %s; the trace has %s", missing, traceID, set)
		}
	}
}

// spanSet is the spans of one trace.
type spanSet []tracetest.SpanStub

func (s spanSet) named(name string) spanSet {
	var out spanSet
	for _, sp := range s {
		if sp.Name == name {
			out = append(out, sp)
		}
	}
	return out
}

func (s spanSet) one(t *testing.T, name string) tracetest.SpanStub {
	t.Helper()
	got := s.named(name)
	require.Len(t, got, 1, "one span %q in %s", name, s)
	return got[0]
}

// under returns the descendants of parent whose name starts with prefix.
func (s spanSet) under(parent tracetest.SpanStub, prefix string) spanSet {
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, sp := range s {
		byID[sp.SpanContext.SpanID()] = sp
	}
	var out spanSet
	for _, sp := range s {
		if !strings.HasPrefix(sp.Name, prefix) {
			continue
		}
		for p, ok := byID[sp.Parent.SpanID()]; ok; p, ok = byID[p.Parent.SpanID()] {
			if p.SpanContext.SpanID() == parent.SpanContext.SpanID() {
				out = append(out, sp)
				break
			}
		}
	}
	return out
}

func (s spanSet) String() string {
	names := make([]string, len(s))
	for i, sp := range s {
		names[i] = sp.Name
	}
	return "[" + strings.Join(names, ", ") + "]"
}

func attr(s tracetest.SpanStub, key string) string {
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			return a.Value.String()
		}
	}
	return ""
}
