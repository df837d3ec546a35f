package identity

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/mail"
	"github.com/opencrm/opencrm/pkg/tenancy/platformdb"
	"github.com/opencrm/opencrm/subgraphs/identity/store"
)

// RequestPasswordResetInput asks for a reset link for an address of an organisation.
type RequestPasswordResetInput struct{ Subdomain, Email string }

// RequestPasswordReset e-mails a reset link to an active user of the
// organisation. It succeeds whether or not the address is known, so it
// cannot be used to find out who has an account.
func (s *Service) RequestPasswordReset(ctx context.Context, in RequestPasswordResetInput) error {
	t, err := s.DB.LookupSubdomain(ctx, fold(in.Subdomain))
	if err != nil {
		return nil
	}
	email := fold(in.Email)
	if s.Limiter.Hit(ctx, "reset:"+t.ID+":"+email, resetRequestsPerEmail, resetWindow).Exceeded {
		return nil
	}
	var u store.User
	var token string
	err = s.queries().In(ctx, t.ID, func(q *store.Queries, _ pgx.Tx) error {
		if u, err = q.GetUserByEmail(ctx, email); err != nil || UserStatus(u.Status) == UserInactive {
			return err
		}
		token, err = issueUserToken(ctx, q, t.ID, u.ID, "password_reset", PasswordResetTTL)
		return err
	})
	if noRow(err) || token == "" {
		return nil
	}
	if err != nil {
		return err
	}
	s.send(ctx, mail.Message{Kind: mail.PasswordReset, TenantID: t.ID, To: u.Email,
		Data: map[string]string{"token": token, "organization": t.Name, "first_name": u.FirstName}})
	return nil
}

// ResetPasswordInput sets a new password with a reset token.
type ResetPasswordInput struct{ Token, NewPassword string }

// ResetPassword sets a new password with a reset token and signs out every
// session of the user.
func (s *Service) ResetPassword(ctx context.Context, in ResetPasswordInput) error {
	tenantID, hash, err := auth.ParseOpaqueToken("input.token", in.Token)
	if err != nil {
		return err
	}
	if err := auth.CheckPassword("input.newPassword", in.NewPassword); err != nil {
		return err
	}
	pwHash := auth.HashPassword(in.NewPassword)
	var userID string
	err = s.queries().In(ctx, tenantID, func(q *store.Queries, tx pgx.Tx) (err error) {
		userID, err = q.UseUserToken(ctx, store.UseUserTokenParams{TokenHash: hash, Purpose: "password_reset"})
		if noRow(err) {
			return badToken("input.token", "password reset token")
		}
		if err != nil {
			return err
		}
		if err := q.SetPassword(ctx, store.SetPasswordParams{ID: userID, PasswordHash: pwHash}); err != nil {
			return err
		}
		if err := q.RevokeUserSessions(ctx, userID); err != nil {
			return err
		}
		u, err := q.GetUser(ctx, userID)
		if err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.UserPasswordReset, tenantID, userID, userPayload(userOf(tenantID, u)))
	})
	if err == nil {
		s.revoke(ctx, tenantID, userID)
	}
	return err
}

// VerifyEmail marks the address of the token's user verified.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	tenantID, hash, err := auth.ParseOpaqueToken("input.token", token)
	if err != nil {
		return err
	}
	return s.queries().In(ctx, tenantID, func(q *store.Queries, _ pgx.Tx) error {
		userID, err := q.UseUserToken(ctx, store.UseUserTokenParams{TokenHash: hash, Purpose: "email_verification"})
		if noRow(err) {
			return badToken("input.token", "verification token")
		}
		if err != nil {
			return err
		}
		return q.MarkEmailVerified(ctx, userID)
	})
}

// AcceptInvitationInput joins an organisation with an invitation token.
type AcceptInvitationInput struct{ Token, Password, FirstName, LastName string }

// AcceptInvitation spends the invitation and creates the user with the
// invitation's role, in one transaction, then signs the user in.
func (s *Service) AcceptInvitation(ctx context.Context, in AcceptInvitationInput) (*AuthPayload, error) {
	tenantID, hash, err := auth.ParseOpaqueToken("input.token", in.Token)
	if err != nil {
		return nil, err
	}
	if _, err := active(s.DB.Lookup(ctx, tenantID)); err != nil {
		return nil, badToken("input.token", "invitation")
	}
	var sess *AuthPayload
	err = s.queries().In(ctx, tenantID, func(q *store.Queries, tx pgx.Tx) error {
		inv, err := platformdb.New(tx).ClaimInvitation(ctx, hash)
		if noRow(err) || (err == nil && inv.TenantID != tenantID) {
			return badToken("input.token", "invitation")
		}
		if err != nil {
			return err
		}
		nu, err := checkNewUser(inv.Email, in.Password, in.FirstName, in.LastName)
		if err != nil {
			return err
		}
		u, err := insertUser(ctx, q, tenantID, nu, auth.Role(inv.Role), inv.InvitedBy)
		if err != nil {
			return err
		}
		// The invitation went to this address: it is verified.
		if err := q.MarkEmailVerified(ctx, u.ID); err != nil {
			return err
		}
		u.EmailVerified = true
		if sess, err = s.startSession(ctx, q, "", u); err != nil {
			return err
		}
		if err := events.Emit(ctx, tx, events.TenantUserJoined, tenantID, u.ID, events.InvitationPayload{
			InvitationID: inv.ID, Email: inv.Email, Role: inv.Role, UserID: u.ID, InvitedBy: deref(inv.InvitedBy)}); err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.UserCreated, tenantID, u.ID, userPayload(u))
	})
	return sess, err
}

// deref is the string s points to, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
