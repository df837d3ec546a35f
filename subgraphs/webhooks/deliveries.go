package webhooks

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/webhooks/store"
)

// TestEventType is the type of the events sendTestWebhook sends; it is in
// no catalogue and no pattern but the endpoint's own test selects it.
const TestEventType = "webhook.test"

// Deliveries returns a page of an endpoint's deliveries, newest first,
// optionally of one status.
func (s *Service) Deliveries(ctx context.Context, endpointID string, status *WebhookDeliveryStatus, first *int, after *string) (*WebhookDeliveryConnection, error) {
	size, err := page.Size(first)
	if err != nil {
		return nil, err
	}
	var afterID string
	p := store.ListDeliveriesParams{EndpointID: endpointID, MaxRows: int32(size + 1), Status: (*string)(status)}
	if ok, err := page.Decode(after, &afterID); err != nil {
		return nil, err
	} else if ok {
		p.After = &afterID
	}
	var conn *WebhookDeliveryConnection
	err = s.q.Read(ctx, auth.ReadWebhooks, func(q *store.Queries) error {
		if _, err := getEndpoint(ctx, q, endpointID); err != nil {
			return err
		}
		rows, err := q.ListDeliveries(ctx, p)
		if err != nil {
			return err
		}
		total, err := q.CountDeliveries(ctx, store.CountDeliveriesParams{EndpointID: endpointID, Status: p.Status})
		ds := make([]WebhookDelivery, len(rows))
		for i, r := range rows {
			ds[i] = deliveryOf(r)
		}
		conn = page.NewConnection(ds, size, after, WebhookDelivery.Cursor, total)
		return err
	})
	return conn, err
}

// Attempts returns the attempts of a batch of deliveries, newest first (the
// loader of WebhookDelivery.attempts: one statement per batch).
func (s *Service) Attempts(ctx context.Context, ids []string) (map[string][]WebhookAttempt, error) {
	out := make(map[string][]WebhookAttempt, len(ids))
	err := s.q.Read(ctx, auth.ReadWebhooks, func(q *store.Queries) error {
		rows, err := q.AttemptsOf(ctx, ids)
		for _, r := range rows {
			out[r.DeliveryID] = append(out[r.DeliveryID], attemptOf(r))
		}
		return err
	})
	for _, id := range ids {
		if out[id] == nil {
			out[id] = []WebhookAttempt{}
		}
	}
	return out, err
}

// Replay sends a delivery again, now: with the same webhook-id (the event
// id) and body, freshly signed. Its endpoint must be enabled.
func (s *Service) Replay(ctx context.Context, id string) (WebhookDelivery, error) {
	var d WebhookDelivery
	err := s.q.As(ctx, auth.ManageWebhooks, func(q *store.Queries, _ pgx.Tx, _ auth.Identity) error {
		if !validID(id) {
			return apperr.E(apperr.NotFound, "webhook delivery not found")
		}
		cur, err := q.GetDelivery(ctx, id)
		if err != nil {
			return notFound(err, "webhook delivery")
		}
		ep, err := getEndpoint(ctx, q, cur.EndpointID)
		if err != nil {
			return err
		}
		if !ep.Enabled {
			return apperr.Field("id", "the delivery's endpoint is disabled: enable it first (updateWebhookEndpoint)")
		}
		r, err := q.ReplayDelivery(ctx, store.ReplayDeliveryParams{ID: id, Now: ptr(s.now())})
		d = deliveryOf(r)
		return err
	})
	if err == nil {
		s.poke()
	}
	return d, err
}

// SendTest queues a webhook.test event to one endpoint, now, whatever its
// patterns and filter; its endpoint must be enabled.
func (s *Service) SendTest(ctx context.Context, endpointID string) (WebhookDelivery, error) {
	var d WebhookDelivery
	err := s.q.As(ctx, auth.ManageWebhooks, func(q *store.Queries, _ pgx.Tx, caller auth.Identity) error {
		ep, err := getEndpoint(ctx, q, endpointID)
		if err != nil {
			return err
		}
		if !ep.Enabled {
			return apperr.Field("endpointId", "the endpoint is disabled: enable it first (updateWebhookEndpoint)")
		}
		e, err := events.New(TestEventType, caller.TenantID, caller.UserID, map[string]any{
			"endpoint_id": endpointID, "message": "A test webhook from OpenCRM.",
		})
		if err != nil {
			return err
		}
		e.ActorKind = events.ActorUser
		if caller.IsAPIKey() {
			e.ActorKind, e.ActorAPIKey = events.ActorAPIKey, caller.APIKeyID
		}
		body, err := Body(e)
		if err != nil {
			return err
		}
		id := tenancy.NewID()
		if _, err := q.InsertDelivery(ctx, store.InsertDeliveryParams{
			ID: id, EndpointID: endpointID, EventID: e.ID, EventType: string(e.Type), Payload: body, NextAttemptAt: ptr(s.now()),
		}); err != nil {
			return err
		}
		r, err := q.GetDelivery(ctx, id)
		d = deliveryOf(r)
		return err
	})
	if err == nil {
		s.poke()
	}
	return d, err
}
