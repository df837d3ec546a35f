package testenv

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// CommitBreaker is a pool of a test database that, while armed, refuses
// every connection once a transaction has committed: a database that goes
// away between a write's commit and any read after it, to prove that a
// mutation answers from what its own transaction read.
type CommitBreaker struct {
	Pool             *pgxpool.Pool
	armed, committed atomic.Bool
}

// NewCommitBreaker opens a CommitBreaker on the database DatabaseURL names.
func NewCommitBreaker(t testing.TB, name string) *CommitBreaker {
	t.Helper()
	b := &CommitBreaker{}
	cfg, err := pgxpool.ParseConfig(DatabaseURL(t, name))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = commitTracer{&b.committed}
	cfg.PrepareConn = func(context.Context, *pgx.Conn) (bool, error) {
		if b.armed.Load() && b.committed.Load() {
			return false, errors.New("the database is restarting")
		}
		return true, nil
	}
	if b.Pool, err = pgxpool.NewWithConfig(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Pool.Close)
	return b
}

// Arm makes the pool fail after the next commit, until the returned disarm.
func (b *CommitBreaker) Arm() (disarm func()) {
	b.committed.Store(false)
	b.armed.Store(true)
	return func() { b.armed.Store(false) }
}

// Down makes the pool refuse connections now, until the returned up.
func (b *CommitBreaker) Down() (up func()) {
	b.committed.Store(true)
	b.armed.Store(true)
	return func() { b.armed.Store(false) }
}

// Committed reports whether a transaction committed since Arm.
func (b *CommitBreaker) Committed() bool { return b.committed.Load() }

// commitTracer records that a COMMIT succeeded.
type commitTracer struct{ committed *atomic.Bool }

type commitKey struct{}

func (c commitTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.EqualFold(strings.TrimSpace(d.SQL), "commit") {
		return context.WithValue(ctx, commitKey{}, true)
	}
	return ctx
}

func (c commitTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	if ctx.Value(commitKey{}) == true && d.Err == nil {
		c.committed.Store(true)
	}
}
