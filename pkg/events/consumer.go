package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/opencrm/opencrm/pkg/logging"
	"github.com/opencrm/opencrm/pkg/telemetry"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// Defaults of ConsumerConfig.
const (
	DefaultMaxAttempts   = 5
	DefaultAckWait       = 30 * time.Second
	DefaultHandleTimeout = time.Minute
)

// Handler applies one event in tx, a transaction scoped to the event's
// tenant. Returning an error rolls tx back and has the event retried.
type Handler func(ctx context.Context, tx pgx.Tx, e Event) error

// ConsumerConfig describes a durable consumer; Subgraph and Purpose are
// required and name it (<subgraph>_<purpose>, e.g. comms_deal_followups).
type ConsumerConfig struct {
	Stream   Stream
	Subgraph string
	Purpose  string
	// Subjects are the events it handles, as types or NATS patterns without
	// the prefix: "deal.closed_won", "deal.>"; none means every event.
	// JetStream 2.9 filters on one subject, so with several the server
	// sends everything and the rest are acknowledged unhandled.
	Subjects []string
	// MaxAttempts is how many deliveries an event gets before it is parked.
	MaxAttempts int
	// Backoff is the delay before attempt n+1 after attempt n failed;
	// default 1s doubling up to a minute.
	Backoff func(attempt int) time.Duration
	// AckWait is how long a delivery may take before JetStream redelivers
	// it; the redelivery waits for the first to finish, then is a no-op.
	AckWait time.Duration
	// HandleTimeout bounds one delivery's transaction.
	HandleTimeout time.Duration
	// NewOnly makes a consumer created now skip the events already in the
	// stream (a new purpose that must not act on history). It cannot be
	// changed once the consumer exists.
	NewOnly bool
	// Committed, when set, is called after an event's transaction commits
	// (not for an event handled before): to wake a worker that acts on
	// what the handler wrote, which it could not see before the commit.
	Committed func(Event)
	Logger    *slog.Logger
}

var namePart = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

func (c ConsumerConfig) validate() error {
	if !namePart.MatchString(c.Subgraph) || !namePart.MatchString(c.Purpose) {
		return fmt.Errorf("events: consumer subgraph %q and purpose %q must be lower-case letters, digits and hyphens", c.Subgraph, c.Purpose)
	}
	return nil
}

func (c ConsumerConfig) withDefaults() ConsumerConfig {
	c.Stream = c.Stream.withDefaults()
	c.MaxAttempts = orDefault(c.MaxAttempts, DefaultMaxAttempts)
	c.AckWait = orDefault(c.AckWait, DefaultAckWait)
	c.HandleTimeout = orDefault(c.HandleTimeout, DefaultHandleTimeout)
	if c.Backoff == nil {
		c.Backoff = ExponentialBackoff(time.Second, time.Minute)
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// ExponentialBackoff waits base after the first failure, doubling up to max.
func ExponentialBackoff(base, max time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		d := base
		for i := 1; i < attempt && d < max; i++ {
			d *= 2
		}
		return min(d, max)
	}
}

// Consumer applies events to the tenants' schemas, each event once: the
// event id is recorded in the transaction that applies it, so a redelivery
// finds it recorded and does nothing. It acknowledges after the commit,
// retries a failure with backoff, and parks the event in
// platform.parked_events after MaxAttempts deliveries.
type Consumer struct {
	db      *tenancy.DB
	js      jetstream.JetStream
	cfg     ConsumerConfig
	name    string
	handler Handler
	failing throttle
}

// NewConsumer returns a consumer of js that applies events with h.
func NewConsumer(db *tenancy.DB, js jetstream.JetStream, cfg ConsumerConfig, h Handler) (*Consumer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Consumer{db: db, js: js, cfg: cfg, name: cfg.Subgraph + "_" + cfg.Purpose, handler: h}, nil
}

// Name is the durable consumer's name in JetStream and in handled_events.
func (c *Consumer) Name() string { return c.name }

// Run consumes until ctx is cancelled, finishing the event in hand, and
// returns nil. A lost NATS connection is waited out, never returned.
func (c *Consumer) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		err := c.consume(ctx)
		if ctx.Err() != nil {
			break
		}
		if skipped, ok := c.failing.fail(); ok {
			c.cfg.Logger.Warn("events: consumer interrupted; retrying", "consumer", c.name, "err", err, "suppressed", skipped)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return nil
}

func (c *Consumer) consume(ctx context.Context) error {
	cons, err := c.ensure(ctx)
	if err != nil {
		return err
	}
	// A small prefetch: buffered messages wait on the handler, and one
	// waiting past AckWait is redelivered (harmlessly, but for nothing).
	it, err := cons.Messages(jetstream.PullMaxMessages(64))
	if err != nil {
		return err
	}
	defer it.Stop()
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return err
		}
		if c.failing.recover() {
			c.cfg.Logger.Info("events: consumer receiving again", "consumer", c.name)
		}
		c.handle(context.WithoutCancel(ctx), msg)
	}
}

