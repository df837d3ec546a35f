package webhooks

import (
	"encoding/json"

	"github.com/opencrm/opencrm/subgraphs/webhooks/store"
)

// The thin layer between the sqlc rows and the domain types. Nothing
// outside this package sees a store type.

func endpointOf(r store.WebhookEndpoint) WebhookEndpoint {
	e := WebhookEndpoint{
		ID: r.ID, URL: r.Url, Description: r.Description, EventTypes: r.EventTypes, Enabled: r.Enabled,
		DisabledReason: r.DisabledReason, PreviousSecretExpiresAt: r.PreviousSecretExpiresAt,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if len(r.Filter) > 0 {
		_ = json.Unmarshal(r.Filter, &e.Filter)
	}
	return e
}

func endpointsOf(rows []store.WebhookEndpoint) []WebhookEndpoint {
	out := make([]WebhookEndpoint, len(rows))
	for i, r := range rows {
		out[i] = endpointOf(r)
	}
	return out
}

func deliveryOf(r store.WebhookDelivery) WebhookDelivery {
	d := WebhookDelivery{
		ID: r.ID, EndpointID: r.EndpointID, EventID: r.EventID, EventType: r.EventType,
		Status: WebhookDeliveryStatus(r.Status), AttemptCount: int(r.Attempts), NextAttemptAt: r.NextAttemptAt,
		LastAttemptAt: r.LastAttemptAt, CreatedAt: r.CreatedAt,
	}
	_ = json.Unmarshal(r.Payload, &d.Payload)
	return d
}

func attemptOf(r store.WebhookAttempt) WebhookAttempt {
	a := WebhookAttempt{AttemptedAt: r.AttemptedAt, LatencyMs: int(r.LatencyMs), ResponseExcerpt: r.ResponseExcerpt, Error: r.Error}
	if r.StatusCode != nil {
		c := int(*r.StatusCode)
		a.StatusCode = &c
	}
	return a
}

// filterJSON is a filter as stored: nil for none.
func filterJSON(f map[string]any) []byte {
	if len(f) == 0 {
		return nil
	}
	b, _ := json.Marshal(f)
	return b
}
