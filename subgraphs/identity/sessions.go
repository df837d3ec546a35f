package identity

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/subgraphs/identity/store"
)

// LoginInput signs in to the organisation at a subdomain.
type LoginInput struct{ Subdomain, Email, Password string }

// Login checks the credentials and starts a session. Failures do not say
// whether the address or the password was wrong, and are rate limited per
// address and per client.
func (s *Service) Login(ctx context.Context, in LoginInput) (*AuthPayload, error) {
	t, err := active(s.DB.LookupSubdomain(ctx, fold(in.Subdomain)))
	if err != nil {
		return nil, err
	}
	email := fold(in.Email)
	emailKey := "login:" + t.ID + ":" + email
	clientKey := "login-client:" + auth.ClientAddr(ctx)
	if s.Limiter.Peek(ctx, emailKey, loginFailuresPerEmail, loginWindow).Count >= loginFailuresPerEmail ||
		s.Limiter.Peek(ctx, clientKey, loginFailuresPerClient, loginWindow).Count >= loginFailuresPerClient {
		return nil, apperr.E(apperr.TooManyRequests, "too many failed sign-ins: wait 15 minutes and try again")
	}
	var row store.User
	err = s.queries().In(ctx, t.ID, func(q *store.Queries, _ pgx.Tx) error {
		row, err = q.GetUserByEmail(ctx, email)
		return err
	})
	if err != nil && !noRow(err) {
		return nil, err
	}
	u := userOf(t.ID, row)
	// Hash against a dummy when the user does not exist: the same time either way.
	if !auth.PasswordMatches(u.passwordHash, in.Password) {
		s.Limiter.Hit(ctx, emailKey, loginFailuresPerEmail, loginWindow)
		s.Limiter.Hit(ctx, clientKey, loginFailuresPerClient, loginWindow)
		return nil, wrongCredentials()
	}
	if u.Status == UserInactive {
		return nil, apperr.E(apperr.Unauthenticated, "this account is deactivated: ask an admin of the organisation")
	}
	s.Limiter.Reset(ctx, emailKey)
	var sess *AuthPayload
	err = s.queries().In(ctx, t.ID, func(q *store.Queries, tx pgx.Tx) error {
		if err := q.RecordLogin(ctx, u.ID); err != nil {
			return err
		}
		if sess, err = s.startSession(ctx, q, "", u); err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.UserLogin, t.ID, u.ID, userPayload(u))
	})
	return sess, err
}

// Refresh trades a refresh token for new tokens. Each token works once:
// presenting a token that was already rotated means it was copied, so the
// whole family of sessions descending from the same sign-in is revoked.
func (s *Service) Refresh(ctx context.Context, token string) (*AuthPayload, error) {
	tenantID, hash, err := auth.ParseOpaqueToken("input.refreshToken", token)
	if err != nil {
		return nil, err
	}
	if _, err := active(s.DB.Lookup(ctx, tenantID)); err != nil {
		if apperr.CodeOf(err) == apperr.NotFound {
			return nil, expiredSession()
		}
		return nil, err
	}
	var sess *AuthPayload
	reused := false
	err = s.queries().In(ctx, tenantID, func(q *store.Queries, _ pgx.Tx) error {
		old, err := q.RotateSession(ctx, hash)
		if noRow(err) {
			prev, err := q.GetSessionByHash(ctx, hash)
			if err == nil && prev.RotatedAt != nil && prev.RevokedAt == nil {
				reused = true // committed: the revocation must stand
				return q.RevokeFamily(ctx, prev.FamilyID)
			}
			return expiredSession()
		}
		if err != nil {
			return err
		}
		row, err := q.GetUser(ctx, old.UserID)
		if err != nil {
			return err
		}
		if UserStatus(row.Status) == UserInactive {
			return expiredSession()
		}
		sess, err = s.startSession(ctx, q, old.FamilyID, userOf(tenantID, row))
		return err
	})
	if err == nil && reused {
		s.Log.WarnContext(ctx, "refresh token reused: session family revoked", "tenant_id", tenantID)
		return nil, apperr.E(apperr.Unauthenticated, "this refresh token was already used: every session of this sign-in is now signed out")
	}
	return sess, err
}

// expiredSession is the answer to a refresh token that no longer works.
func expiredSession() error {
	return apperr.E(apperr.Unauthenticated, "the session has expired or was signed out: sign in again")
}

// Logout revokes the session family of a refresh token of the caller's.
// An unknown token is already signed out: the answer is the same.
func (s *Service) Logout(ctx context.Context, token string) error {
	caller, err := auth.Person(ctx)
	if err != nil {
		return err
	}
	tenantID, hash, err := auth.ParseOpaqueToken("input.refreshToken", token)
	if err != nil {
		return err
	}
	if tenantID != caller.TenantID {
		return nil
	}
	return s.queries().In(ctx, tenantID, func(q *store.Queries, _ pgx.Tx) error {
		sess, err := q.GetSessionByHash(ctx, hash)
		if noRow(err) || (err == nil && sess.UserID != caller.UserID) {
			return nil
		}
		if err != nil {
			return err
		}
		return q.RevokeFamily(ctx, sess.FamilyID)
	})
}
