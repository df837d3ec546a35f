// Package webhooks is the webhooks subgraph's domain: the organisation's
// webhook endpoints (docs/webhooks.md), the consumer that turns each event
// of a tenant into one delivery per matching endpoint, and the sender that
// posts deliveries signed the Standard Webhooks way, retries them with
// backoff and disables endpoints that keep failing. The GraphQL layer in
// graph/ binds the schema to the domain types (domain.go) and calls the
// service.
package webhooks

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/oklog/ulid/v2"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/webhooks/store"
)

// Service is the webhooks domain.
type Service struct {
	DB     *tenancy.DB
	Config Config
	Log    *slog.Logger
	// Tenants, when set, limits the consumer and the sender to these
	// tenants (tests that share a database); nil: every tenant.
	Tenants func(ctx context.Context) ([]string, error)
	// Now is the clock (tests may move it); nil: time.Now.
	Now func() time.Time

	q      tenancy.Queries[*store.Queries]
	sealer sealer
	client *http.Client
	// wake asks the sender of this process for a pass now (a delivery was
	// just queued here).
	wake chan struct{}
}

// New returns the webhooks service over db with cfg (see LoadConfig).
func New(db *tenancy.DB, cfg Config, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	cfg = cfg.withDefaults()
	return &Service{
		DB: db, Config: cfg, Log: log, q: tenancy.NewQueries(db, store.New),
		sealer: newSealer(cfg.aeadKey()), client: cfg.Egress.Client(cfg.Timeout), wake: make(chan struct{}, 1),
	}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// poke wakes this process's sender.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// validID reports whether id has the shape of a record's id; an id that
// has not is the id of nothing (NOT_FOUND).
func validID(id string) bool {
	_, err := ulid.ParseStrict(id)
	return err == nil
}

// notFound maps a missing row to NOT_FOUND about what.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.E(apperr.NotFound, "%s not found", what)
	}
	return err
}
