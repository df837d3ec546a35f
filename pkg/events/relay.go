package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/opencrm/opencrm/pkg/telemetry"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// attrMessageID is the event id on the spans of its publish and consumption.
const attrMessageID = attribute.Key("messaging.message.id")

// Defaults of RelayConfig.
const (
	DefaultBatchSize       = 500
	DefaultPollInterval    = time.Second
	DefaultRetention       = 72 * time.Hour
	DefaultPruneInterval   = 10 * time.Minute
	DefaultPublishTimeout  = 10 * time.Second
	DefaultShutdownTimeout = 5 * time.Second
)

// replayHeader names the one consumer a replayed message is for.
const replayHeader = "Opencrm-Replay-For"

// RelayConfig tunes a Relay; the zero value gives the defaults.
type RelayConfig struct {
	Stream Stream
	// BatchSize is how many rows one transaction claims and publishes.
	BatchSize int
	// PollInterval is how often the outbox is read when no notification
	// arrives (a lost LISTEN connection, NATS coming back).
	PollInterval time.Duration
	// Retention is how long sent rows are kept before they are pruned.
	Retention     time.Duration
	PruneInterval time.Duration
	// PublishTimeout bounds the wait for a batch's JetStream acks.
	PublishTimeout time.Duration
	// ShutdownTimeout bounds the last drain of the outbox when Run stops.
	ShutdownTimeout time.Duration
	// ListenURL is the PostgreSQL server the relay LISTENs on for its
	// wake-ups (DATABASE_DIRECT_URL); empty: the pool's own server. A
	// notification does not cross a transaction pooler such as PgBouncer,
	// so behind one this must name PostgreSQL itself.
	ListenURL string
	Logger    *slog.Logger
}

func (c RelayConfig) withDefaults() RelayConfig {
	c.Stream = c.Stream.withDefaults()
	c.BatchSize = orDefault(c.BatchSize, DefaultBatchSize)
	c.PollInterval = orDefault(c.PollInterval, DefaultPollInterval)
	c.Retention = orDefault(c.Retention, DefaultRetention)
	c.PruneInterval = orDefault(c.PruneInterval, DefaultPruneInterval)
	c.PublishTimeout = orDefault(c.PublishTimeout, DefaultPublishTimeout)
	c.ShutdownTimeout = orDefault(c.ShutdownTimeout, DefaultShutdownTimeout)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Relay publishes the outbox to JetStream. Every process that writes events
// runs one; replicas share the work, each row claimed by one of them at a
// time (FOR UPDATE SKIP LOCKED), and JetStream drops a message id it has
// seen, so each event is stored in the stream once. Events are published
// roughly in the order they were written, not strictly.
type Relay struct {
	db        *tenancy.DB
	js        jetstream.JetStream
	cfg       RelayConfig
	published atomic.Int64
	streamOK  bool
	lastPrune time.Time
	failing   throttle // publishing
	listening throttle // the LISTEN connection
}

// NewRelay returns a relay of db's outbox to js.
func NewRelay(db *tenancy.DB, js jetstream.JetStream, cfg RelayConfig) *Relay {
	return &Relay{db: db, js: js, cfg: cfg.withDefaults()}
}

// Published is how many events this relay has had acknowledged by JetStream.
func (r *Relay) Published() int64 { return r.published.Load() }

// Run relays until ctx is cancelled, then finishes the batch it holds,
// drains what it can within the shutdown timeout, and returns nil. NATS or
// PostgreSQL being down is logged and retried, never returned: the events
// wait in the outbox.
func (r *Relay) Run(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	var listening sync.WaitGroup
	defer listening.Wait()
	listening.Go(func() { r.listen(ctx, wake) })
	poll := time.NewTicker(r.cfg.PollInterval)
	defer poll.Stop()
	for {
		more := r.step(ctx)
		if more && ctx.Err() == nil {
			continue
		}
		select {
		case <-ctx.Done():
			r.drain(context.WithoutCancel(ctx))
			return nil
		case <-wake:
		case <-poll.C:
		}
	}
}

// step relays one batch and prunes when it is due. It reports whether a
// full batch went out, so more may be waiting. It does not stop for ctx: a
// claimed batch is published and marked before Run returns.
func (r *Relay) step(ctx context.Context) bool {
	work, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*r.cfg.PublishTimeout)
	defer cancel()
	n, err := r.relayBatch(work)
	if err != nil {
		if skipped, ok := r.failing.fail(); ok {
			r.cfg.Logger.Warn("events: relay cannot publish; events wait in the outbox", "err", err, "published", n, "suppressed", skipped)
		}
		return false
	}
	if r.failing.recover() {
		r.cfg.Logger.Info("events: relay publishing again")
	}
	r.maybePrune(work)
	return n == r.cfg.BatchSize
}

