package comms

import (
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy/platformdb"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// Workers are the comms subgraph's background loops, each to run until ctx
// is cancelled (in an errgroup, say): the outgoing mail sender, the task
// reminder scheduler and the event consumer (automation and what comms
// remembers of contacts, deals and users). Any number of processes may run
// them at once: each queued message and each reminder is claimed by one.
// stream is the events stream (the zero value is the product's).
func (s *Service) Workers(js jetstream.JetStream, stream events.Stream) ([]func(context.Context) error, error) {
	c, err := s.Consumer(js, stream)
	if err != nil {
		return nil, err
	}
	return []func(context.Context) error{s.Sender(SMTP{Config: s.Config}).Run, s.RunReminders, c.Run}, nil
}

// TenantLister lists the tenants whose queues workers serve.
type TenantLister func(ctx context.Context) ([]string, error)

// The queues of the due-work index (platform.due_work) comms' workers serve.
const (
	queueReminders = "reminders"
	queueMail      = "mail"
)

// maxDueTenants bounds the tenants one pass visits; the rest wait for the next.
const maxDueTenants = 1000

// dueTenants lists the tenants with work due in queue, from the platform's
// due-work index: one small indexed read however many tenants there are,
// so idle tenants cost nothing and their schemas are never touched.
func (s *Service) dueTenants(ctx context.Context, queue string) ([]string, error) {
	ids, err := platformdb.New(s.DB.Pool).DueTenants(ctx, platformdb.DueTenantsParams{Queue: queue, MaxRows: maxDueTenants})
	if err != nil || s.Tenants == nil {
		return ids, err
	}
	only, err := s.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(ids, func(id string) bool { return !slices.Contains(only, id) }), nil
}

// settle records, after a pass, when the tenant's queue next comes due.
func (s *Service) settle(ctx context.Context, queue, tenantID string) error {
	return s.q.In(ctx, tenantID, func(q *store.Queries, _ pgx.Tx) error {
		if err := q.LockDueWork(ctx, queue); err != nil {
			return err
		}
		if queue == queueReminders {
			return q.SettleDueReminders(ctx)
		}
		return q.SettleDueMail(ctx)
	})
}

// every runs a pass over queue each interval until ctx ends; wake runs one
// early.
func (s *Service) every(ctx context.Context, queue string, wake <-chan struct{}, fn func(ctx context.Context, tenantID string) error) error {
	t := time.NewTicker(s.Config.PollInterval)
	defer t.Stop()
	for {
		s.pass(ctx, queue, fn)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-wake:
		}
	}
}

// pass runs fn for every tenant with work due in queue, then settles the
// tenant's next due time. A pass that fails leaves the tenant's work due, to
// be tried again on the next.
func (s *Service) pass(ctx context.Context, queue string, fn func(ctx context.Context, tenantID string) error) {
	ids, err := s.dueTenants(ctx, queue)
	if err != nil && ctx.Err() == nil {
		s.Log.WarnContext(ctx, "comms: list tenants with due work", "worker", queue, "err", err)
	}
	for _, id := range ids {
		if ctx.Err() != nil {
			return
		}
		err := fn(ctx, id)
		if err == nil {
			err = s.settle(ctx, queue, id)
		}
		if err != nil && ctx.Err() == nil {
			s.Log.WarnContext(ctx, "comms: worker pass failed", "worker", queue, "tenant", id, "err", err)
		}
	}
}
