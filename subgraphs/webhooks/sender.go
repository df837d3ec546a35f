package webhooks

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/egress"
	"github.com/opencrm/opencrm/pkg/logging"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/tenancy/platformdb"
	"github.com/opencrm/opencrm/subgraphs/webhooks/store"
)

// queue is the sender's queue in the due-work index (platform.due_work).
const queue = "webhooks"

// Limits of the sender.
const (
	maxDueTenants = 1000 // tenants one pass visits; the rest wait for the next
	maxClaim      = 50   // deliveries one claim takes of a tenant
	excerptBytes  = 1024 // of a response body kept with its attempt
)

// Sender posts due deliveries. It finds the tenants with deliveries due in
// the due-work index (so idle tenants cost nothing), claims their due
// deliveries (FOR UPDATE SKIP LOCKED, with a lease past the attempt's
// timeout, so any number of replicas share the work and a sender that dies
// leaves its claims to be retried), and attempts each in a goroutine of
// its own: at most Config.Concurrency at once in the process and
// Config.PerEndpoint to one endpoint, so a slow endpoint holds a few slots
// and never delays other endpoints or tenants.
type Sender struct {
	s     *Service
	slots chan struct{}
	freed chan struct{}
	mu    sync.Mutex
	busy  map[string]int // attempts in flight per endpoint
	wg    sync.WaitGroup
}

// Sender returns the service's sender.
func (s *Service) Sender() *Sender {
	return &Sender{s: s, slots: make(chan struct{}, s.Config.Concurrency), freed: make(chan struct{}, 1), busy: map[string]int{}}
}

// Run sends until ctx is cancelled, then waits for the attempts in flight.
func (w *Sender) Run(ctx context.Context) error {
	defer w.wg.Wait()
	t := time.NewTicker(w.s.Config.PollInterval)
	defer t.Stop()
	for {
		w.pass(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-w.s.wake:
		case <-w.freed:
		}
	}
}

// pass claims and starts the due deliveries of every tenant with some due,
// as far as free slots go, and settles each tenant's next due time.
func (w *Sender) pass(ctx context.Context) {
	ids, err := w.dueTenants(ctx)
	if err != nil && ctx.Err() == nil {
		w.s.Log.WarnContext(ctx, "webhooks: list tenants with due deliveries", "err", err)
	}
	for _, id := range ids {
		if ctx.Err() != nil || w.free() == 0 {
			return // the tenants left stay due
		}
		tctx := logging.WithTenant(ctx, id)
		if err := w.claim(tctx, id); err != nil && ctx.Err() == nil {
			w.s.Log.WarnContext(tctx, "webhooks: sender pass failed", "tenant", id, "err", err)
		}
	}
}

func (w *Sender) dueTenants(ctx context.Context) ([]string, error) {
	ids, err := platformdb.New(w.s.DB.Pool).DueTenants(ctx, platformdb.DueTenantsParams{Queue: queue, MaxRows: maxDueTenants})
	if err != nil || w.s.Tenants == nil {
		return ids, err
	}
	only, err := w.s.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ids, func(id string) bool { return !slices.Contains(only, id) }), nil
}

func (w *Sender) free() int { return cap(w.slots) - len(w.slots) }

// saturated are the endpoints with PerEndpoint attempts in flight here.
func (w *Sender) saturated() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := []string{}
	for id, n := range w.busy {
		if n >= w.s.Config.PerEndpoint {
			out = append(out, id)
		}
	}
	return out
}

// take reserves a slot of the endpoint, if it has one free.
func (w *Sender) take(endpointID string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.busy[endpointID] >= w.s.Config.PerEndpoint {
		return false
	}
	w.busy[endpointID]++
	return true
}

func (w *Sender) done(endpointID string) {
	w.mu.Lock()
	if w.busy[endpointID]--; w.busy[endpointID] <= 0 {
		delete(w.busy, endpointID)
	}
	w.mu.Unlock()
	<-w.slots
	select {
	case w.freed <- struct{}{}:
	default:
	}
}

