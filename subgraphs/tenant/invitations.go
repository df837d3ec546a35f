package tenant

import (
	"context"
	"errors"
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

// Invite creates an invitation for an address with a role (admins), e-mails
// it, and returns it with its token, which is stored only hashed.
func (s *Service) Invite(ctx context.Context, in InviteUserInput) (*InvitationPayload, error) {
	caller, err := auth.Require(ctx, auth.ManageUsers)
	if err != nil {
		return nil, err
	}
	email, err := validate.Email("input.email", in.Email)
	if err != nil {
		return nil, err
	}
	if !in.Role.Valid() {
		return nil, apperr.Field("input.role", "unknown role %q", in.Role)
	}
	token, hash := auth.NewOpaqueToken(caller.TenantID)
	var inv platformdb.PlatformInvitation
	var t tenancy.Tenant
	err = s.inPlatform(ctx, func(q *platformdb.Queries, tx pgx.Tx) error {
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
			ID: tenancy.NewID(), TenantID: caller.TenantID, Email: email, Role: string(in.Role),
			TokenHash: hash, ExpiresAt: time.Now().Add(InvitationTTL), InvitedBy: &caller.UserID,
		})
		if err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.TenantUserInvited, caller.TenantID, caller.UserID, events.InvitationPayload{
			InvitationID: inv.ID, Email: inv.Email, Role: inv.Role, InvitedBy: caller.UserID})
	})
	if err != nil {
		return nil, err
	}
	if err := s.Mail.Send(ctx, mail.Message{Kind: mail.Invitation, TenantID: caller.TenantID, To: email,
		Data: map[string]string{"token": token, "organization": t.Name, "role": string(in.Role), "invited_by": caller.Email}}); err != nil {
		s.Log.ErrorContext(ctx, "invitation mail not sent", "err", err)
	}
	return &InvitationPayload{Invitation: invitationOf(inv, time.Now()), Token: token}, nil
}

// Revoke revokes a pending invitation (admins).
func (s *Service) Revoke(ctx context.Context, id string) (*Invitation, error) {
	caller, err := auth.Require(ctx, auth.ManageUsers)
	if err != nil {
		return nil, err
	}
	var inv platformdb.PlatformInvitation
	err = s.inPlatform(ctx, func(q *platformdb.Queries, _ pgx.Tx) error {
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
	if err != nil {
		return nil, err
	}
	revoked := invitationOf(inv, time.Now())
	return &revoked, nil
}

// Invitations lists the tenant's invitations, newest first (admins); a
// status lists only the invitations that have it as users see it.
func (s *Service) Invitations(ctx context.Context, status *InvitationStatus, first *int, after *string) (*InvitationConnection, error) {
	caller, err := auth.Require(ctx, auth.ManageUsers)
	if err != nil {
		return nil, err
	}
	size, err := page.Size(first)
	if err != nil {
		return nil, err
	}
	p := platformdb.ListInvitationsParams{TenantID: caller.TenantID, Status: (*string)(status), MaxRows: int32(size + 1)}
	var at time.Time
	var id string
	if ok, err := page.Decode(after, &at, &id); err != nil {
		return nil, err
	} else if ok {
		p.AfterCreated, p.AfterID = &at, &id
	}
	var conn *InvitationConnection
	err = s.inPlatform(ctx, func(q *platformdb.Queries, _ pgx.Tx) error {
		rows, err := q.ListInvitations(ctx, p)
		if err != nil {
			return err
		}
		total, err := q.CountInvitations(ctx, platformdb.CountInvitationsParams{TenantID: caller.TenantID, Status: p.Status})
		conn = page.NewConnection(invitationsOf(rows, time.Now()), size, after, Invitation.cursor, total)
		return err
	})
	return conn, err
}
