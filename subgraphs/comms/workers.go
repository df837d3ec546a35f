package comms

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy/platformdb"
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

// allTenants lists every tenant.
func (s *Service) allTenants(ctx context.Context) ([]string, error) {
	return platformdb.New(s.DB.Pool).ListTenantIDs(ctx)
}

func (s *Service) tenantList() TenantLister {
	if s.Tenants != nil {
		return s.Tenants
	}
	return s.allTenants
}

// every runs fn for every tenant each interval until ctx ends; wake runs
// it early.
func (s *Service) every(ctx context.Context, what string, wake <-chan struct{}, fn func(ctx context.Context, tenantID string) error) error {
	t := time.NewTicker(s.Config.PollInterval)
	defer t.Stop()
	for {
		ids, err := s.tenantList()(ctx)
		if err != nil && ctx.Err() == nil {
			s.Log.WarnContext(ctx, "comms: list tenants", "worker", what, "err", err)
		}
		for _, id := range ids {
			if ctx.Err() != nil {
				return nil
			}
			if err := fn(ctx, id); err != nil && ctx.Err() == nil {
				s.Log.WarnContext(ctx, "comms: worker pass failed", "worker", what, "tenant", id, "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-wake:
		}
	}
}
