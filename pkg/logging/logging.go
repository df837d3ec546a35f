// Package logging gives every process structured JSON logs that carry the
// request id, the trace id (pkg/telemetry) and, once known, the tenant of
// the request they belong to.
package logging

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/opencrm/opencrm/pkg/telemetry"
)

// RequestIDHeader carries the request id between the gateway and subgraphs.
const RequestIDHeader = "X-Request-ID"

// New returns a JSON logger at the given level (debug, info, warn, error)
// and makes it the default.
func New(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		l = slog.LevelInfo
	}
	log := slog.New(contextHandler{slog.NewJSONHandler(output, &slog.HandlerOptions{Level: l})})
	slog.SetDefault(log)
	return log
}

// output is where logs go (a test may swap it).
var output io.Writer = os.Stderr

type ctxKey int

const (
	requestIDKey ctxKey = iota
	tenantKey
)

// RequestID returns the request id of ctx, "" outside a request.
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey).(string)
	return s
}

// TenantID returns the tenant ctx's log lines name, "" when none.
func TenantID(ctx context.Context) string {
	s, _ := ctx.Value(tenantKey).(string)
	return s
}

// WithTenant returns ctx whose log lines name the tenant.
func WithTenant(ctx context.Context, tenantID string) context.Context {
	return context.WithValue(ctx, tenantKey, tenantID)
}

// WithRequestID returns ctx whose log lines carry the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// Middleware takes the request id from X-Request-ID when it is sane, makes
// one otherwise, echoes it in the response and puts it in the context.
func Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID.MatchString(id) {
			id = ulid.Make().String()
			r.Header.Set(RequestIDHeader, id)
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(WithRequestID(r.Context(), id)))
	})
}

// contextHandler adds request_id, trace_id and tenant_id from the context
// to every record.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	if id := telemetry.TraceID(ctx); id != "" {
		r.AddAttrs(slog.String("trace_id", id))
	}
	if t := TenantID(ctx); t != "" {
		r.AddAttrs(slog.String("tenant_id", t))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
