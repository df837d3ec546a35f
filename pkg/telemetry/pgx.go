package telemetry

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// PGXTracer is a pgx.QueryTracer that records a client span per SQL
// statement ("SQL SELECT", with the statement's text but never its
// arguments), the child of the span of the request or event it serves.
// database.NewPool installs it when tracing is on.
type PGXTracer struct{}

type pgxSpanKey struct{}

// TraceQueryStart implements pgx.QueryTracer.
func (PGXTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	ctx, span := Tracer().Start(ctx, "SQL "+verb(data.SQL),
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(semconv.DBSystemNamePostgreSQL, semconv.DBQueryText(data.SQL)))
	return context.WithValue(ctx, pgxSpanKey{}, span)
}

// TraceQueryEnd implements pgx.QueryTracer.
func (PGXTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	span, ok := ctx.Value(pgxSpanKey{}).(trace.Span)
	if !ok {
		return
	}
	Fail(span, data.Err)
	span.End()
}

// verb is the statement's first keyword (SELECT, INSERT, BEGIN, WITH...),
// a span name of low cardinality.
func verb(sql string) string {
	sql = strings.TrimSpace(sql)
	for strings.HasPrefix(sql, "--") { // sqlc puts "-- name: ..." first
		_, rest, ok := strings.Cut(sql, "\n")
		if !ok {
			return "statement"
		}
		sql = strings.TrimSpace(rest)
	}
	end := strings.IndexFunc(sql, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == ';' || r == '(' })
	if end < 0 {
		end = len(sql)
	}
	if end == 0 {
		return "statement"
	}
	return strings.ToUpper(sql[:end])
}
