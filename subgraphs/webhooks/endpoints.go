package webhooks

import (
	"context"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/webhooks/store"
)

// RotationOverlap is how long the previous secret keeps signing after a
// rotation.
const RotationOverlap = 24 * time.Hour

const (
	maxURL         = 2048
	maxDescription = 500
)

// Endpoints lists the organisation's endpoints, oldest first.
func (s *Service) Endpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	rows, err := tenancy.Get(ctx, s.q, auth.ReadWebhooks, func(q *store.Queries) ([]store.WebhookEndpoint, error) {
		return q.ListEndpoints(ctx)
	})
	return endpointsOf(rows), err
}

// Endpoint returns one of the organisation's endpoints.
func (s *Service) Endpoint(ctx context.Context, id string) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	err := s.q.Read(ctx, auth.ReadWebhooks, func(q *store.Queries) error {
		var err error
		e, err = getEndpoint(ctx, q, id)
		return err
	})
	return e, err
}

// EndpointsByID returns endpoints by id (the loader of WebhookDelivery.endpoint).
func (s *Service) EndpointsByID(ctx context.Context, ids []string) (map[string]WebhookEndpoint, error) {
	out := map[string]WebhookEndpoint{}
	err := s.q.Read(ctx, auth.ReadWebhooks, func(q *store.Queries) error {
		rows, err := q.GetEndpoints(ctx, ids)
		for _, r := range rows {
			out[r.ID] = endpointOf(r)
		}
		return err
	})
	return out, err
}

func getEndpoint(ctx context.Context, q *store.Queries, id string) (WebhookEndpoint, error) {
	if !validID(id) {
		return WebhookEndpoint{}, apperr.E(apperr.NotFound, "webhook endpoint not found")
	}
	r, err := q.GetEndpoint(ctx, id)
	return endpointOf(r), notFound(err, "webhook endpoint")
}

// CreateEndpoint registers an endpoint and answers it with its signing
// secret, which is shown this once.
func (s *Service) CreateEndpoint(ctx context.Context, in EndpointInput) (WebhookSecretPayload, error) {
	if _, err := auth.Require(ctx, auth.ManageWebhooks); err != nil {
		return WebhookSecretPayload{}, err
	}
	if in.URL == nil {
		return WebhookSecretPayload{}, apperr.Field("input.url", "input.url is required")
	}
	p := store.InsertEndpointParams{ID: tenancy.NewID(), Enabled: in.Enabled == nil || *in.Enabled}
	var err error
	if p.Url, err = s.checkURL("input.url", *in.URL); err != nil {
		return WebhookSecretPayload{}, err
	}
	if in.Description != nil {
		if p.Description, err = description(*in.Description); err != nil {
			return WebhookSecretPayload{}, err
		}
	}
	if p.EventTypes, err = checkPatterns("input.eventTypes", in.EventTypes); err != nil {
		return WebhookSecretPayload{}, err
	}
	filter, err := checkFilter("input.filter", in.Filter)
	if err != nil {
		return WebhookSecretPayload{}, err
	}
	p.Filter = filterJSON(filter)
	secret := newSecret()
	var e WebhookEndpoint
	err = s.q.As(ctx, auth.ManageWebhooks, func(q *store.Queries, _ pgx.Tx, caller auth.Identity) error {
		p.Secret = s.sealer.seal(caller.TenantID, p.ID, secret)
		p.CreatedBy = &caller.UserID
		r, err := q.InsertEndpoint(ctx, p)
		e = endpointOf(r)
		return err
	})
	if err != nil {
		return WebhookSecretPayload{}, err
	}
	return WebhookSecretPayload{Endpoint: &e, Secret: secret}, nil
}

