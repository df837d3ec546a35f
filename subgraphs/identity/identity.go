// Package identity is the identity subgraph's domain: users, sign-up,
// sign-in, sessions (refresh tokens), password resets and e-mail
// verification. The GraphQL layer in graph/ only parses, calls and maps.
package identity

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/mail"
	"github.com/opencrm/opencrm/pkg/ratelimit"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/identity/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the identity tables' migrations, applied to every tenant schema.
func Migrations() fs.FS { sub, _ := fs.Sub(migrations, "migrations"); return sub }

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

// User is a user of a tenant.
type User = store.User

// User statuses.
const (
	StatusActive   = "active"
	StatusInactive = "inactive"
	StatusPending  = "pending"
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

// Session is what signing in gives: tokens and the user they are for.
type Session struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    time.Time
	TenantID     string
	User         User
}

// inTenant runs fn in a transaction of the tenant's schema with the
// identity queries bound to it.
func (s *Service) inTenant(ctx context.Context, tenantID string, fn func(q *store.Queries, tx pgx.Tx) error) error {
	return s.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error { return fn(store.New(tx), tx) })
}

// startSession creates a refresh token of a new family (or of family, when
// rotating) and an access token for the user.
func (s *Service) startSession(ctx context.Context, q *store.Queries, tenantID, family string, u User) (Session, error) {
	token, hash := auth.NewOpaqueToken(tenantID)
	if family == "" {
		family = tenancy.NewID()
	}
	if _, err := q.InsertSession(ctx, store.InsertSessionParams{
		ID: tenancy.NewID(), UserID: u.ID, FamilyID: family, TokenHash: hash,
		ExpiresAt: time.Now().Add(RefreshTokenTTL),
	}); err != nil {
		return Session{}, err
	}
	access, exp, err := s.Issuer.Issue(auth.Identity{UserID: u.ID, TenantID: tenantID, Email: u.Email, Role: auth.Role(u.Role)})
	if err != nil {
		return Session{}, err
	}
	return Session{AccessToken: access, RefreshToken: token, ExpiresAt: exp, TenantID: tenantID, User: u}, nil
}

// issueUserToken stores a single-use e-mailed token and returns it.
func issueUserToken(ctx context.Context, q *store.Queries, tenantID, userID, purpose string, ttl time.Duration) (string, error) {
	token, hash := auth.NewOpaqueToken(tenantID)
	err := q.InsertUserToken(ctx, store.InsertUserTokenParams{
		ID: tenancy.NewID(), UserID: userID, Purpose: purpose, TokenHash: hash, ExpiresAt: time.Now().Add(ttl),
	})
	return token, err
}

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
