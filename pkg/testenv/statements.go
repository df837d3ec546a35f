package testenv

import (
	"context"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// Statements is a pgx.QueryTracer that counts the statements a pool sends
// (BEGIN and COMMIT included): give it to database.Options.Tracer to prove
// that a request costs a constant number of statements.
type Statements struct{ n atomic.Int64 }

// TraceQueryStart implements pgx.QueryTracer.
func (s *Statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	s.n.Add(1)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (s *Statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Count is the number of statements sent so far.
func (s *Statements) Count() int64 { return s.n.Load() }

// During returns how many statements f made the pool send.
func (s *Statements) During(f func()) int64 {
	before := s.n.Load()
	f()
	return s.n.Load() - before
}
