package events_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/testenv"
)

func TestEventOfRolledBackTransactionIsNeverPublished(t *testing.T) {
	t.Parallel()
	b := setup(t, testenv.NATSURL())
	b.relay(t, events.RelayConfig{})
	ctx := context.Background()

	var rolledBack events.Event
	err := b.db.InTenant(ctx, b.tenantID, func(tx pgx.Tx) error {
		var err error
		rolledBack, err = events.New(events.DealClosedWon, b.tenantID, "", events.DealPayload{DealID: "d1"})
		require.NoError(t, err)
		require.NoError(t, events.Publish(ctx, tx, rolledBack))
		return errors.New("the change failed")
	})
	require.Error(t, err)
	committed := b.emit(t, 1)[0]

	require.Eventually(t, func() bool { return b.unsent(t) == 0 && b.streamMessages(t) == 1 },
		10*time.Second, 20*time.Millisecond)
	s, err := b.js.Stream(ctx, b.stream.Name)
	require.NoError(t, err)
	msg, err := s.GetMsg(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, committed, msg.Header.Get(nats.MsgIdHdr), "only the committed event is in the stream")
	var rows int
	require.NoError(t, b.db.Pool.QueryRow(ctx, "SELECT count(*) FROM platform.outbox WHERE id = $1", rolledBack.ID).Scan(&rows))
	assert.Zero(t, rows, "the rolled-back event never reached the outbox")
}

func TestEventsWrittenWhileNATSIsDownAreDeliveredOnceWhenItReturns(t *testing.T) {
	t.Parallel()
	server := startNATS(t)
	b := setup(t, server.URL())
	b.relay(t, events.RelayConfig{PollInterval: 200 * time.Millisecond})
	c := b.consume(t, events.ConsumerConfig{Subgraph: "test", Purpose: "outage"}, nil)
	warmUp := b.emit(t, 1)
	require.Eventually(t, func() bool { return len(b.applied(t, c.Name())) == 1 }, 10*time.Second, 20*time.Millisecond)

	server.stop()
	ids := b.emit(t, 1000)
	time.Sleep(time.Second)
	assert.Equal(t, 1000, b.unsent(t), "with NATS down the events wait in the outbox")
	server.start()

	want := append(warmUp, ids...)
	require.Eventually(t, func() bool { return len(b.applied(t, c.Name())) >= len(want) },
		60*time.Second, 100*time.Millisecond, "all events are delivered after NATS returns")
	time.Sleep(500 * time.Millisecond) // room for a duplicate to show
	assert.ElementsMatch(t, want, b.applied(t, c.Name()), "each event applied exactly once")
	assert.Zero(t, b.unsent(t))
}

func TestRedeliveredMessageIsAppliedOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, testenv.NATSURL())
	b.relay(t, events.RelayConfig{})
	var calls atomic.Int32
	slowFirst := func(ctx context.Context, tx pgx.Tx, e events.Event) error {
		if calls.Add(1) == 1 {
			time.Sleep(1500 * time.Millisecond) // past AckWait: JetStream redelivers meanwhile
		}
		return nil
	}
	c := b.consume(t, events.ConsumerConfig{Subgraph: "test", Purpose: "redelivery", AckWait: 500 * time.Millisecond}, slowFirst)
	id := b.emit(t, 1)[0]

	require.Eventually(t, func() bool {
		info := consumerInfo(b, c.Name())
		return info != nil && info.Delivered.Consumer >= 2 && info.NumAckPending == 0
	}, 10*time.Second, 50*time.Millisecond, "the message is delivered twice and finally acknowledged")
	assert.Equal(t, []string{id}, b.applied(t, c.Name()), "but applied once")
	assert.Equal(t, int32(1), calls.Load(), "the redelivery finds the event handled and skips the handler")
}

func TestEventPublishedAgainUnderAnotherMessageIDIsAppliedOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, testenv.NATSURL())
	c := b.consume(t, events.ConsumerConfig{Subgraph: "test", Purpose: "republish"}, nil)
	e, err := events.New(events.ContactUpdated, b.tenantID, "", events.ContactPayload{ContactID: "c1"})
	require.NoError(t, err)
	envelope := mustJSON(t, e)
	ctx := context.Background()
	// As a relay would after JetStream's dedup window has forgotten the id.
	for _, msgID := range []string{e.ID, e.ID + "-again"} {
		_, err := b.js.Publish(ctx, b.stream.Prefix+".contact.updated", envelope, jetstream.WithMsgID(msgID))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return b.streamMessages(t) == 2 && consumerIdle(t, b, c.Name()) },
		10*time.Second, 20*time.Millisecond)
	assert.Equal(t, []string{e.ID}, b.applied(t, c.Name()))
}

