// Package tenant is the tenant subgraph's domain: the caller's
// organisation and its invitations. The tables are the platform schema's
// (pkg/tenancy owns them, since provisioning and sign-in need them too).
package tenant

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/mail"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/tenancy/platformdb"
	"github.com/opencrm/opencrm/pkg/validate"
)

// InvitationTTL is how long an invitation can be accepted.
const InvitationTTL = 7 * 24 * time.Hour

// Invitation is an invitation to join a tenant.
type Invitation = platformdb.PlatformInvitation

// Service is the tenant domain.
type Service struct {
	DB   *tenancy.DB
	Mail mail.Sender
	Log  *slog.Logger
}

// Current returns the caller's tenant.
func (s *Service) Current(ctx context.Context) (tenancy.Tenant, error) {
	caller, err := auth.Caller(ctx)
	if err != nil {
		return tenancy.Tenant{}, err
	}
	return s.DB.Lookup(ctx, caller.TenantID)
}

// ByID returns the tenant with the id when it is the caller's; any other is
// NOT_FOUND (an entity reference from another tenant resolves to null).
func (s *Service) ByID(ctx context.Context, id string) (tenancy.Tenant, error) {
	caller, err := auth.Caller(ctx)
	if err != nil {
		return tenancy.Tenant{}, err
	}
	if id != caller.TenantID {
		return tenancy.Tenant{}, apperr.E(apperr.NotFound, "tenant not found")
	}
	return s.DB.Lookup(ctx, id)
}

// BySubdomain returns the tenant at a subdomain (public), or NOT_FOUND.
func (s *Service) BySubdomain(ctx context.Context, subdomain string) (tenancy.Tenant, error) {
	return s.DB.LookupSubdomain(ctx, strings.ToLower(strings.TrimSpace(subdomain)))
}

// Rename changes the organisation's name (admins).
func (s *Service) Rename(ctx context.Context, name string) (tenancy.Tenant, error) {
	caller, err := auth.Require(ctx, auth.ManageTenant)
	if err != nil {
		return tenancy.Tenant{}, err
	}
	if name, err = validate.Text("input.name", name, 255); err != nil {
		return tenancy.Tenant{}, err
	}
	var t tenancy.Tenant
	err = s.DB.InPlatform(ctx, func(tx pgx.Tx) error {
		if t, err = platformdb.New(tx).UpdateTenantName(ctx, platformdb.UpdateTenantNameParams{ID: caller.TenantID, Name: name}); err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.TenantUpdated, t.ID, caller.UserID,
			events.TenantPayload{TenantID: t.ID, Name: t.Name, Subdomain: t.Subdomain})
	})
	if err == nil {
		s.DB.Changed(ctx, t)
	}
	return t, err
}

// Invite creates an invitation for an address with a role (admins), e-mails
// it, and returns it with its token, which is stored only hashed.
func (s *Service) Invite(ctx context.Context, email string, role auth.Role) (Invitation, string, error) {
	caller, err := auth.Require(ctx, auth.ManageUsers)
	if err != nil {
		return Invitation{}, "", err
	}
	if email, err = validate.Email("input.email", email); err != nil {
		return Invitation{}, "", err
	}
	if !role.Valid() {
		return Invitation{}, "", apperr.Field("input.role", "unknown role %q", role)
	}
	token, hash := auth.NewOpaqueToken(caller.TenantID)
	var inv Invitation
	var t tenancy.Tenant
	err = s.DB.InPlatform(ctx, func(tx pgx.Tx) error {
		q := platformdb.New(tx)
		_, err := q.PendingInvitationForEmail(ctx, platformdb.PendingInvitationForEmailParams{TenantID: caller.TenantID, Email: email})
		if err == nil {
			return &apperr.Error{Code: apperr.Conflict, Field: "input.email",
				Message: "a pending invitation for this address exists: revoke it first"}
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if t, err = q.GetTenant(ctx, caller.TenantID); err != nil {
			return err
		}
		inv, err = q.InsertInvitation(ctx, platformdb.InsertInvitationParams{
			ID: tenancy.NewID(), TenantID: caller.TenantID, Email: email, Role: string(role),
			TokenHash: hash, ExpiresAt: time.Now().Add(InvitationTTL), InvitedBy: &caller.UserID,
		})
		if err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.TenantUserInvited, caller.TenantID, caller.UserID, events.InvitationPayload{
			InvitationID: inv.ID, Email: inv.Email, Role: inv.Role, InvitedBy: caller.UserID})
	})
	if err != nil {
		return Invitation{}, "", err
	}
	if err := s.Mail.Send(ctx, mail.Message{Kind: mail.Invitation, TenantID: caller.TenantID, To: email,
		Data: map[string]string{"token": token, "organization": t.Name, "role": string(role), "invited_by": caller.Email}}); err != nil {
		s.Log.ErrorContext(ctx, "invitation mail not sent", "err", err)
	}
	return inv, token, nil
}

