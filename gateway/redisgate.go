package gateway

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisGate lets the gateway use Redis while it answers and stop asking for
// a while once it fails, so a Redis outage costs each request nothing
// instead of a timeout. It logs a failure at most once a minute.
type redisGate struct {
	client    *redis.Client // nil: Redis is not configured
	log       *slog.Logger
	downUntil atomic.Int64 // unix nanoseconds
	lastLog   atomic.Int64 // unix seconds
}

const (
	redisTimeout  = 250 * time.Millisecond // one Redis call
	redisBackoff  = 5 * time.Second        // no calls after a failure
	redisLogEvery = 60                     // seconds between failure logs
)

// usable says whether Redis should be asked now.
func (g *redisGate) usable() bool {
	return g.client != nil && time.Now().UnixNano() >= g.downUntil.Load()
}

// failed records that Redis did not answer.
func (g *redisGate) failed(what string, err error) {
	g.downUntil.Store(time.Now().Add(redisBackoff).UnixNano())
	now := time.Now().Unix()
	if last := g.lastLog.Load(); now-last >= redisLogEvery && g.lastLog.CompareAndSwap(last, now) {
		g.log.Warn("gateway: Redis unavailable; persisted queries stay in memory and rate limits are off until it answers",
			"during", what, "err", err)
	}
}

// ctx bounds one Redis call.
func (g *redisGate) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(parent), redisTimeout)
}