// claim claims a tenant's due deliveries, starts their attempts and
// settles the tenant's due time.
func (w *Sender) claim(ctx context.Context, tenantID string) error {
	now := w.s.now()
	var claimed []store.ClaimDueDeliveriesRow
	err := w.s.q.In(ctx, tenantID, func(q *store.Queries, _ pgx.Tx) error {
		var err error
		claimed, err = q.ClaimDueDeliveries(ctx, store.ClaimDueDeliveriesParams{
			Now: now, LeaseUntil: now.Add(2*w.s.Config.Timeout + 5*time.Second), PerEndpoint: int32(w.s.Config.PerEndpoint),
			Busy: w.saturated(), MaxRows: int32(min(w.free(), maxClaim)),
		})
		return err
	})
	if err != nil {
		return err
	}
	var unstarted []string
	for _, d := range claimed {
		if !w.take(d.EndpointID) {
			unstarted = append(unstarted, d.ID)
			continue
		}
		w.slots <- struct{}{} // never blocks: at most free() were claimed, by this goroutine alone
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			defer w.done(d.EndpointID)
			w.attempt(context.WithoutCancel(ctx), tenantID, d)
		}()
	}
	return w.s.q.In(ctx, tenantID, func(q *store.Queries, _ pgx.Tx) error {
		if len(unstarted) > 0 {
			if err := q.ReleaseDeliveries(ctx, store.ReleaseDeliveriesParams{Ids: unstarted, Now: &now}); err != nil {
				return err
			}
		}
		if err := q.LockDueWork(ctx); err != nil {
			return err
		}
		return q.SettleDueWebhooks(ctx)
	})
}

// outcome is what one attempt got.
type outcome struct {
	at      time.Time
	status  int // 0: no response
	latency time.Duration
	excerpt string
	err     string
}

func (o outcome) ok() bool { return o.status >= 200 && o.status < 300 }

func (o outcome) String() string {
	if o.status != 0 {
		return fmt.Sprintf("HTTP %d", o.status)
	}
	return o.err
}

// attempt posts one claimed delivery and records the outcome.
func (w *Sender) attempt(ctx context.Context, tenantID string, d store.ClaimDueDeliveriesRow) {
	o := w.post(ctx, tenantID, d)
	err := w.s.q.In(ctx, tenantID, func(q *store.Queries, _ pgx.Tx) error {
		if err := w.record(ctx, q, d, o); err != nil {
			return err
		}
		// The claim left the tenant due when the lease ends; now it is due
		// when its next delivery is (or never).
		if err := q.LockDueWork(ctx); err != nil {
			return err
		}
		return q.SettleDueWebhooks(ctx)
	})
	if err != nil {
		// The lease ends and the delivery is attempted again.
		w.s.Log.WarnContext(ctx, "webhooks: record attempt", "tenant", tenantID, "delivery", d.ID, "err", err)
	}
}

// post sends the delivery, signed, and reads at most a KiB of the answer.
// The secrets are used here only, and never logged.
func (w *Sender) post(ctx context.Context, tenantID string, d store.ClaimDueDeliveriesRow) outcome {
	at := w.s.now()
	o := outcome{at: at}
	secrets, err := w.secrets(tenantID, d, at)
	if err != nil {
		o.err = err.Error()
		return o
	}
	sig, err := sign(secrets, d.EventID, at, d.Payload)
	if err != nil {
		o.err = "cannot sign: " + err.Error()
		return o
	}
	ctx, cancel := context.WithTimeout(ctx, w.s.Config.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Url, bytes.NewReader(d.Payload))
	if err != nil {
		o.err = "bad URL"
		return o
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "OpenCRM-Webhooks/1")
	req.Header.Set("webhook-id", d.EventID)
	req.Header.Set("webhook-timestamp", timestampHeader(at))
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	resp, err := w.s.client.Do(req)
	if err != nil {
		o.latency, o.err = time.Since(start), attemptError(err)
		return o
	}
	body := egress.ReadAtMost(resp.Body, excerptBytes)
	_ = resp.Body.Close()
	o.latency, o.status, o.excerpt = time.Since(start), resp.StatusCode, excerpt(body)
	return o
}

