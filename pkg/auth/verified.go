package auth

import (
	"context"
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// DefaultCacheTTL is how long a Verifier trusts a token it verified
// (signature, claims and revocation) before checking it again: the longest
// a revocation made by another process takes to end a token here.
const DefaultCacheTTL = 5 * time.Second

// DefaultCacheSize bounds the tokens a Verifier remembers (least recently
// used go first): a few thousand signed-in users per process.
const DefaultCacheSize = 10_000

// revocationEpoch counts the revocations made in this process. A verified
// token remembered before the latest one is checked again, so a revocation
// ends access at once in the process that made it, whichever Verifier (the
// gateway's, a subgraph's) remembered the token.
var revocationEpoch atomic.Uint64

// verified is a token that passed Authenticate.
type verified struct {
	id    Identity
	until time.Time // min(token expiry, verification + CacheTTL)
	epoch uint64    // revocationEpoch when the check began
}

// verifiedTokens is a Verifier's cache, keyed by the SHA-256 of the token
// (a leaked dump of it holds no usable token). Built on first use, so a
// Verifier literal needs no constructor.
type verifiedTokens struct {
	once sync.Once
	lru  *lru.Cache[[sha256.Size]byte, verified] // nil: no cache
	ttl  time.Duration
}

func (v *Verifier) verifiedTokens() *verifiedTokens {
	c := &v.cache
	c.once.Do(func() {
		c.ttl = v.CacheTTL
		if c.ttl == 0 {
			c.ttl = DefaultCacheTTL
		}
		size := v.CacheSize
		if size <= 0 {
			size = DefaultCacheSize
		}
		if c.ttl > 0 {
			c.lru, _ = lru.New[[sha256.Size]byte, verified](size) // fails only for size <= 0
		}
	})
	return c
}

// Authenticate is what a request's bearer token goes through: Verify, then
// the revocation check. A token that passes is remembered until it expires
// or CacheTTL has passed, whichever is first, so the gateway and every
// subgraph each parse and check it once per interval instead of once per
// request; a refused token is not remembered, and a revocation made in this
// process forgets every remembered token at once.
func (v *Verifier) Authenticate(ctx context.Context, token string) (Identity, error) {
	c := v.verifiedTokens()
	epoch := revocationEpoch.Load()
	now := time.Now()
	if v.Clock != nil {
		now = v.Clock()
	}
	var key [sha256.Size]byte
	if c.lru != nil {
		key = sha256.Sum256([]byte(token))
		if e, ok := c.lru.Get(key); ok && e.epoch == epoch && now.Before(e.until) {
			return e.id, nil
		}
	}
	id, exp, err := v.verify(token)
	if err == nil {
		err = v.Revocations.Check(ctx, id)
	}
	if err != nil {
		return Identity{}, err
	}
	if c.lru != nil {
		until := now.Add(c.ttl)
		if exp.Before(until) {
			until = exp
		}
		// Stamped with the epoch read before the check: a revocation made
		// meanwhile leaves this entry stale, never trusted.
		c.lru.Add(key, verified{id: id, until: until, epoch: epoch})
	}
	return id, nil
}
