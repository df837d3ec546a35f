// Package comms is the comms subgraph's domain (the seed's
// communication-service): the activity timeline of contacts, companies and
// deals, tasks and their reminders, e-mail templates, sending and tracking
// e-mail through an outgoing queue, the platform's own mail (mail.Sender),
// and the automation that reacts to other domains' events. The GraphQL layer
// in graph/ binds the schema to the domain types (domain.go) and calls the
// service.
package comms

import (
	"context"
	"log/slog"
	"time"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/refs"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// Service is the comms domain.
type Service struct {
	DB     *tenancy.DB
	Config Config
	// q reads and writes the comms tables of a tenant.
	q   tenancy.Queries[*store.Queries]
	Log *slog.Logger
	// Tenants, when set, limits the workers to these tenants (tests that
	// share a database); nil: every tenant with due work.
	Tenants TenantLister
	// now is the clock; tests leave it nil.
	now func() time.Time
	// References says whether the contact, company, deal and user ids a
	// write sets name records of the caller's organisation (the owning
	// subgraphs' decision, pkg/refs); nil checks their shape only.
	References refs.Checker
}

// checkRefs checks, before a write's transaction opens, the ids an input
// sets: the shape of each (BAD_USER_INPUT), then, in one request per owning
// subgraph, that each names a record of the caller's organisation
// (NOT_FOUND naming its field). The caller's own user id needs no call.
func (s *Service) checkRefs(ctx context.Context, caller auth.Identity, rs ...refs.Ref) error {
	var set []refs.Ref
	for _, r := range rs {
		if r.ID == "" {
			continue
		}
		if err := ValidID(r.Field, r.ID); err != nil {
			return err
		}
		if r.Type != refs.User || r.ID != caller.UserID {
			set = append(set, r)
		}
	}
	if s.References == nil || len(set) == 0 {
		return nil
	}
	return s.References.Check(ctx, set...)
}

// New returns the comms service over db with cfg (see LoadConfig).
func New(db *tenancy.DB, cfg Config, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: db, Config: cfg.withDefaults(), Log: log, q: tenancy.NewQueries(db, store.New)}
}

func (s *Service) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// notFound maps a missing row to NOT_FOUND about what.
func notFound(err error, what string) error {
	if isNoRows(err) {
		return apperr.E(apperr.NotFound, "%s not found", what)
	}
	return err
}
