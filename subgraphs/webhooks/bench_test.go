package webhooks_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// BenchmarkDelivery measures events delivered per second to a fast local
// receiver, and the time from an event's commit (to the outbox) to its
// arrival: outbox -> relay -> JetStream -> consumer (the delivery row) ->
// sender -> HTTP. "beside a sleeping endpoint" adds an endpoint of the same
// tenant that takes 10 s to answer every webhook. "burst" commits the
// events as fast as one writer can (the latencies are then mostly the
// backlog's), "100/s" at a steady 100 events a second (below capacity: the
// latencies are the path's).
//
//	go test ./subgraphs/webhooks -run '^$' -bench Delivery -benchtime 1000x
func BenchmarkDelivery(b *testing.B) {
	for _, rate := range []int{0, 100} {
		name := "burst"
		if rate > 0 {
			name = "100/s"
		}
		b.Run(name+"/fast receiver", func(b *testing.B) { benchDelivery(b, rate, false) })
		b.Run(name+"/beside a sleeping endpoint", func(b *testing.B) { benchDelivery(b, rate, true) })
	}
}

func benchDelivery(b *testing.B, rate int, sleeper bool) {
	cfg := testConfig()
	cfg.Timeout = 15 * time.Second
	e := setup(b, cfg)
	var mu sync.Mutex
	arrived := map[string]time.Time{}
	fast := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		arrived[r.Header.Get("webhook-id")] = time.Now()
		mu.Unlock()
	}))
	b.Cleanup(fast.Close)
	e.endpoint(b, map[string]any{"url": fast.URL, "eventTypes": []string{"*"}})
	if sleeper {
		slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(10 * time.Second) }))
		b.Cleanup(slow.Close)
		e.endpoint(b, map[string]any{"url": slow.URL, "eventTypes": []string{"*"}})
	}
	e.start(b)

	committed := make(map[string]time.Time, b.N)
	b.ResetTimer()
	start := time.Now()
	var tick <-chan time.Time
	if rate > 0 {
		t := time.NewTicker(time.Second / time.Duration(rate))
		defer t.Stop()
		tick = t.C
	}
	for range b.N {
		if tick != nil {
			<-tick
		}
		id := emit(b, e.c.DB, e.tenantID, events.ContactCreated, events.ContactPayload{ContactID: tenancy.NewID()})
		committed[id] = time.Now()
	}
	for {
		mu.Lock()
		n := len(arrived)
		mu.Unlock()
		if n >= b.N {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	lat := make([]time.Duration, 0, b.N)
	mu.Lock()
	for id, at := range committed {
		lat = append(lat, arrived[id].Sub(at))
	}
	mu.Unlock()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
