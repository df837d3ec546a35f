package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/telemetry"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
)

// The trace of the request that wrote an event goes with it through the
// outbox and JetStream to the consumer's handler (with tracing off too: the
// span context passes on), and an event written outside a trace starts none.
func TestAnEventCarriesTheTraceOfTheTransactionThatWroteIt(t *testing.T) {
	t.Parallel()
	b := setup(t, testenv.NATSURL())
	b.relay(t, events.RelayConfig{})
	seen := make(chan [2]string, 2)
	b.consume(t, events.ConsumerConfig{Subgraph: "test", Purpose: "trace"}, func(ctx context.Context, _ pgx.Tx, e events.Event) error {
		seen <- [2]string{e.ID, telemetry.TraceID(ctx)}
		return nil
	})

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	traced := telemetry.WithTraceparent(context.Background(), "00-"+traceID+"-00f067aa0ba902b7-01")
	emit := func(ctx context.Context) string {
		e, err := events.New(events.ContactCreated, b.tenantID, "", events.ContactPayload{ContactID: tenancy.NewID()})
		require.NoError(t, err)
		require.NoError(t, b.db.InTenant(ctx, b.tenantID, func(tx pgx.Tx) error { return events.Publish(ctx, tx, e) }))
		return e.ID
	}
	want := map[string]string{emit(traced): traceID, emit(context.Background()): ""}
	for range want {
		select {
		case got := <-seen:
			assert.Equal(t, want[got[0]], got[1], "the trace id the handler of %s sees", got[0])
		case <-time.After(10 * time.Second): // a bound on a hang, not a timing
			t.Fatal("the events were not consumed")
		}
	}
}
