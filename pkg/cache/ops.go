package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// GetOrLoad returns the value cached under key for the tenant or, on a
// miss, the value load returns, which it caches for ttl. Concurrent misses
// of one key in this process share one load. Values are stored as JSON. When
// Redis is down, load serves every call and its errors are returned as they
// are; Redis errors never are.
func GetOrLoad[T any](ctx context.Context, c *Cache, tenantID, key string, ttl time.Duration, load func(context.Context) (T, error)) (T, error) {
	var zero T
	if tenantID == "" {
		return zero, ErrNoTenant
	}
	k := c.Key(tenantID, key)
	if v, ok := get[T](ctx, c, k); ok {
		return v, nil
	}
	ch := c.flight.DoChan(k, func() (any, error) {
		// The load outlives a caller that gives up: others may wait on it.
		v, err := load(context.WithoutCancel(ctx))
		if err == nil {
			c.set(context.WithoutCancel(ctx), k, v, ttl)
		}
		return v, err
	})
	select {
	case <-ctx.Done():
		return zero, ctx.Err()
	case res := <-ch:
		if res.Err != nil {
			return zero, res.Err
		}
		if v, ok := res.Val.(T); ok {
			return v, nil
		}
		return load(ctx) // another caller loaded another type under this key
	}
}

// Set caches v under key for the tenant for ttl (a session just created).
// Like every write it is best effort: it reports only a bad key.
func Set[T any](ctx context.Context, c *Cache, tenantID, key string, ttl time.Duration, v T) error {
	if tenantID == "" {
		return ErrNoTenant
	}
	c.set(ctx, c.Key(tenantID, key), v, ttl)
	return nil
}

// Invalidate deletes the tenant's keys; call it after the change commits.
// When Redis is down the keys are remembered and deleted as soon as it is
// back, before anything is read from it, so a change made during an outage
// is not hidden by a value cached before it. (A process that stops during
// the outage forgets them: the TTL bounds how stale a value can be.)
func (c *Cache) Invalidate(ctx context.Context, tenantID string, keys ...string) error {
	if tenantID == "" {
		return ErrNoTenant
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = c.Key(tenantID, k)
	}
	c.del(ctx, full)
	return nil
}

// get reads and decodes key; false on a miss, an undecodable value or an
// unavailable Redis.
func get[T any](ctx context.Context, c *Cache, key string) (T, bool) {
	var v T
	if !c.ready(ctx) {
		return v, false
	}
	raw, err := c.rdb.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return v, false
	}
	if err != nil {
		c.health.failed("get", err)
		return v, false
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, false // a value of an older shape: load and overwrite it
	}
	return v, true
}

func (c *Cache) set(ctx context.Context, key string, v any, ttl time.Duration) {
	raw, err := json.Marshal(v)
	if err != nil {
		c.cfg.Logger.Error("cache: value cannot be encoded", "key", key, "err", fmt.Sprint(err))
		return
	}
	if !c.ready(ctx) {
		return
	}
	if err := c.rdb.Set(ctx, key, raw, ttl).Err(); err != nil {
		c.health.failed("set", err)
	}
}

func (c *Cache) del(ctx context.Context, keys []string) {
	c.health.remember(keys)
	c.ready(ctx)
}

// ready reports whether Redis may be used now, having first made the
// invalidations that failed before.
func (c *Cache) ready(ctx context.Context) bool {
	if !c.health.up() {
		return false
	}
	keys := c.health.pendingKeys()
	if len(keys) == 0 {
		return true
	}
	if err := c.rdb.Del(ctx, slices.Collect(maps.Keys(keys))...).Err(); err != nil {
		c.health.failed("invalidate", err)
		return false
	}
	c.health.forget(keys)
	return true
}
