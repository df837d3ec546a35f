package events_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/testenv"
)

// Run with a fixed count, e.g.
//   go test -run '^$' -bench . -benchtime 20000x ./pkg/events/
// (-benchtime 1000x for the latency benchmark).

// BenchmarkRelayDrainsBacklog measures the relay alone: b.N committed events
// waiting in the outbox, published and acknowledged by JetStream.
func BenchmarkRelayDrainsBacklog(b *testing.B) {
	bd := setup(b, testenv.NATSURL())
	bd.emit(b, b.N)
	b.ResetTimer()
	start := time.Now()
	r := bd.relay(b, events.RelayConfig{})
	waitPublished(b, r, b.N)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkOutboxThroughput measures the whole outbox path while it is
// written: 8 writers commit one event per transaction, the relay publishes;
// from the first commit to the last JetStream ack.
func BenchmarkOutboxThroughput(b *testing.B) {
	bd := setup(b, testenv.NATSURL())
	r := bd.relay(b, events.RelayConfig{})
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < b.N; i += 8 {
				bd.emit(b, 1)
			}
		})
	}
	wg.Wait()
	waitPublished(b, r, b.N)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkCommitToConsumer measures latency, one event at a time: from the
// commit of the writing transaction to the consumer's handler receiving it.
func BenchmarkCommitToConsumer(b *testing.B) {
	bd := setup(b, testenv.NATSURL())
	bd.relay(b, events.RelayConfig{})
	got := make(chan string, 1)
	bd.consume(b, events.ConsumerConfig{Subgraph: "bench", Purpose: "latency"},
		func(_ context.Context, _ pgx.Tx, e events.Event) error { got <- e.ID; return nil })
	bd.emit(b, 1) // the consumer exists and is warm
	<-got
	latencies := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		id := bd.emit(b, 1)[0]
		committed := time.Now()
		require.Equal(b, id, <-got)
		latencies = append(latencies, time.Since(committed))
	}
	b.StopTimer()
	slices.Sort(latencies)
	b.ReportMetric(ms(latencies[len(latencies)/2]), "p50-ms")
	b.ReportMetric(ms(latencies[len(latencies)*99/100]), "p99-ms")
	b.ReportMetric(ms(latencies[len(latencies)-1]), "max-ms")
}

func waitPublished(b *testing.B, r *events.Relay, n int) {
	deadline := time.Now().Add(5 * time.Minute)
	for r.Published() < int64(n) {
		require.True(b, time.Now().Before(deadline), "relay published %d of %d", r.Published(), n)
		time.Sleep(time.Millisecond)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
