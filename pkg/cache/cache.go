// Package cache keeps hot lookups in Redis (docs/architecture.md section 6): keys
// namespaced by tenant, typed get-or-load with single-flight, invalidation,
// and the product's TTLs. Redis is an optimisation, never a dependency: when
// it is down every call is served by its loader and the outage is logged once
// per interval.
package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/singleflight"
)

// The TTLs of docs/architecture.md section 6. Each cached value is also invalidated
// when it changes.
const (
	TenantConfigTTL  = 24 * time.Hour
	SessionTTL       = time.Hour
	ContactLookupTTL = 15 * time.Minute
)

// Platform is the namespace of keys that belong to no tenant (a tenant
// found by its subdomain before its id is known). Tenant ids are ULIDs, so
// it never clashes with one.
const Platform = "platform"

// DefaultURL is the Redis of a developer machine.
const DefaultURL = "redis://localhost:6379"

// Config configures a Cache; the zero value gives the defaults.
type Config struct {
	URL string // REDIS_URL, default DefaultURL
	// Prefix is the first part of every key, default "crm".
	Prefix string
	// Timeout bounds each Redis call (dial, read, write): a slow Redis
	// must not slow requests down much. Default 250ms.
	Timeout time.Duration
	// RetryAfter is how long Redis is skipped after it failed, default 5s.
	RetryAfter time.Duration
	// WarnEvery is how often an outage is logged, default one minute.
	WarnEvery time.Duration
	Logger    *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.URL == "" {
		c.URL = DefaultURL
	}
	if c.Prefix == "" {
		c.Prefix = "crm"
	}
	if c.Timeout == 0 {
		c.Timeout = 250 * time.Millisecond
	}
	if c.RetryAfter == 0 {
		c.RetryAfter = 5 * time.Second
	}
	if c.WarnEvery == 0 {
		c.WarnEvery = time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Cache is a tenant-namespaced cache in Redis. It is safe for concurrent use.
type Cache struct {
	rdb    *redis.Client
	cfg    Config
	flight singleflight.Group
	health health
}

// New returns a cache on the Redis at cfg.URL. It does not connect: a Redis
// that is down at start-up is a degraded cache, not a failed start.
func New(cfg Config) (*Cache, error) {
	cfg = cfg.withDefaults()
	opts, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("cache: parse REDIS_URL: %w", err)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = cfg.Timeout, cfg.Timeout, cfg.Timeout
	// One quick retry, not go-redis's several with backoff: a request must
	// not wait long on a Redis that is gone.
	opts.MaxRetries, opts.DialerRetries, opts.DialerRetryTimeout = 1, 1, 10*time.Millisecond
	opts.DisableIdentity = true
	c := &Cache{rdb: redis.NewClient(opts), cfg: cfg}
	c.health.init(cfg)
	return c, nil
}

// Close closes the connections to Redis.
func (c *Cache) Close() error { return c.rdb.Close() }

// Client is the underlying Redis client, for the gateway's APQ and rate
// limits, which keep their own keys.
func (c *Cache) Client() *redis.Client { return c.rdb }

// Ping checks Redis, for /health: an error there means degraded, not down.
func (c *Cache) Ping(ctx context.Context) error {
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("cache: redis: %w", err)
	}
	return nil
}

// Key returns the Redis key of key for a tenant: crm:{tenantID}:key. The
// braces are a Redis Cluster hash tag, so one tenant's keys share a slot
// and can be deleted together.
func (c *Cache) Key(tenantID, key string) string {
	return c.cfg.Prefix + ":{" + tenantID + "}:" + key
}

// ErrNoTenant is returned for a key without a tenant namespace.
var ErrNoTenant = errors.New("cache: key without tenant (use cache.Platform for global keys)")

// health remembers a Redis outage: while it lasts Redis is not tried (for
// RetryAfter at a time), it is logged once per WarnEvery, and invalidations
// that could not be made are kept to be made when Redis is back.
type health struct {
	mu         sync.Mutex
	cfg        Config
	downUntil  time.Time
	lastWarn   time.Time
	suppressed int
	pending    map[string]uint64 // keys to delete, with the queueing's number
	queued     uint64
}

func (h *health) init(cfg Config) { h.cfg, h.pending = cfg, map[string]uint64{} }

// up reports whether Redis may be tried now.
func (h *health) up() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return time.Now().After(h.downUntil)
}

// failed records a Redis error and logs it if none was logged lately.
func (h *health) failed(op string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.downUntil = time.Now().Add(h.cfg.RetryAfter)
	if time.Since(h.lastWarn) < h.cfg.WarnEvery {
		h.suppressed++
		return
	}
	h.cfg.Logger.Warn("cache: redis unavailable; serving from the loaders", "op", op, "err", err, "suppressed", h.suppressed)
	h.lastWarn, h.suppressed = time.Now(), 0
}

// remember queues keys to be deleted.
func (h *health) remember(keys []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range keys {
		h.queued++
		h.pending[k] = h.queued
	}
}

// pendingKeys returns the queued keys and the queueing numbers they had.
func (h *health) pendingKeys() map[string]uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.pending)
}

// forget drops deleted keys, unless one was queued again meanwhile: that
// queueing's change may have committed after the delete.
func (h *health) forget(deleted map[string]uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, n := range deleted {
		if h.pending[k] == n {
			delete(h.pending, k)
		}
	}
}
