package cache_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/cache"
	"github.com/opencrm/opencrm/pkg/testenv"
)

type tenantConfig struct {
	Name     string   `json:"name"`
	Features []string `json:"features"`
}

// setup returns a cache on url whose keys carry a prefix of the test's own,
// deleted when the test ends.
func setup(t *testing.T, url string, logs io.Writer) *cache.Cache {
	return setupWith(t, cache.Config{URL: url}, logs)
}

func setupWith(t *testing.T, cfg cache.Config, logs io.Writer) *cache.Cache {
	t.Helper()
	if logs == nil {
		logs = io.Discard
	}
	prefix := "test-" + ulid.Make().String()
	cfg.Prefix, cfg.Logger = prefix, slog.New(slog.NewTextHandler(logs, nil))
	c, err := cache.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := c.Client().Keys(ctx, prefix+":*").Result()
		if len(keys) > 0 {
			c.Client().Del(ctx, keys...)
		}
		c.Close()
	})
	return c
}

// loader counts its calls and returns a config named after the call.
type loader struct{ calls atomic.Int32 }

func (l *loader) load(context.Context) (tenantConfig, error) {
	n := l.calls.Add(1)
	return tenantConfig{Name: fmt.Sprintf("load %d", n), Features: []string{"deals"}}, nil
}

func tenant() string { return ulid.Make().String() }

func TestGetOrLoadLoadsOnMissThenServesFromRedis(t *testing.T) {
	t.Parallel()
	c, l, ctx, tid := setup(t, testenv.RedisURL(), nil), &loader{}, context.Background(), tenant()
	for range 3 {
		v, err := cache.GetOrLoad(ctx, c, tid, "config", cache.TenantConfigTTL, l.load)
		require.NoError(t, err)
		assert.Equal(t, tenantConfig{Name: "load 1", Features: []string{"deals"}}, v)
	}
	assert.Equal(t, int32(1), l.calls.Load())
	ttl, err := c.Client().TTL(ctx, c.Key(tid, "config")).Result()
	require.NoError(t, err)
	assert.InDelta(t, cache.TenantConfigTTL.Seconds(), ttl.Seconds(), 5)
}

func TestConcurrentMissesShareOneLoad(t *testing.T) {
	t.Parallel()
	c, ctx, tid := setup(t, testenv.RedisURL(), nil), context.Background(), tenant()
	var calls atomic.Int32
	slow := func(context.Context) (string, error) {
		calls.Add(1)
		time.Sleep(200 * time.Millisecond)
		return "contact", nil
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			v, err := cache.GetOrLoad(ctx, c, tid, "contact:1", cache.ContactLookupTTL, slow)
			assert.NoError(t, err)
			assert.Equal(t, "contact", v)
		})
	}
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load())
}

func TestInvalidateMakesTheNextCallLoad(t *testing.T) {
	t.Parallel()
	c, l, ctx, tid := setup(t, testenv.RedisURL(), nil), &loader{}, context.Background(), tenant()
	_, err := cache.GetOrLoad(ctx, c, tid, "config", cache.TenantConfigTTL, l.load)
	require.NoError(t, err)
	require.NoError(t, c.Invalidate(ctx, tid, "config", "other"))
	v, err := cache.GetOrLoad(ctx, c, tid, "config", cache.TenantConfigTTL, l.load)
	require.NoError(t, err)
	assert.Equal(t, "load 2", v.Name)
}

func TestLoadErrorsAreReturnedAndNotCached(t *testing.T) {
	t.Parallel()
	c, ctx, tid := setup(t, testenv.RedisURL(), nil), context.Background(), tenant()
	boom := errors.New("database down")
	_, err := cache.GetOrLoad(ctx, c, tid, "k", time.Minute, func(context.Context) (int, error) { return 0, boom })
	assert.ErrorIs(t, err, boom)
	v, err := cache.GetOrLoad(ctx, c, tid, "k", time.Minute, func(context.Context) (int, error) { return 7, nil })
	require.NoError(t, err)
	assert.Equal(t, 7, v)
}

func TestKeysAreNamespacedByTenant(t *testing.T) {
	t.Parallel()
	c, ctx := setup(t, testenv.RedisURL(), nil), context.Background()
	a, b := tenant(), tenant()
	assert.True(t, strings.HasSuffix(c.Key(a, "config"), ":{"+a+"}:config"))
	load := func(name string) func(context.Context) (string, error) {
		return func(context.Context) (string, error) { return name, nil }
	}
	va, _ := cache.GetOrLoad(ctx, c, a, "config", time.Minute, load("A"))
	vb, _ := cache.GetOrLoad(ctx, c, b, "config", time.Minute, load("B"))
	assert.Equal(t, []string{"A", "B"}, []string{va, vb}, "one tenant never sees another's value")

	require.NoError(t, c.Invalidate(ctx, a, "config"))
	vb, _ = cache.GetOrLoad(ctx, c, b, "config", time.Minute, load("B reloaded"))
	assert.Equal(t, "B", vb, "invalidating one tenant's key leaves the other's")

	_, err := cache.GetOrLoad(ctx, c, "", "config", time.Minute, load("x"))
	assert.ErrorIs(t, err, cache.ErrNoTenant)
}

func TestRedisDownFallsBackToTheLoaderAndLogsOnce(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	c, l, ctx, tid := setup(t, "redis://"+deadAddr(t), &logs), &loader{}, context.Background(), tenant()
	for i := range 50 {
		v, err := cache.GetOrLoad(ctx, c, tid, "config", cache.TenantConfigTTL, l.load)
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("load %d", i+1), v.Name, "every call is served by the loader")
	}
	assert.NoError(t, c.Invalidate(ctx, tid, "config"))
	assert.NoError(t, cache.Set(ctx, c, tid, "session", cache.SessionTTL, "s"))
	assert.Error(t, c.Ping(ctx), "health reports Redis")
	assert.Equal(t, 1, strings.Count(logs.String(), "redis unavailable"), logs.String())
}

func TestInvalidationDuringAnOutageIsMadeWhenRedisIsBack(t *testing.T) {
	t.Parallel()
	redisURL, err := url.Parse(testenv.RedisURL())
	require.NoError(t, err)
	proxy := startProxy(t, redisURL.Host)
	redisURL.Host = proxy.addr
	c := setupWith(t, cache.Config{URL: redisURL.String(), RetryAfter: 100 * time.Millisecond}, nil)
	l, ctx, tid := &loader{}, context.Background(), tenant()
	get := func() string {
		v, err := cache.GetOrLoad(ctx, c, tid, "config", cache.TenantConfigTTL, l.load)
		require.NoError(t, err)
		return v.Name
	}
	require.Equal(t, "load 1", get())

	proxy.stop()
	require.NoError(t, c.Invalidate(ctx, tid, "config")) // the tenant changed during the outage
	proxy.start()
	time.Sleep(200 * time.Millisecond) // past RetryAfter: Redis is tried again

	assert.Equal(t, "load 2", get(), "the value cached before the change is not served again")
	assert.Equal(t, "load 2", get(), "and the new one is cached")
	assert.Equal(t, int32(2), l.calls.Load())
}

// deadAddr is an address where nothing listens.
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
