// Package comms is the comms subgraph's domain (the seed's
// communication-service): the activity timeline of contacts, companies and
// deals, tasks and their reminders, e-mail templates, sending and tracking
// e-mail through an outgoing queue, the platform's own mail (mail.Sender),
// and the automation that reacts to other domains' events. The GraphQL layer
// in graph/ only parses, calls and maps.
package comms

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the comms tables' migrations, applied to every tenant schema.
func Migrations() fs.FS { sub, _ := fs.Sub(migrations, "migrations"); return sub }

// Records of the domain, as stored.
type (
	Activity      = store.Activity
	Task          = store.Task
	EmailTemplate = store.EmailTemplate
	EmailMessage  = store.EmailMessage
)

// Service is the comms domain.
type Service struct {
	DB     *tenancy.DB
	Config Config
	Log    *slog.Logger
	// Tenants lists the tenants whose queues and reminders the workers
	// serve; nil: every tenant.
	Tenants TenantLister
	// now is the clock; tests leave it nil.
	now func() time.Time
}

// New returns the comms service over db with cfg (see LoadConfig).
func New(db *tenancy.DB, cfg Config, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{DB: db, Config: cfg.withDefaults(), Log: log}
}

func (s *Service) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// inTenant runs fn in a transaction of the tenant's schema with the comms
// queries bound to it.
func (s *Service) inTenant(ctx context.Context, tenantID string, fn func(q *store.Queries, tx pgx.Tx) error) error {
	return s.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error { return fn(store.New(tx), tx) })
}

// notFound maps a missing row to NOT_FOUND about what.
func notFound(err error, what string) error {
	if isNoRows(err) {
		return apperr.E(apperr.NotFound, "%s not found", what)
	}
	return err
}

// customFields encodes custom fields for storage (an object, never null).
func customFields(m map[string]any) []byte {
	if m == nil {
		return []byte("{}")
	}
	b, _ := json.Marshal(m)
	return b
}

// CustomFields decodes stored custom fields.
func CustomFields(raw []byte) map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(raw, &m)
	return m
}
