package auth

import (
	"context"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/cache"
)

func init() {
	// Issue times in milliseconds, so that a token issued right after a
	// revocation is told apart from the ones it revoked.
	jwt.TimePrecision = time.Millisecond
}

// Revocations are the user sessions of docs/architecture.md section 3, kept in Redis
// for an hour: when a user is deactivated, changes role or resets its
// password, every access token issued to it before that moment stops
// working, instead of living out its 15 minutes: at once in the process
// that revoked it, within its Verifier's CacheTTL (DefaultCacheTTL, 5 s) in
// every other process (the gateway's and each subgraph's), which checks a
// token's revocation when it verifies the token, not on every request.
// The mark outlives every token it revokes (cache.SessionTTL > AccessTokenTTL).
// Redis down: nothing is revoked early (tokens expire as usual).
type Revocations struct {
	Cache *cache.Cache
}

var errNotRevoked = errors.New("not revoked")

func revokedKey(userID string) string { return "revoked:" + userID }

func revokedAPIKey(keyID string) string { return "revoked-key:" + keyID }

// Revoke ends every access token issued to the user until now. The mark is
// written before this process's verified tokens are forgotten, so none is
// remembered again without the mark being read.
func (r *Revocations) Revoke(ctx context.Context, tenantID, userID string) error {
	if r == nil || r.Cache == nil {
		return nil
	}
	err := r.mark(ctx, tenantID, userID)
	revocationEpoch.Add(1)
	return err
}

// RevokeAPIKey ends every access token an API key was exchanged for, as
// Revoke does a user's (the key's revoked_at, which the exchange checks,
// ends the key itself).
func (r *Revocations) RevokeAPIKey(ctx context.Context, tenantID, keyID string) error {
	if r == nil || r.Cache == nil {
		return nil
	}
	err := r.markKey(ctx, tenantID, revokedAPIKey(keyID))
	revocationEpoch.Add(1)
	return err
}

// mark writes the revocation mark other processes read.
func (r *Revocations) mark(ctx context.Context, tenantID, userID string) error {
	return r.markKey(ctx, tenantID, revokedKey(userID))
}

func (r *Revocations) markKey(ctx context.Context, tenantID, key string) error {
	return cache.Set(ctx, r.Cache, tenantID, key, cache.SessionTTL, time.Now().UnixMilli())
}

// Check returns UNAUTHENTICATED when the identity's token was issued before
// its user's sessions were revoked or, for an API key's token, before the
// key was revoked.
func (r *Revocations) Check(ctx context.Context, id Identity) error {
	if r == nil || r.Cache == nil {
		return nil
	}
	if r.revokedSince(ctx, id, revokedKey(id.UserID)) {
		return apperr.E(apperr.Unauthenticated, "this session was signed out (account deactivated, role changed or password reset): sign in again")
	}
	if id.IsAPIKey() && r.revokedSince(ctx, id, revokedAPIKey(id.APIKeyID)) {
		return apperr.E(apperr.Unauthenticated, "this API key was revoked")
	}
	return nil
}

// revokedSince reports whether the mark at key was written after the
// identity's token was issued.
func (r *Revocations) revokedSince(ctx context.Context, id Identity, key string) bool {
	at, err := cache.GetOrLoad(ctx, r.Cache, id.TenantID, key, cache.SessionTTL,
		func(context.Context) (int64, error) { return 0, errNotRevoked })
	return err == nil && id.IssuedAt.UnixMilli() <= at
}
