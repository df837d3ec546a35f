package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/redis/go-redis/v9"
)

// apqStore keeps automatic persisted queries (Apollo's protocol) by the
// sha256 of their text: in Redis, shared by every gateway, with a local LRU
// in front that also serves while Redis is down.
type apqStore struct {
	redis *redisGate
	local *lru.Cache[string, string]
	ttl   time.Duration
}

const apqKeyPrefix = "crm:apq:"

func newAPQStore(gate *redisGate, ttl time.Duration) *apqStore {
	local, _ := lru.New[string, string](4096) // only fails for a size <= 0
	return &apqStore{redis: gate, local: local, ttl: ttl}
}

// resolve applies the persisted query extension to req. A request with
// only a hash gets the registered query, or PERSISTED_QUERY_NOT_FOUND so
// the client sends it again with the text; a request with both must carry
// the text's hash. It returns the hash to register once the query proved
// valid ("" when there is nothing to register).
func (s *apqStore) resolve(ctx context.Context, req *gqlRequest) (string, *refusal) {
	pq := req.Extensions.PersistedQuery
	if pq == nil {
		return "", nil
	}
	if pq.Version != 1 {
		return "", refuse(http.StatusBadRequest, codePQNotSupported, messagePQNotSupportedV1)
	}
	hash := strings.ToLower(pq.SHA256Hash)
	if b, err := hex.DecodeString(hash); err != nil || len(b) != sha256.Size {
		return "", refuse(http.StatusBadRequest, codeBadRequest, "persistedQuery.sha256Hash must be 64 hexadecimal digits")
	}
	if req.Query == "" {
		q, ok := s.get(ctx, hash)
		if !ok {
			return "", refuse(http.StatusOK, codePQNotFound, messagePQNotFound)
		}
		req.Query = q
		return "", nil
	}
	if sum := sha256.Sum256([]byte(req.Query)); hex.EncodeToString(sum[:]) != hash {
		return "", refuse(http.StatusBadRequest, codeBadRequest, messagePQHashMismatch)
	}
	return hash, nil
}

func (s *apqStore) get(ctx context.Context, hash string) (string, bool) {
	if q, ok := s.local.Get(hash); ok {
		return q, true
	}
	if !s.redis.usable() {
		return "", false
	}
	ctx, cancel := s.redis.ctx(ctx)
	defer cancel()
	q, err := s.redis.client.Get(ctx, apqKeyPrefix+hash).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", false
	case err != nil:
		s.redis.failed("persisted query lookup", err)
		return "", false
	}
	s.local.Add(hash, q)
	return q, true
}

// put registers a query under its hash.
func (s *apqStore) put(ctx context.Context, hash, query string) {
	s.local.Add(hash, query)
	if !s.redis.usable() {
		return
	}
	ctx, cancel := s.redis.ctx(ctx)
	defer cancel()
	if err := s.redis.client.Set(ctx, apqKeyPrefix+hash, query, s.ttl).Err(); err != nil {
		s.redis.failed("persisted query store", err)
	}
}
