// Package events carries what happened in one domain to the others: the
// event envelope of docs/architecture.md section 5, the catalogue of event types, the
// transactional outbox every event is written to, the relay that publishes
// the outbox to NATS JetStream, and the consumer helper that applies each
// event once per consumer in a tenant transaction.
package events

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/oklog/ulid/v2"

	"github.com/opencrm/opencrm/pkg/auth"
)

//go:embed migrations/*.sql
var migrations embed.FS

//go:embed tenantmigrations/*.sql
var tenantMigrations embed.FS

// Migrations returns the platform migrations of this package (the outbox,
// parked events).
func Migrations() fs.FS { sub, _ := fs.Sub(migrations, "migrations"); return sub }

// TenantMigrations returns the migrations every tenant schema needs for its
// events to be consumed (the handled-events table); register them as the
// tenant domain "events".
func TenantMigrations() fs.FS { sub, _ := fs.Sub(tenantMigrations, "tenantmigrations"); return sub }

// execer is what a pool and a transaction share.
type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Event is the seed's Event plus an id, which JetStream uses to drop
// duplicates and consumers use to apply an event once.
type Event struct {
	ID        string          `json:"id"`
	Type      Type            `json:"type"`
	TenantID  string          `json:"tenant_id"`
	Timestamp time.Time       `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
	Actor     string          `json:"actor"` // id of the user who caused it, "" for the system
	// ActorKind says how the actor acted: "user" (signed in), "api_key"
	// (with the API key ActorAPIKey, which the actor created) or "" (the
	// system).
	ActorKind   string `json:"actor_kind,omitempty"`
	ActorAPIKey string `json:"actor_api_key,omitempty"`
}

// The actor kinds.
const (
	ActorUser   = "user"
	ActorAPIKey = "api_key"
)

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
// it reports: it is published if and only if that transaction commits. A
// trigger notifies the relays at commit.
func Publish(ctx context.Context, tx pgx.Tx, e Event) error {
	payload, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("events: marshal envelope: %w", err)
	}
	if err := insertOutbox(ctx, tx, e.ID, e.Subject(), e.TenantID, payload, e.Timestamp, nil); err != nil {
		return fmt.Errorf("events: write outbox: %w", err)
	}
	return nil
}

// Emit makes an event and publishes it in tx. An event whose actor is the
// request's caller says how the caller acted: as a user, or with an API key
// (its id), so what a key did is attributed to the key and its creator.
func Emit(ctx context.Context, tx pgx.Tx, t Type, tenantID, actor string, data any) error {
	e, err := New(t, tenantID, actor, data)
	if err != nil {
		return err
	}
	if id, err := auth.Caller(ctx); err == nil && actor != "" && id.UserID == actor && id.TenantID == tenantID {
		e.ActorKind = ActorUser
		if id.IsAPIKey() {
			e.ActorKind, e.ActorAPIKey = ActorAPIKey, id.APIKeyID
		}
	}
	return Publish(ctx, tx, e)
}

// Decode returns the event's payload as a T, the payload struct of its type
// in the catalogue.
func Decode[T any](e Event) (T, error) {
	var v T
	if err := json.Unmarshal(e.Data, &v); err != nil {
		return v, fmt.Errorf("events: decode %s payload of %s: %w", e.Type, e.ID, err)
	}
	return v, nil
}