// ensure creates the stream and the durable consumer, or updates them.
func (c *Consumer) ensure(ctx context.Context) (jetstream.Consumer, error) {
	if err := c.cfg.Stream.Ensure(ctx, c.js); err != nil {
		return nil, err
	}
	deliver := jetstream.DeliverAllPolicy
	if c.cfg.NewOnly {
		deliver = jetstream.DeliverNewPolicy
	}
	return c.js.CreateOrUpdateConsumer(ctx, c.cfg.Stream.Name, jetstream.ConsumerConfig{
		Durable:       c.name,
		FilterSubject: c.filterSubject(),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.cfg.AckWait,
		MaxDeliver:    -1, // the consumer parks events itself
		DeliverPolicy: deliver,
	})
}

func (c *Consumer) filterSubject() string {
	if len(c.cfg.Subjects) == 1 {
		return c.cfg.Stream.Prefix + "." + c.cfg.Subjects[0]
	}
	return c.cfg.Stream.Prefix + ".>"
}

// handle applies one message and acknowledges, retries or parks it.
func (c *Consumer) handle(ctx context.Context, msg jetstream.Msg) {
	if !c.wants(msg) {
		_ = msg.Ack()
		return
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.HandleTimeout)
	defer cancel()
	// The event continues the trace of the request that wrote it (the
	// relay put its traceparent in the headers).
	var span trace.Span
	if h := msg.Headers(); h.Get("Traceparent") != "" {
		ctx, span = telemetry.Tracer().Start(telemetry.Extract(ctx, http.Header(h)), "consume "+c.name,
			trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attribute.String("messaging.destination.name", msg.Subject())))
		defer span.End()
	}
	e, err := decodeEnvelope(msg.Data())
	if err == nil {
		err = c.apply(ctx, e)
	}
	if err == nil {
		_ = msg.Ack() // a lost ack means a redelivery, which is a no-op
		return
	}
	if span != nil {
		telemetry.Fail(span, err)
	}
	c.retryOrPark(ctx, msg, e, err)
}

// wants reports whether the message is for this consumer: one of its
// subjects, and not a replay meant for another consumer.
func (c *Consumer) wants(msg jetstream.Msg) bool {
	if to := msg.Headers().Get(replayHeader); to != "" && to != c.name {
		return false
	}
	if len(c.cfg.Subjects) == 0 {
		return true
	}
	subject := c.cfg.Stream.canonical(msg.Subject())
	for _, s := range c.cfg.Subjects {
		if subjectMatches(canonicalPrefix+"."+s, subject) {
			return true
		}
	}
	return false
}

var errHandledBefore = errors.New("handled before")

// apply runs the handler in the event's tenant transaction, with the event
// id recorded in it; an event recorded before is skipped.
func (c *Consumer) apply(ctx context.Context, e Event) error {
	ctx = logging.WithTenant(ctx, e.TenantID) // the handler's log lines name the event's tenant
	err := c.db.InTenant(ctx, e.TenantID, func(tx pgx.Tx) error {
		first, err := markHandled(ctx, tx, c.name, e.ID)
		if err != nil {
			return fmt.Errorf("record handled event: %w", err)
		}
		if !first {
			return errHandledBefore
		}
		return c.handler(ctx, tx, e)
	})
	if errors.Is(err, errHandledBefore) {
		return nil
	}
	if err == nil && c.cfg.Committed != nil {
		c.cfg.Committed(e)
	}
	return err
}

func decodeEnvelope(data []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(data, &e); err != nil {
		return e, fmt.Errorf("events: decode envelope: %w", err)
	}
	if e.ID == "" || e.Type == "" {
		return e, errors.New("events: envelope without id or type")
	}
	return e, nil
}

// subjectMatches matches a NATS subject against a pattern with * and >.
func subjectMatches(pattern, subject string) bool {
	p, s := splitTokens(pattern), splitTokens(subject)
	for i, tok := range p {
		switch {
		case tok == ">":
			return len(s) > i
		case i >= len(s):
			return false
		case tok != "*" && tok != s[i]:
			return false
		}
	}
	return len(p) == len(s)
}