// drain publishes what is waiting, for at most the shutdown timeout.
func (r *Relay) drain(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.ShutdownTimeout)
	defer cancel()
	for ctx.Err() == nil {
		n, err := r.relayBatch(ctx)
		if err != nil || n < r.cfg.BatchSize {
			return
		}
	}
}

// relayBatch claims a batch of unsent rows, publishes them and marks those
// JetStream acknowledged as sent, in one transaction; it returns how many.
func (r *Relay) relayBatch(ctx context.Context) (int, error) {
	if !r.js.Conn().IsConnected() {
		return 0, ErrNotConnected
	}
	if err := r.ensureStream(ctx); err != nil {
		return 0, err
	}
	var sent []string
	var pubErr error
	err := r.db.InPlatform(ctx, func(tx pgx.Tx) error {
		rows, err := claimOutbox(ctx, tx, r.cfg.BatchSize)
		if err != nil || len(rows) == 0 {
			return err
		}
		sent, pubErr = r.publish(ctx, rows)
		if len(sent) == 0 {
			return nil
		}
		return markSent(ctx, tx, sent)
	})
	if err != nil {
		return 0, fmt.Errorf("events: relay: %w", err)
	}
	if pubErr != nil {
		r.streamOK = false // a server that lost its store needs the stream again
	}
	r.published.Add(int64(len(sent)))
	return len(sent), pubErr
}

func (r *Relay) ensureStream(ctx context.Context) error {
	if r.streamOK {
		return nil
	}
	if err := r.cfg.Stream.Ensure(ctx, r.js); err != nil {
		return err
	}
	r.streamOK = true
	return nil
}

// publish sends rows asynchronously and returns the ids JetStream
// acknowledged (a duplicate's ack counts: it is in the stream). A row
// written by a traced request is published in a producer span of that
// trace, ended by its ack.
func (r *Relay) publish(ctx context.Context, rows []outboxRow) ([]string, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(rows))
	spans := make([]trace.Span, 0, len(rows))
	defer func() {
		for _, s := range spans {
			s.End() // those never acknowledged
		}
	}()
	var errs []error
	for _, row := range rows {
		m, span := r.message(ctx, row)
		f, err := r.js.PublishMsgAsync(m, jetstream.WithMsgID(row.ID))
		if err != nil {
			telemetry.Fail(span, err)
			span.End()
			errs = append(errs, err)
			break
		}
		futures, spans = append(futures, f), append(spans, span)
	}
	timeout := time.NewTimer(r.cfg.PublishTimeout)
	defer timeout.Stop()
	sent := make([]string, 0, len(futures))
	for i, f := range futures {
		select {
		case <-f.Ok():
			sent = append(sent, rows[i].ID)
		case err := <-f.Err():
			telemetry.Fail(spans[i], err)
			errs = append(errs, err)
		case <-timeout.C:
			return sent, errors.Join(append(errs, errors.New("timed out waiting for JetStream acks"))...)
		}
		spans[i].End()
	}
	spans = nil
	return sent, errors.Join(errs...)
}

// message is the row's NATS message, with the trace context of the request
// that wrote the row (the producer span's, returned) in its headers.
func (r *Relay) message(ctx context.Context, row outboxRow) (*nats.Msg, trace.Span) {
	m := nats.NewMsg(r.cfg.Stream.subject(row.Subject))
	m.Data = row.Payload
	if row.ReplayFor != "" {
		m.Header.Set(replayHeader, row.ReplayFor)
	}
	span := trace.SpanFromContext(context.Background()) // no trace: a no-op span
	if row.TraceContext != "" {
		var pctx context.Context
		pctx, span = telemetry.Tracer().Start(telemetry.WithTraceparent(ctx, row.TraceContext), "publish "+m.Subject,
			trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(attrMessageID.String(row.ID)))
		telemetry.Inject(pctx, http.Header(m.Header))
	}
	return m, span
}

func (r *Relay) maybePrune(ctx context.Context) {
	if time.Since(r.lastPrune) < r.cfg.PruneInterval {
		return
	}
	r.lastPrune = time.Now()
	if _, err := r.Prune(ctx); err != nil {
		r.cfg.Logger.Warn("events: prune outbox", "err", err)
	}
}

// Prune deletes rows sent longer ago than the retention period and returns
// how many; Run calls it every prune interval.
func (r *Relay) Prune(ctx context.Context) (int64, error) {
	const chunk = 5000
	before := time.Now().Add(-r.cfg.Retention)
	var total int64
	for {
		n, err := pruneOutbox(ctx, r.db.Pool, before, chunk)
		total += n
		if err != nil || n < chunk {
			return total, err
		}
	}
}
