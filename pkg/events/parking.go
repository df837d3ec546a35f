package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// Parked is a message a consumer gave up on, waiting in
// platform.parked_events for an operator to fix the cause and replay it.
type Parked struct {
	ID         int64
	Consumer   string
	EventID    string
	Subject    string
	TenantID   string
	Payload    []byte // the envelope as received
	Attempts   int
	Error      string // the last attempt's error
	ParkedAt   time.Time
	ReplayedAt *time.Time
}

// retryOrPark has a failed message redelivered after a backoff or, after
// the last attempt, parks it and terminates its delivery.
func (c *Consumer) retryOrPark(ctx context.Context, msg jetstream.Msg, e Event, cause error) {
	attempts := 1
	if meta, err := msg.Metadata(); err == nil {
		attempts = int(meta.NumDelivered)
	}
	log := c.cfg.Logger.With("consumer", c.name, "event", e.ID, "type", e.Type, "tenant", e.TenantID, "attempt", attempts)
	if attempts < c.cfg.MaxAttempts {
		log.Warn("events: handler failed; will retry", "err", cause)
		_ = msg.NakWithDelay(c.cfg.Backoff(attempts))
		return
	}
	if err := park(ctx, c.db.Pool, c.parked(msg, e, attempts, cause)); err != nil {
		log.Error("events: park failed; will retry", "err", err, "cause", cause)
		_ = msg.NakWithDelay(c.cfg.Backoff(attempts))
		return
	}
	log.Error("events: event parked", "err", cause)
	_ = msg.Term()
}

func (c *Consumer) parked(msg jetstream.Msg, e Event, attempts int, cause error) Parked {
	p := Parked{
		Consumer: c.name, EventID: e.ID, Subject: c.cfg.Stream.canonical(msg.Subject()),
		TenantID: e.TenantID, Payload: msg.Data(), Attempts: attempts, Error: cause.Error(),
	}
	if p.EventID == "" {
		p.EventID = messageID(msg)
	}
	if !json.Valid(p.Payload) {
		p.Payload, _ = json.Marshal(string(msg.Data()))
	}
	return p
}

// messageID names a message whose envelope could not be read.
func messageID(msg jetstream.Msg) string {
	if id := msg.Headers().Get(nats.MsgIdHdr); id != "" {
		return id
	}
	if meta, err := msg.Metadata(); err == nil {
		return "seq-" + strconv.FormatUint(meta.Sequence.Stream, 10)
	}
	return "unknown-" + tenancy.NewID()
}

// ListParked returns the messages consumer parked that were not replayed,
// oldest first.
func ListParked(ctx context.Context, db *tenancy.DB, consumer string) ([]Parked, error) {
	var out []Parked
	err := db.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = listParked(ctx, tx, consumer)
		return err
	})
	return out, err
}

// Replay sends the parked message id again, to the consumer that parked it
// only, through the outbox (so it is published once the transaction
// commits, even if NATS is down now). It answers NOT_FOUND when no message
// with that id waits. The consumer applies it like a new delivery; if it
// fails its attempts again it is parked again.
func Replay(ctx context.Context, db *tenancy.DB, id int64) error {
	err := db.InPlatform(ctx, func(tx pgx.Tx) error {
		p, err := takeParked(ctx, tx, id)
		if err != nil {
			return err
		}
		// A fresh row id is a fresh JetStream message id, past the dedup
		// window's memory of the original; the envelope keeps the event id.
		rowID := p.EventID + "-replay-" + strings.ToLower(tenancy.NewID())
		return insertOutbox(ctx, tx, rowID, p.Subject, p.TenantID, p.Payload, time.Now(), &p.Consumer)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.E(apperr.NotFound, "no parked event %d waits for replay", id)
	}
	if err != nil {
		return fmt.Errorf("events: replay %d: %w", id, err)
	}
	return nil
}
