package gateway

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
)

// apiKeys turns the API keys clients send into the access tokens the
// subgraphs verify (docs/integrators.md): the identity subgraph, which holds
// the signing keys and the keys' table, exchanges a key for a short-lived
// token of its creator carrying the key's id, role and scopes; the gateway
// remembers it per key (by the key's SHA-256) and forwards the token, never
// the key. Each request still verifies the remembered token (signature,
// expiry and revocation, auth.Verifier's 5 s cache), so a revoked key or a
// deactivated creator is refused as soon as the verifier sees the mark; the
// token is renewed in the background once it is exchangeAge old, which
// bounds how long a revocation takes without Redis and records lastUsedAt.
type apiKeys struct {
	exchange *auth.APIKeyExchange
	verifier *auth.Verifier
	cache    *lru.Cache[[sha256.Size]byte, *exchanged]
	flight   singleflight.Group
	log      *slog.Logger
}

// exchanged is a key's current access token.
type exchanged struct {
	token    string
	expires  time.Time // the token's expiry
	renewAt  time.Time // when to exchange the key again (in the background)
	limit    int64     // the tenant's per-key rate limit; 0: the default
	renewing atomic.Bool
}

const (
	// exchangeAge is how long an exchanged token is used before the key is
	// exchanged again (in the background, while the old token serves).
	exchangeAge = time.Minute
	// expiryMargin: a token this close to its expiry is not forwarded, so
	// it cannot expire while a request is under way.
	expiryMargin = 30 * time.Second
	// exchangeTimeout bounds one exchange.
	exchangeTimeout = 5 * time.Second
	// apiKeyCacheSize bounds the keys remembered (least recently used go).
	apiKeyCacheSize = 10_000
)

// newAPIKeys returns the exchange of the configured URL, or of the identity
// subgraph; nil when there is neither (API keys are then refused).
func newAPIKeys(cfg Config, urls map[string]string, v *auth.Verifier) *apiKeys {
	url := cfg.APIKeyExchangeURL
	if url == "" {
		id, ok := urls["identity"]
		if !ok {
			return nil
		}
		url = strings.TrimSuffix(id, "/graphql") + auth.APIKeyTokenPath
	}
	cache, _ := lru.New[[sha256.Size]byte, *exchanged](apiKeyCacheSize) // fails only for size <= 0
	return &apiKeys{
		exchange: &auth.APIKeyExchange{URL: url, Client: &http.Client{Timeout: exchangeTimeout}},
		verifier: v, cache: cache, log: cfg.Logger,
	}
}

// identify is the caller an API key names: its creator acting with the key,
// and the token to forward in its place.
func (k *apiKeys) identify(ctx context.Context, key string) caller {
	if k == nil {
		return caller{tokenErr: auth.InvalidAPIKey()}
	}
	h := sha256.Sum256([]byte(key))
	now := time.Now()
	if e, ok := k.cache.Get(h); ok && now.Before(e.expires.Add(-expiryMargin)) {
		if id, err := k.verifier.Authenticate(ctx, e.token); err == nil {
			if now.After(e.renewAt) && e.renewing.CompareAndSwap(false, true) {
				go k.renew(h, key, e)
			}
			return caller{id: id, verified: true, forward: e.token, keyLimit: e.limit}
		}
		// Revoked (the key, or its creator's sessions): ask the exchange,
		// which knows whether the key still works, and with what role.
		k.cache.Remove(h)
	}
	e, err := k.fetch(ctx, h, key)
	if err != nil {
		return caller{tokenErr: err}
	}
	id, err := k.verifier.Authenticate(ctx, e.token)
	if err != nil {
		k.cache.Remove(h)
		return caller{tokenErr: auth.InvalidAPIKey()}
	}
	return caller{id: id, verified: true, forward: e.token, keyLimit: e.limit}
}

// fetch exchanges the key, once however many requests ask at the same
// time, and remembers the token.
func (k *apiKeys) fetch(ctx context.Context, h [sha256.Size]byte, key string) (*exchanged, error) {
	v, err, _ := k.flight.Do(string(h[:]), func() (any, error) {
		// Not the client's context: one client going away must not fail
		// the others waiting for the same exchange.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), exchangeTimeout)
		defer cancel()
		tok, err := k.exchange.Exchange(ctx, key)
		if err != nil {
			return nil, err
		}
		e := &exchanged{token: tok.AccessToken, expires: tok.ExpiresAt, renewAt: time.Now().Add(exchangeAge), limit: tok.RateLimit}
		k.cache.Add(h, e)
		return e, nil
	})
	if err != nil {
		if _, coded := apperr.As(err); !coded {
			k.log.WarnContext(ctx, "gateway: API key exchange failed", "err", err)
		}
		return nil, err
	}
	return v.(*exchanged), nil
}

// renew exchanges the key again while its current token still serves: a
// key that stopped working is forgotten (its next request is refused); an
// exchange that did not answer is tried again by the next request.
func (k *apiKeys) renew(h [sha256.Size]byte, key string, old *exchanged) {
	_, err := k.fetch(context.Background(), h, key)
	switch {
	case err == nil:
	case errors.Is(err, auth.ErrExchangeUnavailable):
		old.renewing.Store(false)
	default:
		if cur, ok := k.cache.Peek(h); ok && cur == old {
			k.cache.Remove(h)
		}
	}
}
