package webhooks

import (
	"time"

	"github.com/opencrm/opencrm/pkg/page"
)

// WebhookEndpoint is a URL of an integrator's that receives the
// organisation's events (the schema's WebhookEndpoint). Its secrets never
// leave the service but in the answers of createWebhookEndpoint and
// rotateWebhookSecret.
type WebhookEndpoint struct {
	ID          string
	URL         string
	Description string
	// EventTypes are the patterns of the events it receives: a type
	// ("contact.created"), a domain ("deal.*") or every event ("*").
	EventTypes []string
	// Filter is payload field -> value: an event is delivered only when
	// each field of its data equals the value (nil: no filter).
	Filter                  map[string]any
	Enabled                 bool
	DisabledReason          *string
	PreviousSecretExpiresAt *time.Time
	CreatedAt, UpdatedAt    time.Time
}

// WebhookSecretPayload is an endpoint and its signing secret, shown once.
type WebhookSecretPayload struct {
	Endpoint *WebhookEndpoint
	Secret   string
}

// EndpointInput is what createWebhookEndpoint and updateWebhookEndpoint
// set; nil fields are left as they are (create requires URL and
// EventTypes). Filter replaces the filter when given; {} removes it.
type EndpointInput struct {
	URL         *string
	Description *string
	EventTypes  []string
	Filter      map[string]any
	Enabled     *bool
}

// WebhookDeliveryStatus is where a delivery stands; the values are the
// database's.
type WebhookDeliveryStatus string

// The delivery statuses.
const (
	DeliveryPending   WebhookDeliveryStatus = "pending"   // waiting for its next attempt
	DeliverySucceeded WebhookDeliveryStatus = "succeeded" // a 2xx answered
	DeliveryFailed    WebhookDeliveryStatus = "failed"    // retries exhausted, or the endpoint disabled
)

// WebhookDelivery is one event sent to one endpoint, with its attempts
// (read through the operation's loader).
type WebhookDelivery struct {
	ID            string
	EndpointID    string
	EventID       string
	EventType     string
	Payload       map[string]any
	Status        WebhookDeliveryStatus
	AttemptCount  int
	NextAttemptAt *time.Time
	LastAttemptAt *time.Time
	CreatedAt     time.Time
}

// Cursor is the delivery's position in its endpoint's list (newest first).
func (d WebhookDelivery) Cursor() string { return page.Cursor(d.ID) }

// WebhookDeliveryConnection is a page of an endpoint's deliveries.
type WebhookDeliveryConnection = page.Connection[WebhookDelivery]

// WebhookDeliveryEdge is a delivery of a page.
type WebhookDeliveryEdge = page.Edge[WebhookDelivery]

// WebhookAttempt is one HTTP request of a delivery.
type WebhookAttempt struct {
	AttemptedAt time.Time
	// StatusCode is the HTTP status answered; nil: no answer (Error says why).
	StatusCode *int
	LatencyMs  int
	// ResponseExcerpt is the first KiB of the response body.
	ResponseExcerpt string
	Error           *string
}

// WebhookEventType is an event type of the catalogue and an example of the
// body a webhook of it carries.
type WebhookEventType struct {
	Type        string
	Description string
	Example     map[string]any
}
