package events

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// listen wakes the relay whenever a transaction that wrote events commits.
// It holds a connection of its own (not one of the pool's: a session that
// outlives transactions, so directly to PostgreSQL, RelayConfig.ListenURL),
// and reconnects after losing it; meanwhile the relay polls.
func (r *Relay) listen(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		err := r.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		if skipped, ok := r.listening.fail(); ok {
			r.cfg.Logger.Warn("events: outbox LISTEN connection lost; polling", "err", err, "suppressed", skipped)
		}
		select {
		case <-ctx.Done():
		case <-time.After(r.cfg.PollInterval):
		}
	}
}

func (r *Relay) listenOnce(ctx context.Context, wake chan<- struct{}) error {
	cfg := r.db.Pool.Config().ConnConfig.Copy()
	if r.cfg.ListenURL != "" {
		pcfg, err := pgxpool.ParseConfig(r.cfg.ListenURL) // the pool's own parameters (pool_max_conns) are not PostgreSQL's
		if err != nil {
			return fmt.Errorf("events: parse the LISTEN URL: %w", err)
		}
		cfg = pcfg.ConnConfig
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	r.listening.recover()
	signal(wake) // rows may have been written while nobody listened
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		signal(wake)
	}
}

// signal wakes the relay without blocking; one pending wake-up is enough.
func signal(wake chan<- struct{}) {
	select {
	case wake <- struct{}{}:
	default:
	}
}
