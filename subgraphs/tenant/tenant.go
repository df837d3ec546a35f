// Package tenant is the tenant subgraph's domain: the caller's
// organisation and its invitations. The tables are the platform schema's
// (pkg/tenancy owns them, since provisioning and sign-in need them too).
// Its types are the schema's: the GraphQL layer in graph/ is bound to them.
package tenant

import (
	"context"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/mail"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/tenancy/platformdb"
	"github.com/opencrm/opencrm/pkg/validate"
)

// Service is the tenant domain.
type Service struct {
	DB   *tenancy.DB
	Mail mail.Sender
	Log  *slog.Logger
}

// inPlatform runs fn in a transaction of the platform schema with its
// queries bound to it.
func (s *Service) inPlatform(ctx context.Context, fn func(q *platformdb.Queries, tx pgx.Tx) error) error {
	return s.DB.InPlatform(ctx, func(tx pgx.Tx) error { return fn(platformdb.New(tx), tx) })
}

// Current returns the caller's tenant.
func (s *Service) Current(ctx context.Context) (*Tenant, error) {
	caller, err := auth.Caller(ctx)
	if err != nil {
		return nil, err
	}
	return tenantOf(s.DB.Lookup(ctx, caller.TenantID))
}

// ByID returns the tenant with the id when it is the caller's; any other is
// NOT_FOUND (an entity reference from another tenant resolves to null).
func (s *Service) ByID(ctx context.Context, id string) (*Tenant, error) {
	caller, err := auth.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if id != caller.TenantID {
		return nil, apperr.E(apperr.NotFound, "tenant not found")
	}
	return tenantOf(s.DB.Lookup(ctx, id))
}

// BySubdomain returns the tenant at a subdomain (public), or nil.
func (s *Service) BySubdomain(ctx context.Context, subdomain string) (*Tenant, error) {
	t, err := tenantOf(s.DB.LookupSubdomain(ctx, strings.ToLower(strings.TrimSpace(subdomain))))
	if apperr.CodeOf(err) == apperr.NotFound {
		return nil, nil
	}
	return t, err
}

// Rename changes the organisation's name (admins).
func (s *Service) Rename(ctx context.Context, in UpdateTenantInput) (*Tenant, error) {
	caller, err := auth.Require(ctx, auth.ManageTenant)
	if err != nil {
		return nil, err
	}
	name, err := validate.Text("input.name", in.Name, 255)
	if err != nil {
		return nil, err
	}
	var t tenancy.Tenant
	err = s.inPlatform(ctx, func(q *platformdb.Queries, tx pgx.Tx) error {
		if t, err = q.UpdateTenantName(ctx, platformdb.UpdateTenantNameParams{ID: caller.TenantID, Name: name}); err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.TenantUpdated, t.ID, caller.UserID,
			events.TenantPayload{TenantID: t.ID, Name: t.Name, Subdomain: t.Subdomain})
	})
	if err == nil {
		s.DB.Changed(ctx, t)
	}
	return tenantOf(t, err)
}