// Revoke revokes a pending invitation (admins).
func (s *Service) Revoke(ctx context.Context, id string) (Invitation, error) {
	caller, err := auth.Require(ctx, auth.ManageUsers)
	if err != nil {
		return Invitation{}, err
	}
	var inv Invitation
	err = s.DB.InPlatform(ctx, func(tx pgx.Tx) error {
		q := platformdb.New(tx)
		inv, err = q.RevokeInvitation(ctx, platformdb.RevokeInvitationParams{TenantID: caller.TenantID, ID: id})
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if inv, err = q.GetInvitation(ctx, platformdb.GetInvitationParams{TenantID: caller.TenantID, ID: id}); errors.Is(err, pgx.ErrNoRows) {
			return apperr.E(apperr.NotFound, "invitation not found")
		} else if err != nil {
			return err
		}
		return apperr.E(apperr.Conflict, "the invitation is %s: only pending invitations can be revoked", inv.Status)
	})
	return inv, err
}

// InvitationPage is a page of invitations, newest first.
type InvitationPage struct {
	Invitations []Invitation
	HasNext     bool
	Total       int64
}

// InvitationCursor is the cursor of an invitation in a list.
func InvitationCursor(inv Invitation) string { return page.Cursor(inv.CreatedAt, inv.ID) }

// Invitations lists the tenant's invitations (admins); status is one of
// pending, accepted, expired, revoked, or nil for all.
func (s *Service) Invitations(ctx context.Context, status *string, first *int, after *string) (InvitationPage, error) {
	caller, err := auth.Require(ctx, auth.ManageUsers)
	if err != nil {
		return InvitationPage{}, err
	}
	size, err := page.Size(first)
	if err != nil {
		return InvitationPage{}, err
	}
	p := platformdb.ListInvitationsParams{TenantID: caller.TenantID, Status: status, MaxRows: int32(size + 1)}
	var at time.Time
	var id string
	if ok, err := page.Decode(after, &at, &id); err != nil {
		return InvitationPage{}, err
	} else if ok {
		p.AfterCreated, p.AfterID = &at, &id
	}
	var res InvitationPage
	err = s.DB.InPlatform(ctx, func(tx pgx.Tx) error {
		q := platformdb.New(tx)
		rows, err := q.ListInvitations(ctx, p)
		if err != nil {
			return err
		}
		res.Invitations, res.HasNext = page.Trim(rows, size)
		res.Total, err = q.CountInvitations(ctx, platformdb.CountInvitationsParams{TenantID: caller.TenantID, Status: status})
		return err
	})
	return res, err
}

// Status is an invitation's status as users see it: a pending invitation
// past its expiry is expired.
func Status(inv Invitation, now time.Time) string {
	if inv.Status == "pending" && !inv.ExpiresAt.After(now) {
		return "expired"
	}
	return inv.Status
}