// secrets are the secrets that sign at: the endpoint's, and the previous
// one during a rotation's overlap.
func (w *Sender) secrets(tenantID string, d store.ClaimDueDeliveriesRow, at time.Time) ([]string, error) {
	cur, err := w.s.sealer.open(tenantID, d.EndpointID, d.Secret)
	if err != nil {
		return nil, err
	}
	out := []string{cur}
	if len(d.PreviousSecret) > 0 && d.PreviousSecretExpiresAt != nil && at.Before(*d.PreviousSecretExpiresAt) {
		prev, err := w.s.sealer.open(tenantID, d.EndpointID, d.PreviousSecret)
		if err != nil {
			return nil, err
		}
		out = append(out, prev)
	}
	return out, nil
}

// record stores the attempt and what follows from it: the delivery done,
// retried after the schedule's next wait (with jitter), or failed; the
// endpoint's failure streak ended or continued, and the endpoint disabled
// once the streak is Config.DisableAfter long.
func (w *Sender) record(ctx context.Context, q *store.Queries, d store.ClaimDueDeliveriesRow, o outcome) error {
	a := store.InsertAttemptParams{
		ID: tenancy.NewID(), DeliveryID: d.ID, AttemptedAt: o.at, LatencyMs: int32(o.latency.Milliseconds()),
		ResponseExcerpt: o.excerpt,
	}
	if o.status != 0 {
		a.StatusCode = ptr(int32(o.status))
	}
	if o.err != "" {
		a.Error = ptr(truncate(o.err, 1000))
	}
	if err := q.InsertAttempt(ctx, a); err != nil {
		return err
	}
	if o.ok() {
		if err := q.DeliverySucceeded(ctx, store.DeliverySucceededParams{ID: d.ID, AttemptedAt: &o.at}); err != nil {
			return err
		}
		return q.EndpointSucceeded(ctx, d.EndpointID)
	}
	since, err := q.EndpointFailed(ctx, store.EndpointFailedParams{ID: d.EndpointID, Now: &o.at})
	if err != nil {
		return err
	}
	if o.at.Sub(since) >= w.s.Config.DisableAfter {
		reason := fmt.Sprintf("disabled after failing since %s (last attempt: %s)", since.UTC().Format(time.RFC3339), truncate(o.String(), 200))
		if err := q.DisableEndpoint(ctx, store.DisableEndpointParams{ID: d.EndpointID, Reason: &reason}); err != nil {
			return err
		}
		if err := q.DeliveryFailed(ctx, store.DeliveryFailedParams{ID: d.ID, AttemptedAt: &o.at}); err != nil {
			return err
		}
		w.s.Log.WarnContext(ctx, "webhooks: endpoint disabled", "endpoint", d.EndpointID, "reason", reason)
		return q.FailPendingDeliveries(ctx, d.EndpointID)
	}
	if int(d.Attempts) >= len(w.s.Config.Schedule) {
		return q.DeliveryFailed(ctx, store.DeliveryFailedParams{ID: d.ID, AttemptedAt: &o.at})
	}
	next := o.at.Add(jitter(w.s.Config.Schedule[d.Attempts]))
	return q.DeliveryRetry(ctx, store.DeliveryRetryParams{ID: d.ID, AttemptedAt: &o.at, NextAttemptAt: &next})
}

// jitter spreads a wait by up to a tenth either way, so the retries of
// many deliveries failing together do not arrive together.
func jitter(d time.Duration) time.Duration {
	spread := int64(d) / 10
	if spread <= 0 {
		return d
	}
	return d + time.Duration(rand.Int64N(2*spread+1)-spread)
}

// attemptError says why an attempt got no response, without the request
// (its URL is the endpoint's, already known).
func attemptError(err error) string {
	switch {
	case strings.Contains(err.Error(), egress.ErrRefused.Error()):
		return "refused: the endpoint's address is private, loopback, link-local or reserved"
	case strings.Contains(err.Error(), "deadline exceeded"), strings.Contains(err.Error(), "Client.Timeout"):
		return "timeout"
	}
	return err.Error()
}

// excerpt is a response body as text PostgreSQL can store, at most
// excerptBytes long.
func excerpt(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	return truncate(strings.ReplaceAll(s, "\x00", ""), excerptBytes)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
