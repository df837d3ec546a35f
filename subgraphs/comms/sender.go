package comms

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// batchSize is how many due messages or reminders one pass claims per tenant.
const batchSize = 20

// Sender delivers the queued messages of every tenant. A message is claimed
// (FOR UPDATE SKIP LOCKED) with a lease longer than a delivery takes, so one
// sender of any number of replicas delivers it, and a sender that dies
// mid-delivery leaves it to be retried when the lease ends. A failed
// delivery is retried with exponential backoff up to Config.MaxAttempts.
type Sender struct {
	s   *Service
	d   Deliverer
	now chan struct{}
}

// Sender returns the outgoing mail sender that delivers with d.
func (s *Service) Sender(d Deliverer) *Sender {
	return &Sender{s: s, d: d, now: make(chan struct{}, 1)}
}

// Run delivers until ctx is cancelled.
func (w *Sender) Run(ctx context.Context) error {
	return w.s.every(ctx, queueMail, w.now, w.SendDue)
}

// SendDue delivers a tenant's due messages, a batch at a time, until none is due.
func (w *Sender) SendDue(ctx context.Context, tenantID string) error {
	for ctx.Err() == nil {
		var claimed []store.EmailMessage
		err := w.s.q.In(ctx, tenantID, func(q *store.Queries, _ pgx.Tx) error {
			var err error
			claimed, err = q.ClaimDueMessages(ctx, store.ClaimDueMessagesParams{
				LeaseSeconds: 2 * w.s.Config.SendTimeout.Seconds(), MaxRows: batchSize,
			})
			return err
		})
		if err != nil || len(claimed) == 0 {
			return err
		}
		for _, m := range claimed {
			if err := w.deliver(ctx, tenantID, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// deliver sends one claimed message and records the outcome.
func (w *Sender) deliver(ctx context.Context, tenantID string, m store.EmailMessage) error {
	sendCtx, cancel := context.WithTimeout(ctx, w.s.Config.SendTimeout)
	sendErr := w.d.Deliver(sendCtx, Outgoing{MessageID: m.MessageID, To: m.EmailAddress, Subject: m.Subject, HTML: m.BodyHtml, Text: m.BodyText})
	cancel()
	return w.s.q.In(context.WithoutCancel(ctx), tenantID, func(q *store.Queries, tx pgx.Tx) error {
		if sendErr == nil {
			if err := q.MarkMessageSent(ctx, m.ID); err != nil {
				return err
			}
			return events.Emit(ctx, tx, events.EmailSent, tenantID, "", emailPayload(m))
		}
		reason := truncate(sendErr.Error(), 1000)
		if int(m.Attempts) >= w.s.Config.MaxAttempts {
			w.s.Log.WarnContext(ctx, "comms: message failed", "tenant", tenantID, "message", m.ID, "attempts", m.Attempts, "err", sendErr)
			return q.MarkMessageFailed(ctx, store.MarkMessageFailedParams{ID: m.ID, LastError: &reason})
		}
		next := w.s.clock().Add(w.s.backoff(int(m.Attempts)))
		return q.MarkMessageRetry(ctx, store.MarkMessageRetryParams{ID: m.ID, NextAttemptAt: &next, LastError: &reason})
	})
}

// backoff is the wait after the attempt-th failed attempt: RetryBase,
// doubling, at most RetryMax.
func (s *Service) backoff(attempt int) time.Duration {
	return events.ExponentialBackoff(s.Config.RetryBase, s.Config.RetryMax)(attempt)
}
