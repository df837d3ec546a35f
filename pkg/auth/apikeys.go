package auth

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/oklog/ulid/v2"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/logging"
	"github.com/opencrm/opencrm/pkg/telemetry"
)

// APIKeyPrefix starts every API key, so secret scanners find leaked ones.
const APIKeyPrefix = "crm_live_"

// An API key is APIKeyPrefix, 256 random bits in lower-case base32 (52
// characters), "_" and the tenant's ULID in lower case: the tenant part
// routes the key to its schema, as in opaque tokens; only the SHA-256 of
// the whole key is stored (a 256-bit secret needs no slow hash).
const (
	apiKeySecretLen = 52
	apiKeyLen       = len(APIKeyPrefix) + apiKeySecretLen + 1 + ulid.EncodedSize
	// APIKeyShownLen is how much of a key its listing shows (ApiKey.prefix):
	// the prefix and 8 characters of the secret, enough to tell keys apart.
	APIKeyShownLen = len(APIKeyPrefix) + 8
)

var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewAPIKey returns a new API key of a tenant, the part of it listings show,
// and the hash to store in its place.
func NewAPIKey(tenantID string) (key, shown string, hash []byte) {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	key = APIKeyPrefix + keyEncoding.EncodeToString(secret) + "_" + strings.ToLower(tenantID)
	return key, key[:APIKeyShownLen], HashToken(key)
}

// IsAPIKey reports whether a bearer token is meant as an API key.
func IsAPIKey(token string) bool { return strings.HasPrefix(token, APIKeyPrefix) }

// ParseAPIKey returns the tenant an API key belongs to and its hash; ok is
// false for a token that cannot be a key of ours.
func ParseAPIKey(key string) (tenantID string, hash []byte, ok bool) {
	if len(key) != apiKeyLen || !IsAPIKey(key) {
		return "", nil, false
	}
	secret, tenant, _ := strings.Cut(key[len(APIKeyPrefix):], "_")
	raw, err := keyEncoding.DecodeString(secret)
	id, perr := ulid.ParseStrict(tenant)
	if err != nil || perr != nil || len(raw) != 32 || tenant != strings.ToLower(tenant) {
		return "", nil, false
	}
	return id.String(), HashToken(key), true
}

// InvalidAPIKey is the one answer to a key that is unknown, revoked or
// expired, or whose creator was deactivated: it does not say which.
func InvalidAPIKey() *apperr.Error {
	return apperr.E(apperr.Unauthenticated, "the API key is invalid, expired or revoked")
}

// APIKeyTokenPath is the identity subgraph's internal route that exchanges
// an API key for a short-lived access token (docs/integrators.md). Only the
// gateway calls it; it answers nothing a key's holder could not get from
// the gateway.
const APIKeyTokenPath = "/internal/api-key-token"

// APIKeyToken is what an API key is exchanged for.
type APIKeyToken struct {
	// AccessToken is an ordinary access token of the key's creator with the
	// key's role, id and scopes (APIKeyTokenTTL).
	AccessToken string    `json:"accessToken"`
	ExpiresAt   time.Time `json:"expiresAt"`
	// RateLimit is the tenant's requests per window for each of its keys;
	// 0: the gateway's default.
	RateLimit int64 `json:"rateLimit,omitempty"`
}

// exchangeError is the body of a refused exchange.
type exchangeError struct {
	Code    apperr.Code `json:"code"`
	Message string      `json:"message"`
}

// APIKeyTokenHandler serves APIKeyTokenPath: POST with the key as
// "Authorization: Bearer <key>"; 200 with an APIKeyToken, or 401 (the key
// does not work), 403 (TENANT_SUSPENDED) or 500 with {code, message}.
func APIKeyTokenHandler(exchange func(ctx context.Context, key string) (APIKeyToken, error), log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, key, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		var tok APIKeyToken
		err := error(InvalidAPIKey())
		if strings.EqualFold(scheme, "Bearer") {
			tok, err = exchange(r.Context(), strings.TrimSpace(key))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if err == nil {
			_ = json.NewEncoder(w).Encode(tok)
			return
		}
		e, ok := apperr.As(err)
		switch {
		case ok && e.Code == apperr.Unauthenticated:
			w.WriteHeader(http.StatusUnauthorized)
		case ok && e.Code == apperr.TenantSuspended:
			w.WriteHeader(http.StatusForbidden)
		default:
			log.ErrorContext(r.Context(), "api key exchange failed", "err", err)
			e = apperr.E(apperr.Internal, "the API key could not be checked")
			w.WriteHeader(http.StatusInternalServerError)
		}
		_ = json.NewEncoder(w).Encode(exchangeError{Code: e.Code, Message: e.Message})
	})
}

// APIKeyExchange is the gateway's client of APIKeyTokenPath.
type APIKeyExchange struct {
	URL    string // the identity subgraph's base URL + APIKeyTokenPath
	Client *http.Client
}

// ErrExchangeUnavailable is an exchange that got no answer (the identity
// subgraph down or failing): the key may be fine, so try again.
var ErrExchangeUnavailable = errors.New("auth: the API key exchange is unavailable")

// Exchange trades an API key for an access token: a coded error
// (UNAUTHENTICATED, TENANT_SUSPENDED) when the key does not work, an error
// wrapping ErrExchangeUnavailable when the exchange did not answer.
func (x *APIKeyExchange) Exchange(ctx context.Context, key string) (APIKeyToken, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, x.URL, nil)
	if err != nil {
		return APIKeyToken{}, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if id := logging.RequestID(ctx); id != "" {
		req.Header.Set(logging.RequestIDHeader, id)
	}
	telemetry.Inject(ctx, req.Header) // the caller's trace goes on
	client := x.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return APIKeyToken{}, fmt.Errorf("%w: %w", ErrExchangeUnavailable, err)
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, 64<<10)
	switch resp.StatusCode {
	case http.StatusOK:
		var tok APIKeyToken
		if err := json.NewDecoder(body).Decode(&tok); err != nil || tok.AccessToken == "" {
			return APIKeyToken{}, fmt.Errorf("%w: a malformed answer", ErrExchangeUnavailable)
		}
		return tok, nil
	case http.StatusUnauthorized, http.StatusForbidden:
		var e exchangeError
		if err := json.NewDecoder(body).Decode(&e); err == nil && (e.Code == apperr.Unauthenticated || e.Code == apperr.TenantSuspended) {
			return APIKeyToken{}, apperr.E(e.Code, "%s", e.Message)
		}
		return APIKeyToken{}, InvalidAPIKey()
	}
	return APIKeyToken{}, fmt.Errorf("%w: status %s", ErrExchangeUnavailable, resp.Status)
}
