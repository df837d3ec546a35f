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

// mark writes the revocation mark other processes read.
func (r *Revocations) mark(ctx context.Context, tenantID, userID string) error {
	return cache.Set(ctx, r.Cache, tenantID, revokedKey(userID), cache.SessionTTL, time.Now().UnixMilli())
}

// Check returns UNAUTHENTICATED when the identity's token was issued before
// its user's sessions were revoked.
func (r *Revocations) Check(ctx context.Context, id Identity) error {
	if r == nil || r.Cache == nil {
		return nil
	}
	at, err := cache.GetOrLoad(ctx, r.Cache, id.TenantID, revokedKey(id.UserID), cache.SessionTTL,
		func(context.Context) (int64, error) { return 0, errNotRevoked })
	if err != nil || id.IssuedAt.UnixMilli() > at {
		return nil
	}
	return apperr.E(apperr.Unauthenticated, "this session was signed out (account deactivated, role changed or password reset): sign in again")
}
