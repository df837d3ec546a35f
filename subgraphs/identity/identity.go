// Package identity is the identity subgraph's domain: users, sign-up,
// sign-in, sessions (refresh tokens), password resets and e-mail
// verification. Its types are the schema's: the GraphQL layer in graph/ is
// bound to them and only parses arguments and calls the service.
package identity

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/mail"
	"github.com/opencrm/opencrm/pkg/ratelimit"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/identity/store"
)

// Lifetimes of what the service hands out.
const (
	RefreshTokenTTL      = 30 * 24 * time.Hour
	PasswordResetTTL     = time.Hour
	EmailVerificationTTL = 24 * time.Hour
)

// Login failure limits: per address in a tenant, and per client address.
const (
	loginFailuresPerEmail  = 10
	loginFailuresPerClient = 50
	loginWindow            = 15 * time.Minute
	resetRequestsPerEmail  = 5
	resetWindow            = time.Hour
)

// Service is the identity domain.
type Service struct {
	DB      *tenancy.DB
	Issuer  *auth.Issuer
	Mail    mail.Sender
	Limiter *ratelimit.Limiter
	Log     *slog.Logger
	// Revocations end a user's access tokens at once when it is
	// deactivated, changes role or resets its password (nil: they expire).
	Revocations *auth.Revocations
}

// queries are the identity tables, in transactions of a tenant's schema.
func (s *Service) queries() tenancy.Queries[*store.Queries] {
	return tenancy.NewQueries(s.DB, store.New)
}

// startSession creates a refresh token of a new family (or of family, when
// rotating) and an access token for the user.
func (s *Service) startSession(ctx context.Context, q *store.Queries, family string, u User) (*AuthPayload, error) {
	token, hash := auth.NewOpaqueToken(u.TenantID)
	if family == "" {
		family = tenancy.NewID()
	}
	if _, err := q.InsertSession(ctx, store.InsertSessionParams{
		ID: tenancy.NewID(), UserID: u.ID, FamilyID: family, TokenHash: hash,
		ExpiresAt: time.Now().Add(RefreshTokenTTL),
	}); err != nil {
		return nil, err
	}
	access, exp, err := s.Issuer.Issue(auth.Identity{UserID: u.ID, TenantID: u.TenantID, Email: u.Email, Role: u.Role})
	if err != nil {
		return nil, err
	}
	return &AuthPayload{AccessToken: access, RefreshToken: token, ExpiresAt: exp, User: u}, nil
}

// issueUserToken stores a single-use e-mailed token and returns it.
func issueUserToken(ctx context.Context, q *store.Queries, tenantID, userID, purpose string, ttl time.Duration) (string, error) {
	token, hash := auth.NewOpaqueToken(tenantID)
	err := q.InsertUserToken(ctx, store.InsertUserTokenParams{
		ID: tenancy.NewID(), UserID: userID, Purpose: purpose, TokenHash: hash, ExpiresAt: time.Now().Add(ttl),
	})
	return token, err
}

// fold is the form in which subdomains and e-mail addresses are compared.
func fold(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// send hands a message to the mail sender after the transaction that made
// it committed; a failure is logged, not returned (the change stands).
func (s *Service) send(ctx context.Context, m mail.Message) {
	if err := s.Mail.Send(ctx, m); err != nil {
		s.Log.ErrorContext(ctx, "mail not sent", "kind", m.Kind, "err", err)
	}
}

// revoke ends the user's access tokens; a failure is logged (the tokens
// then expire on their own within 15 minutes).
func (s *Service) revoke(ctx context.Context, tenantID, userID string) {
	if err := s.Revocations.Revoke(ctx, tenantID, userID); err != nil {
		s.Log.WarnContext(ctx, "access tokens not revoked", "user_id", userID, "err", err)
	}
}

// active passes on a tenant lookup, or TENANT_SUSPENDED when the tenant may not be used.
func active(t tenancy.Tenant, err error) (tenancy.Tenant, error) {
	if err != nil {
		return t, err
	}
	if t.Status == tenancy.StatusSuspended {
		return t, suspended()
	}
	return t, nil
}
