package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// NewOpaqueToken returns a secret token for a tenant (refresh, invitation,
// password reset, e-mail verification) and the hash to store in its place.
// The token is "<tenant id>.<256 random bits>": the tenant part routes it to
// the tenant's schema; only the hash of the whole token is ever stored.
func NewOpaqueToken(tenantID string) (token string, hash []byte) {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	token = strings.ToLower(tenantID) + "." + base64.RawURLEncoding.EncodeToString(secret)
	return token, HashToken(token)
}

// HashToken is the stored form of an opaque token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ParseOpaqueToken returns the tenant an opaque token belongs to and its
// hash. A token that is not of our making is a BAD_USER_INPUT on field.
func ParseOpaqueToken(field, token string) (tenantID string, hash []byte, err error) {
	tenant, secret, ok := strings.Cut(token, ".")
	id, perr := ulid.ParseStrict(tenant)
	raw, derr := base64.RawURLEncoding.DecodeString(secret)
	if !ok || perr != nil || derr != nil || len(raw) != 32 {
		return "", nil, apperr.Field(field, "the token is malformed")
	}
	return id.String(), HashToken(token), nil
}