// UpdateEndpoint changes what is given of an endpoint. Enabling it clears
// why it was disabled; disabling it fails its pending deliveries (they can
// be replayed).
func (s *Service) UpdateEndpoint(ctx context.Context, id string, in EndpointInput) (WebhookEndpoint, error) {
	if _, err := auth.Require(ctx, auth.ManageWebhooks); err != nil {
		return WebhookEndpoint{}, err
	}
	p := store.UpdateEndpointParams{ID: id, Enabled: in.Enabled}
	if in.URL != nil {
		u, err := s.checkURL("input.url", *in.URL)
		if err != nil {
			return WebhookEndpoint{}, err
		}
		p.Url = &u
	}
	if in.Description != nil {
		d, err := description(*in.Description)
		if err != nil {
			return WebhookEndpoint{}, err
		}
		p.Description = &d
	}
	if in.EventTypes != nil {
		ps, err := checkPatterns("input.eventTypes", in.EventTypes)
		if err != nil {
			return WebhookEndpoint{}, err
		}
		p.EventTypes = ps
	}
	if in.Filter != nil {
		f, err := checkFilter("input.filter", in.Filter)
		if err != nil {
			return WebhookEndpoint{}, err
		}
		p.SetFilter, p.Filter = true, filterJSON(f)
	}
	var e WebhookEndpoint
	err := s.q.As(ctx, auth.ManageWebhooks, func(q *store.Queries, _ pgx.Tx, _ auth.Identity) error {
		if _, err := getEndpoint(ctx, q, id); err != nil {
			return err
		}
		r, err := q.UpdateEndpoint(ctx, p)
		if err != nil {
			return err
		}
		e = endpointOf(r)
		if !e.Enabled {
			return q.FailPendingDeliveries(ctx, id)
		}
		return nil
	})
	return e, err
}

// DeleteEndpoint deletes an endpoint with its deliveries; it answers the id.
func (s *Service) DeleteEndpoint(ctx context.Context, id string) (string, error) {
	err := s.q.As(ctx, auth.ManageWebhooks, func(q *store.Queries, _ pgx.Tx, _ auth.Identity) error {
		if !validID(id) {
			return apperr.E(apperr.NotFound, "webhook endpoint not found")
		}
		_, err := q.DeleteEndpoint(ctx, id)
		return notFound(err, "webhook endpoint")
	})
	return id, err
}

// RotateSecret gives an endpoint a new signing secret, answered this once;
// the previous one keeps signing for RotationOverlap, so receivers can
// switch without losing a delivery (webhook-signature carries both).
func (s *Service) RotateSecret(ctx context.Context, id string) (WebhookSecretPayload, error) {
	secret := newSecret()
	var e WebhookEndpoint
	err := s.q.As(ctx, auth.ManageWebhooks, func(q *store.Queries, _ pgx.Tx, caller auth.Identity) error {
		if _, err := getEndpoint(ctx, q, id); err != nil {
			return err
		}
		r, err := q.RotateSecret(ctx, store.RotateSecretParams{
			ID: id, Secret: s.sealer.seal(caller.TenantID, id, secret), PreviousExpiresAt: ptr(s.now().Add(RotationOverlap)),
		})
		e = endpointOf(r)
		return err
	})
	if err != nil {
		return WebhookSecretPayload{}, err
	}
	return WebhookSecretPayload{Endpoint: &e, Secret: secret}, nil
}

func description(d string) (string, error) {
	if strings.TrimSpace(d) == "" {
		return "", nil
	}
	return validate.Text("input.description", d, maxDescription)
}

// checkURL validates an endpoint URL: absolute, https (http in development
// or for the hosts of WEBHOOK_ALLOWED_HTTP_HOSTS), a host, no credentials,
// and not an address the egress guard refuses when the host is one. Names
// are checked again, resolved, on every connection.
func (s *Service) checkURL(field, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxURL {
		return "", apperr.Field(field, "the URL must have 1 to %d characters", maxURL)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "", apperr.Field(field, "%q is not an absolute http(s) URL", raw)
	}
	host := strings.ToLower(u.Hostname())
	switch u.Scheme {
	case "https":
	case "http":
		if !s.Config.Development && !slices.Contains(s.Config.AllowedHTTPHosts, host) {
			return "", apperr.Field(field, "the URL must use https")
		}
	default:
		return "", apperr.Field(field, "the URL must use https")
	}
	if u.User != nil {
		return "", apperr.Field(field, "the URL must not carry credentials")
	}
	if u.Fragment != "" {
		return "", apperr.Field(field, "the URL must not have a fragment")
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if !s.Config.Egress.Allowed(ip) {
			return "", apperr.Field(field, "the URL's address %s is not reachable from the CRM (private, loopback, link-local or reserved)", ip)
		}
	} else if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		if !s.Config.Egress.Allowed(netip.MustParseAddr("127.0.0.1")) {
			return "", apperr.Field(field, "the URL's host %s is not reachable from the CRM", host)
		}
	} else if net.ParseIP(host) == nil && !validHost(host) {
		return "", apperr.Field(field, "%q is not a host name", host)
	}
	return u.String(), nil
}

func validHost(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

func ptr[T any](v T) *T { return &v }
