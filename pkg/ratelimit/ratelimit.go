// Package ratelimit counts events in fixed windows in Redis: login failures
// per address, requests per tenant. When Redis is unreachable it allows
// everything (and says so in the log at most once a minute): a cache outage
// must not become an outage.
package ratelimit

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Limiter counts in Redis.
type Limiter struct {
	Redis   *redis.Client // nil disables limiting
	lastLog atomic.Int64
}

// Result says where a key stands in its window.
type Result struct {
	Count     int64         // events counted in the window so far
	Limit     int64         // events allowed in the window
	ResetIn   time.Duration // until the window ends
	Exceeded  bool          // Count > Limit
	Available bool          // false when Redis could not be asked
}

// Remaining is how many more events the window allows.
func (r Result) Remaining() int64 { return max(0, r.Limit-r.Count) }

// Hit counts one event for key and reports the window's state.
func (l *Limiter) Hit(ctx context.Context, key string, limit int64, window time.Duration) Result {
	return l.add(ctx, key, 1, limit, window)
}

// Peek reports the window's state without counting.
func (l *Limiter) Peek(ctx context.Context, key string, limit int64, window time.Duration) Result {
	return l.add(ctx, key, 0, limit, window)
}

// Reset forgets key's window (after a successful login, say).
func (l *Limiter) Reset(ctx context.Context, key string) {
	if l == nil || l.Redis == nil {
		return
	}
	if err := l.Redis.Del(ctx, prefix+key).Err(); err != nil {
		l.warn(err)
	}
}

const prefix = "crm:rl:"

var script = redis.NewScript(`
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {n, redis.call('PTTL', KEYS[1])}`)

func (l *Limiter) add(ctx context.Context, key string, n, limit int64, window time.Duration) Result {
	res := Result{Limit: limit, ResetIn: window}
	if l == nil || l.Redis == nil {
		return res
	}
	ctx, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
	defer cancel()
	out, err := script.Run(ctx, l.Redis, []string{prefix + key}, n, window.Milliseconds()).Int64Slice()
	if err != nil || len(out) != 2 {
		l.warn(err)
		return res
	}
	res.Count, res.Available = out[0], true
	if out[1] > 0 {
		res.ResetIn = time.Duration(out[1]) * time.Millisecond
	}
	res.Exceeded = res.Count > limit
	return res
}

func (l *Limiter) warn(err error) {
	now := time.Now().Unix()
	if last := l.lastLog.Load(); now-last >= 60 && l.lastLog.CompareAndSwap(last, now) {
		slog.Warn("rate limiting unavailable: Redis did not answer; allowing requests", "err", err)
	}
}
