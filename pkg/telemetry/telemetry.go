// Package telemetry is the one place that sets up OpenTelemetry tracing:
// the tracer provider every process of the product uses (Setup, called by
// cmd/crm), W3C traceparent propagation between the gateway, the subgraphs
// and the events, the server span of each HTTP request (Middleware) and the
// span of each SQL statement (PGXTracer).
//
// Tracing is off by default: no exporter, the API's no-op provider, no SQL
// tracer. It is on when an OTLP endpoint is configured by the standard
// variables (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
// or OTEL_TRACES_EXPORTER=otlp), unless OTEL_SDK_DISABLED=true or
// OTEL_TRACES_EXPORTER=none. The exporter, sampler (OTEL_TRACES_SAMPLER,
// OTEL_TRACES_SAMPLER_ARG), batching (OTEL_BSP_*) and resource
// (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) read their own variables.
//
// Even when off, a request's incoming traceparent is kept in its context
// and passed on (the no-op spans carry their parent's span context), so
// logs name the caller's trace id and a tracing caller's trace continues
// through the subgraphs.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// instrumentation names the product's tracer.
const instrumentation = "github.com/opencrm/opencrm"

// Propagator is the one propagation format: W3C Trace Context
// (traceparent, tracestate) in HTTP and NATS headers.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

var (
	enabled  atomic.Bool
	provider atomic.Pointer[providerBox]
)

// providerBox holds the provider (an atomic.Pointer needs one concrete type).
type providerBox struct{ trace.TracerProvider }

func init() { provider.Store(&providerBox{noop.NewTracerProvider()}) }

// Enabled reports whether spans are recorded and exported (Setup found an
// exporter, or a test installed a provider with Use). Costly
// instrumentation (a span per SQL statement) is installed only then.
func Enabled() bool { return enabled.Load() }

// Tracer is the product's tracer, from the provider Setup or Use installed
// (the API's no-op provider until then).
func Tracer() trace.Tracer { return provider.Load().Tracer(instrumentation) }

// Use makes tp the product's tracer provider and turns instrumentation on;
// it returns a function that restores the previous provider (tests install
// an SDK provider with an in-memory exporter this way). Unlike OpenTelemetry's
// global provider, which delegates to the first one set for good, this one
// can be put back.
func Use(tp trace.TracerProvider) (restore func()) {
	prev, wasEnabled := provider.Load(), enabled.Load()
	provider.Store(&providerBox{tp})
	enabled.Store(true)
	return func() {
		provider.Store(prev)
		enabled.Store(wasEnabled)
	}
}

// Setup configures tracing for a process from the OTEL_* variables;
// service is the default service name (OTEL_SERVICE_NAME overrides it).
// When tracing is off it does nothing and returns a no-op shutdown. The
// returned shutdown flushes the spans still buffered; call it on exit.
func Setup(ctx context.Context, service string) (shutdown func(context.Context) error, err error) {
	noop := func(context.Context) error { return nil }
	on, err := wanted()
	if err != nil || !on {
		return noop, err
	}
	for _, key := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if v := os.Getenv(key); v != "" && v != "http/protobuf" {
			return noop, fmt.Errorf("%s: only http/protobuf is supported (the collector's port 4318), not %q", key, v)
		}
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return noop, fmt.Errorf("OTEL_EXPORTER_OTLP_*: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName(service)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES: last, so they win
	)
	if err != nil {
		return noop, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	Use(tp)
	otel.SetTracerProvider(tp) // for libraries that trace through the global provider
	otel.SetTextMapPropagator(Propagator)
	return tp.Shutdown, nil
}

// wanted reads whether the OTEL_* variables ask for traces.
func wanted() (bool, error) {
	if v := os.Getenv("OTEL_SDK_DISABLED"); strings.EqualFold(v, "true") {
		return false, nil
	}
	switch v := os.Getenv("OTEL_TRACES_EXPORTER"); v {
	case "none":
		return false, nil
	case "otlp":
		return true, nil
	case "":
		return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "", nil
	default:
		return false, errors.New("OTEL_TRACES_EXPORTER: only otlp and none are supported, not " + fmt.Sprintf("%q", v))
	}
}

// Inject writes ctx's span context into h as traceparent (and tracestate):
// what every outgoing HTTP request to another part of the product carries.
func Inject(ctx context.Context, h http.Header) {
	Propagator.Inject(ctx, propagation.HeaderCarrier(h))
}

// Extract returns ctx with the span context h carries (traceparent) as its
// remote parent; ctx unchanged when h carries none or a malformed one.
func Extract(ctx context.Context, h http.Header) context.Context {
	return Propagator.Extract(ctx, propagation.HeaderCarrier(h))
}

// Traceparent is ctx's span context as a traceparent value, "" when it has
// none: what the outbox keeps of the transaction that wrote an event.
func Traceparent(ctx context.Context) string {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ""
	}
	h := http.Header{}
	Inject(ctx, h)
	return h.Get("Traceparent")
}

// WithTraceparent returns ctx whose remote parent is the traceparent value
// tp ("" or malformed: ctx unchanged).
func WithTraceparent(ctx context.Context, tp string) context.Context {
	if tp == "" {
		return ctx
	}
	return Extract(ctx, http.Header{"Traceparent": {tp}})
}

// TraceID is ctx's trace id in hex, "" when ctx has no span context: what
// every log line carries next to the request id.
func TraceID(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	return sc.TraceID().String()
}

// Fail marks span as failed with err (nil: nothing).
func Fail(span trace.Span, err error) {
	if err == nil {
		return
	}
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}