func TestTwoRelaysPublishEachEventOnce(t *testing.T) {
	t.Parallel()
	b := setup(t, testenv.NATSURL())
	ids := b.emit(t, 2000)
	cfg := events.RelayConfig{BatchSize: 50}
	one, two := b.relay(t, cfg), b.relay(t, cfg)

	require.Eventually(t, func() bool { return b.unsent(t) == 0 }, 30*time.Second, 20*time.Millisecond)
	t.Logf("relay one published %d, relay two %d", one.Published(), two.Published())
	assert.Equal(t, int64(len(ids)), one.Published()+two.Published(), "no event was published by both")
	assert.Equal(t, uint64(len(ids)), b.streamMessages(t))
}

func TestPoisonMessageIsParkedAfterMaxAttemptsAndCanBeReplayed(t *testing.T) {
	t.Parallel()
	b := setup(t, testenv.NATSURL())
	b.relay(t, events.RelayConfig{PollInterval: 100 * time.Millisecond})
	var broken atomic.Bool
	broken.Store(true)
	var attempts atomic.Int32
	failing := func(ctx context.Context, tx pgx.Tx, e events.Event) error {
		attempts.Add(1)
		if broken.Load() {
			return errors.New("cannot apply this one")
		}
		return nil
	}
	fast := func(int) time.Duration { return 10 * time.Millisecond }
	poisoned := b.consume(t, events.ConsumerConfig{Subgraph: "test", Purpose: "poisoned", MaxAttempts: 3, Backoff: fast}, failing)
	healthy := b.consume(t, events.ConsumerConfig{Subgraph: "test", Purpose: "healthy"}, nil)
	id := b.emit(t, 1)[0]
	ctx := context.Background()

	var parked []events.Parked
	require.Eventually(t, func() bool {
		var err error
		parked, err = events.ListParked(ctx, b.db, poisoned.Name())
		return err == nil && len(parked) == 1
	}, 10*time.Second, 20*time.Millisecond)
	p := parked[0]
	assert.Equal(t, id, p.EventID)
	assert.Equal(t, 3, p.Attempts)
	assert.Equal(t, "crm.contact.created", p.Subject)
	assert.Equal(t, b.tenantID, p.TenantID)
	assert.Contains(t, p.Error, "cannot apply this one")
	assert.Equal(t, int32(3), attempts.Load())
	assert.Empty(t, b.applied(t, poisoned.Name()))

	broken.Store(false) // the operator fixes the cause, then replays
	require.NoError(t, events.Replay(ctx, b.db, p.ID))
	require.Eventually(t, func() bool { return len(b.applied(t, poisoned.Name())) == 1 }, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, []string{id}, b.applied(t, poisoned.Name()))
	parked, err := events.ListParked(ctx, b.db, poisoned.Name())
	require.NoError(t, err)
	assert.Empty(t, parked)
	assert.Equal(t, apperr.NotFound, apperr.CodeOf(events.Replay(ctx, b.db, p.ID)), "a replayed message is replayed once")

	require.Eventually(t, func() bool { return b.streamMessages(t) == 2 && consumerIdle(t, b, healthy.Name()) },
		10*time.Second, 20*time.Millisecond)
	assert.Equal(t, []string{id}, b.applied(t, healthy.Name()), "the replay is for the consumer that parked it")
}

func TestConsumerHandlesOnlyItsSubjects(t *testing.T) {
	t.Parallel()
	b := setup(t, testenv.NATSURL())
	b.relay(t, events.RelayConfig{})
	deals := b.consume(t, events.ConsumerConfig{Subgraph: "test", Purpose: "deals",
		Subjects: []string{"deal.closed_won", "deal.closed_lost"}}, nil)
	ctx := context.Background()
	var want []string
	err := b.db.InTenant(ctx, b.tenantID, func(tx pgx.Tx) error {
		for _, typ := range []events.Type{events.DealClosedWon, events.DealCreated, events.DealClosedLost, events.ContactCreated} {
			e, err := events.New(typ, b.tenantID, "u1", events.DealPayload{DealID: "d1", Stage: "closed_won"})
			require.NoError(t, err)
			require.NoError(t, events.Publish(ctx, tx, e))
			if typ == events.DealClosedWon || typ == events.DealClosedLost {
				want = append(want, e.ID)
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return b.streamMessages(t) == 4 && consumerIdle(t, b, deals.Name()) },
		10*time.Second, 20*time.Millisecond)
	assert.ElementsMatch(t, want, b.applied(t, deals.Name()))
}

func TestRelayPrunesSentRowsAfterRetention(t *testing.T) {
	t.Parallel()
	b := setup(t, testenv.NATSURL())
	r := b.relay(t, events.RelayConfig{Retention: time.Hour})
	b.emit(t, 3)
	require.Eventually(t, func() bool { return b.unsent(t) == 0 }, 10*time.Second, 20*time.Millisecond)
	ctx := context.Background()
	_, err := b.db.Pool.Exec(ctx, "UPDATE platform.outbox SET sent_at = now() - interval '2 hours' WHERE id IN (SELECT id FROM platform.outbox LIMIT 2)")
	require.NoError(t, err)
	n, err := r.Prune(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(2), n)
}
