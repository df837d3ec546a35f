// Package events carries what happened in one domain to the others: the
// event envelope of design.md section 5, the catalogue of event types, and
// the transactional outbox every event is written to.
package events

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/oklog/ulid/v2"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the platform migrations of this package (the outbox).
func Migrations() fs.FS { sub, _ := fs.Sub(migrations, "migrations"); return sub }

// Event is the seed's Event plus an id, which JetStream uses to drop
// duplicates and consumers use to apply an event once.
type Event struct {
	ID        string          `json:"id"`
	Type      Type            `json:"type"`
	TenantID  string          `json:"tenant_id"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
	Actor     string          `json:"actor"` // id of the user who caused it, "" for the system
}

// Subject is the JetStream subject of the event: crm.<domain>.<event>.
func (e Event) Subject() string { return "crm." + string(e.Type) }

// New makes an event of type t for a tenant, with data as its payload.
func New(t Type, tenantID, actor string, data any) (Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, fmt.Errorf("events: marshal %s: %w", t, err)
	}
	return Event{
		ID:        ulid.Make().String(),
		Type:      t,
		TenantID:  tenantID,
		Timestamp: time.Now().UTC(),
		Data:      raw,
		Actor:     actor,
	}, nil
}

// Publish writes the event to the outbox in tx, the transaction of the change
// it reports: it is published if and only if that transaction commits.
func Publish(ctx context.Context, tx pgx.Tx, e Event) error {
	payload, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("events: marshal envelope: %w", err)
	}
	_, err = tx.Exec(ctx,
		`INSERT INTO platform.outbox (id, subject, tenant_id, payload, created_at) VALUES ($1, $2, $3, $4, $5)`,
		e.ID, e.Subject(), e.TenantID, payload, e.Timestamp)
	if err != nil {
		return fmt.Errorf("events: write outbox: %w", err)
	}
	return nil
}

// Emit makes an event and publishes it in tx.
func Emit(ctx context.Context, tx pgx.Tx, t Type, tenantID, actor string, data any) error {
	e, err := New(t, tenantID, actor, data)
	if err != nil {
		return err
	}
	return Publish(ctx, tx, e)
}
