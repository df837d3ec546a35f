package gateway_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// testRedis is the development Redis, database 15, skipping the test when
// it does not answer.
func testRedis(t testing.TB) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379", DB: 15})
	t.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Skipf("no Redis at 127.0.0.1:6379: %v", err)
	}
	return rdb
}

// deadRedis points at a port nothing listens on.
func deadRedis(t testing.TB) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// uniqueQuery is a public query whose text, and so hash, no other test uses.
func uniqueQuery() (query, hash string) {
	query = `# ` + tenancy.NewID() + "\n" + `{ tenantBySubdomain(subdomain: "t1") { name } }`
	sum := sha256.Sum256([]byte(query))
	return query, hex.EncodeToString(sum[:])
}

func persisted(hash string, query string) map[string]any {
	body := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}}
	if query != "" {
		body["query"] = query
	}
	return body
}

func TestPersistedQueriesRoundTripThroughRedis(t *testing.T) {
	t.Parallel()
	rdb := testRedis(t)
	b := setup(t, withRedis(rdb))
	query, hash := uniqueQuery()

	r := b.query(t, persisted(hash, ""))
	assert.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "PERSISTED_QUERY_NOT_FOUND", r.code())
	assert.Equal(t, "PersistedQueryNotFound", r.Body.Errors[0].Message, "what Apollo clients look for")

	r = b.query(t, persisted(hash, query))
	require.Empty(t, r.Body.Errors, r.Raw)
	ttl, err := rdb.TTL(context.Background(), "crm:apq:"+hash).Result()
	require.NoError(t, err)
	assert.InDelta(t, 24*time.Hour, ttl, float64(time.Minute), "registered in Redis for a day")

	r = b.query(t, persisted(hash, ""))
	require.Empty(t, r.Body.Errors, r.Raw)
	assert.Equal(t, "Tenant t1", r.Body.Data["tenantBySubdomain"].(map[string]any)["name"])

	req, err := http.NewRequest(http.MethodGet, b.URL+"/graphql?extensions="+url.QueryEscape(
		`{"persistedQuery":{"version":1,"sha256Hash":"`+hash+`"}}`), nil)
	require.NoError(t, err)
	r = do(t, req)
	assert.Empty(t, r.Body.Errors, "a GET with only the hash, as Apollo clients send: %s", r.Raw)

	other := setup(t, withRedis(rdb))
	r = other.query(t, persisted(hash, ""))
	assert.Empty(t, r.Body.Errors, "another gateway finds it in Redis: %s", r.Raw)
}

func TestAPersistedQueryMustMatchItsHash(t *testing.T) {
	t.Parallel()
	rdb := testRedis(t)
	b := setup(t, withRedis(rdb))
	query, _ := uniqueQuery()
	_, otherHash := uniqueQuery()
	r := b.query(t, persisted(otherHash, query))
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Equal(t, "BAD_REQUEST", r.code())
	assert.Zero(t, rdb.Exists(context.Background(), "crm:apq:"+otherHash).Val(), "nothing registered")

	r = b.query(t, map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 2, "sha256Hash": otherHash}}})
	assert.Equal(t, "PERSISTED_QUERY_NOT_SUPPORTED", r.code())
}

func TestAnInvalidQueryIsNotRegistered(t *testing.T) {
	t.Parallel()
	rdb := testRedis(t)
	b := setup(t, withRedis(rdb))
	query := `{ nope_` + tenancy.NewID() + ` }`
	sum := sha256.Sum256([]byte(query))
	hash := hex.EncodeToString(sum[:])
	r := b.query(t, persisted(hash, query))
	assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", r.code())
	assert.Zero(t, rdb.Exists(context.Background(), "crm:apq:"+hash).Val())
}

func TestPersistedQueriesWorkInMemoryWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	for name, rdb := range map[string]*redis.Client{"unreachable": deadRedis(t), "not configured": nil} {
		b := setup(t, func(c *gateway.Config) { c.Redis = rdb })
		query, hash := uniqueQuery()
		r := b.query(t, persisted(hash, query))
		require.Empty(t, r.Body.Errors, "%s: %s", name, r.Raw)
		r = b.query(t, persisted(hash, ""))
		assert.Empty(t, r.Body.Errors, "%s: the hash alone answers from the local cache: %s", name, r.Raw)
		assert.Empty(t, r.Header.Get("RateLimit-Limit"), "%s: no rate limiting without Redis", name)
	}
}

// withRedis uses rdb for persisted queries only.
func withRedis(rdb *redis.Client) func(*gateway.Config) {
	return func(c *gateway.Config) { c.Redis, c.RateLimit.Disabled = rdb, true }
}
