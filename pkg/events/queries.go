package events

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/telemetry"
)

// The SQL of this package. The outbox and its neighbours are a handful of
// statements, so they are plain pgx queries kept together here. Platform
// tables are schema-qualified; handled_events is the tenant table, reached
// through the tenant transaction's search_path.

// notifyChannel is the channel the outbox trigger notifies on commit.
const notifyChannel = "opencrm_outbox"

const (
	sqlInsertOutbox = `INSERT INTO platform.outbox (id, subject, tenant_id, payload, created_at, replay_for, trace_context)
VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''))`

	sqlClaimOutbox = `SELECT id, subject, payload, coalesce(replay_for, ''), coalesce(trace_context, '') FROM platform.outbox
WHERE sent_at IS NULL ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`

	sqlMarkSent = `UPDATE platform.outbox SET sent_at = now() WHERE id = ANY($1)`

	sqlPruneOutbox = `DELETE FROM platform.outbox WHERE id IN (
SELECT id FROM platform.outbox WHERE sent_at < $1 LIMIT $2)`

	sqlMarkHandled = `INSERT INTO handled_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`

	sqlPark = `INSERT INTO platform.parked_events (consumer, event_id, subject, tenant_id, payload, attempts, error)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (consumer, event_id) DO UPDATE SET subject = excluded.subject, tenant_id = excluded.tenant_id,
payload = excluded.payload, attempts = excluded.attempts, error = excluded.error, parked_at = now(), replayed_at = NULL`

	sqlListParked = `SELECT id, consumer, event_id, subject, tenant_id, payload, attempts, error, parked_at, replayed_at
FROM platform.parked_events WHERE consumer = $1 AND replayed_at IS NULL ORDER BY parked_at, id`

	sqlTakeParked = `UPDATE platform.parked_events SET replayed_at = now()
WHERE id = $1 AND replayed_at IS NULL RETURNING consumer, event_id, subject, tenant_id, payload`
)

// outboxRow is an unsent event claimed by a relay.
type outboxRow struct {
	ID        string
	Subject   string
	Payload   []byte
	ReplayFor string
	// TraceContext is the traceparent of the writing request, "" for none.
	TraceContext string
}

func insertOutbox(ctx context.Context, tx pgx.Tx, id, subject, tenantID string, payload []byte, at time.Time, replayFor *string) error {
	_, err := tx.Exec(ctx, sqlInsertOutbox, id, subject, tenantID, payload, at, replayFor, telemetry.Traceparent(ctx))
	return err
}

func claimOutbox(ctx context.Context, tx pgx.Tx, limit int) ([]outboxRow, error) {
	return queryAll[outboxRow](ctx, tx, sqlClaimOutbox, limit)
}

func markSent(ctx context.Context, tx pgx.Tx, ids []string) error {
	_, err := tx.Exec(ctx, sqlMarkSent, ids)
	return err
}

func pruneOutbox(ctx context.Context, db execer, before time.Time, limit int) (int64, error) {
	tag, err := db.Exec(ctx, sqlPruneOutbox, before, limit)
	return tag.RowsAffected(), err
}

// markHandled records that consumer applied event id in the tenant
// transaction tx, and reports false if it had been recorded before.
func markHandled(ctx context.Context, tx pgx.Tx, consumer, id string) (bool, error) {
	tag, err := tx.Exec(ctx, sqlMarkHandled, consumer, id)
	return tag.RowsAffected() == 1, err
}

func park(ctx context.Context, db execer, p Parked) error {
	_, err := db.Exec(ctx, sqlPark, p.Consumer, p.EventID, p.Subject, p.TenantID, p.Payload, p.Attempts, p.Error)
	return err
}

func listParked(ctx context.Context, tx pgx.Tx, consumer string) ([]Parked, error) {
	return queryAll[Parked](ctx, tx, sqlListParked, consumer)
}

// queryAll scans every row into a T, column by field in order.
func queryAll[T any](ctx context.Context, tx pgx.Tx, sql string, args ...any) ([]T, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[T])
}

// takeParked marks a parked message replayed and returns it; pgx.ErrNoRows
// if there is none waiting with that id.
func takeParked(ctx context.Context, tx pgx.Tx, id int64) (Parked, error) {
	p := Parked{ID: id}
	err := tx.QueryRow(ctx, sqlTakeParked, id).Scan(&p.Consumer, &p.EventID, &p.Subject, &p.TenantID, &p.Payload)
	return p, err
}
