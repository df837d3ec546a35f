package auth

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oklog/ulid/v2"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// AccessTokenTTL is the lifetime of an access token.
const AccessTokenTTL = 15 * time.Minute

// APIKeyTokenTTL is the lifetime of the access token an API key is
// exchanged for (docs/integrators.md): short, since the gateway exchanges
// the key again every minute or so while it is used.
const APIKeyTokenTTL = 5 * time.Minute

// Claims are the claims of an access token (docs/architecture.md section 3).
type Claims struct {
	jwt.RegisteredClaims
	TenantID string `json:"tid"`
	Role     Role   `json:"role"`
	Email    string `json:"email"`
	// APIKeyID and Scopes are set in the tokens API keys are exchanged for:
	// the key, and what it may do (the subject is the key's creator).
	APIKeyID string  `json:"akid,omitempty"`
	Scopes   []Scope `json:"scp,omitempty"`
}

// Issuer signs access tokens.
type Issuer struct {
	Keys     *KeySet
	Issuer   string
	Audience string
	Now      func() time.Time // for tests; time.Now when nil
}

// Issue returns a signed access token for the user and its expiry.
func (i *Issuer) Issue(a Identity) (string, time.Time, error) {
	return i.IssueFor(a, AccessTokenTTL)
}

// IssueFor returns a signed access token valid for ttl; an identity acting
// with an API key gets the key's id and scopes as claims.
func (i *Issuer) IssueFor(a Identity, ttl time.Duration) (string, time.Time, error) {
	now := time.Now()
	if i.Now != nil {
		now = i.Now()
	}
	exp := now.Add(ttl)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   a.UserID,
			Issuer:    i.Issuer,
			Audience:  jwt.ClaimStrings{i.Audience},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        ulid.Make().String(),
		},
		TenantID: a.TenantID,
		Role:     a.Role,
		Email:    a.Email,
	}
	if a.IsAPIKey() {
		claims.APIKeyID, claims.Scopes = a.APIKeyID, a.Scopes.List()
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = i.Keys.signKID
	s, err := tok.SignedString(i.Keys.signKey)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return s, exp, nil
}

// KeySource finds the public key a token names in its kid header.
type KeySource interface {
	PublicKey(kid string) (ed25519.PublicKey, bool)
}

// Verifier checks access tokens: signature (EdDSA only), issuer, audience
// and expiry, and (Authenticate) revocation. Safe for concurrent use; use
// it by pointer, one per process (its cache is what makes a token cheap the
// second time).
type Verifier struct {
	Keys     KeySource
	Issuer   string
	Audience string
	// Revocations, when set, refuses tokens issued before their user's
	// sessions were revoked (checked by Authenticate).
	Revocations *Revocations
	// CacheTTL is how long Authenticate trusts a token it verified before
	// checking it again (never past the token's expiry): DefaultCacheTTL
	// when zero, no cache when negative.
	CacheTTL time.Duration
	// CacheSize bounds the tokens remembered (DefaultCacheSize when zero).
	CacheSize int
	// Clock tells how long a remembered token is trusted (tests move it
	// forward instead of sleeping); time.Now when nil.
	Clock func() time.Time

	cache verifiedTokens
}

// Verify returns the identity a valid token carries, or an UNAUTHENTICATED
// error that does not say more than "invalid" or "expired". It checks the
// token itself only, every time: requests go through Authenticate.
func (v *Verifier) Verify(token string) (Identity, error) {
	id, _, err := v.verify(token)
	return id, err
}

// verify is Verify, also returning when the token expires.
func (v *Verifier) verify(token string) (Identity, time.Time, error) {
	var claims Claims
	_, err := jwt.ParseWithClaims(token, &claims, v.key,
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(v.Issuer),
		jwt.WithAudience(v.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(30*time.Second),
	)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Identity{}, time.Time{}, apperr.E(apperr.Unauthenticated, "the access token has expired")
	case err != nil:
		return Identity{}, time.Time{}, &apperr.Error{Code: apperr.Unauthenticated, Message: "the access token is invalid", Err: err}
	}
	id := Identity{UserID: claims.Subject, TenantID: claims.TenantID, Email: claims.Email, Role: claims.Role}
	if claims.IssuedAt != nil {
		id.IssuedAt = claims.IssuedAt.Time
	}
	if _, err := ulid.ParseStrict(id.TenantID); err != nil || id.UserID == "" || !id.Role.Valid() {
		return Identity{}, time.Time{}, apperr.E(apperr.Unauthenticated, "the access token is invalid")
	}
	if claims.APIKeyID != "" {
		id.APIKeyID, id.Scopes = claims.APIKeyID, NewScopeSet(claims.Scopes...)
		for _, s := range claims.Scopes {
			if !s.Valid() {
				return Identity{}, time.Time{}, apperr.E(apperr.Unauthenticated, "the access token is invalid")
			}
		}
	}
	return id, claims.ExpiresAt.Time, nil // WithExpirationRequired: never nil here
}

func (v *Verifier) key(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	k, ok := v.Keys.PublicKey(kid)
	if !ok {
		return nil, fmt.Errorf("unknown key id %q", kid)
	}
	return k, nil
}
