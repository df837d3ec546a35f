package webhooks

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/webhooks/store"
)

// ConsumerPurpose names the durable consumer (webhooks_<purpose>); tests
// that share a stream give each of theirs its own.
const ConsumerPurpose = "delivery"

// Consumer returns the durable consumer that turns every event of the
// stream into deliveries: for each event, one per enabled endpoint of the
// event's tenant whose patterns and filter select it, written in the
// tenant's schema in the transaction that records the event handled, so a
// redelivered event adds none. purpose "" is ConsumerPurpose.
func (s *Service) Consumer(js jetstream.JetStream, stream events.Stream, purpose string) (*events.Consumer, error) {
	if purpose == "" {
		purpose = ConsumerPurpose
	}
	return events.NewConsumer(s.DB, js, events.ConsumerConfig{
		Stream: stream, Subgraph: "webhooks", Purpose: purpose, Logger: s.Log,
		// The sender of this process starts on the new deliveries at once;
		// those of other processes find them on their next poll.
		Committed: func(events.Event) { s.poke() },
	}, s.Apply)
}

// Apply queues the deliveries of one event in tx, a transaction of the
// event's tenant.
func (s *Service) Apply(ctx context.Context, tx pgx.Tx, e events.Event) error {
	if s.Tenants != nil {
		only, err := s.Tenants(ctx)
		if err != nil {
			return err
		}
		if !slices.Contains(only, e.TenantID) {
			return nil
		}
	}
	q := store.New(tx)
	eps, err := q.EnabledEndpoints(ctx)
	if err != nil || len(eps) == 0 {
		return err
	}
	var data map[string]any
	_ = json.Unmarshal(e.Data, &data) // a payload that is not an object passes no filter field
	var body []byte
	for _, ep := range eps {
		if !matches(ep.EventTypes, e.Type) {
			continue
		}
		if len(ep.Filter) > 0 {
			var f map[string]any
			if json.Unmarshal(ep.Filter, &f) != nil || !selects(f, data) {
				continue
			}
		}
		if body == nil {
			if body, err = Body(e); err != nil {
				return err
			}
		}
		if _, err := q.InsertDelivery(ctx, store.InsertDeliveryParams{
			ID: tenancy.NewID(), EndpointID: ep.ID, EventID: e.ID, EventType: string(e.Type), Payload: body,
			NextAttemptAt: ptr(s.now()),
		}); err != nil {
			return err
		}
	}
	return nil
}

// Body is what a webhook of the event carries (docs/webhooks.md): the
// event's id, type, timestamp, tenant, actor and data, the envelope of the
// events stream.
func Body(e events.Event) ([]byte, error) {
	if len(e.Data) == 0 {
		e.Data = json.RawMessage("{}")
	}
	return json.Marshal(e)
}
