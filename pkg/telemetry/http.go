package telemetry

import (
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// AttrComponent names the part of the product a span belongs to (gateway,
// identity, contact, ...): several run in one process under `crm all`, so
// the service name alone does not tell them apart.
const AttrComponent = attribute.Key("opencrm.component")

// Middleware makes every request to next the child of the traceparent it
// carries and, when tracing is on, records a server span named
// "<component> <METHOD> <path>" around it. Off, it only keeps the caller's
// span context (for logs and for passing it on).
func Middleware(component string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if r.Header.Get("Traceparent") != "" {
			ctx = Extract(ctx, r.Header)
		}
		if !Enabled() {
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		ctx, span := Tracer().Start(ctx, component+" "+r.Method+" "+r.URL.Path,
			trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(AttrComponent.String(component),
				semconv.HTTPRequestMethodKey.String(r.Method), semconv.URLPath(r.URL.Path)))
		defer span.End()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(ctx))
		span.SetAttributes(semconv.HTTPResponseStatusCode(sw.status))
		if sw.status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(sw.status))
		}
	})
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the writer's own methods (Flush).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
