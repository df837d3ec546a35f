package gateway

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/opencrm/opencrm/pkg/ratelimit"
)

// limiter applies the per-tenant, per-client and per-API-key rate limits, counted in
// Redis in fixed windows (pkg/ratelimit). Without Redis it allows
// everything and sends no RateLimit-* headers.
type limiter struct {
	counter  *ratelimit.Limiter
	gate     *redisGate
	cfg      RateLimit
	trustXFF bool
}

// check counts the request against its client's and, when signed in, its
// tenant's window; a request with an API key against the key's window only. It sets the RateLimit-* headers of the tighter window and
// refuses the request with TOO_MANY_REQUESTS when either is exhausted.
func (l *limiter) check(ctx context.Context, w http.ResponseWriter, r *http.Request, c caller) *refusal {
	if l.cfg.Disabled || !l.gate.usable() {
		return nil
	}
	client := "ip:" + clientAddr(r, l.trustXFF)
	if c.verified {
		client = "user:" + c.id.TenantID + ":" + c.id.UserID
	}
	windows := []window{{"gw:client:" + client, l.cfg.PerClient}}
	switch {
	case c.verified && c.id.IsAPIKey():
		// A key has its own window, apart from people's (its creator's
		// and the tenant's), with its tenant's limit.
		limit := c.keyLimit
		if limit <= 0 {
			limit = l.cfg.PerAPIKey
		}
		windows = []window{{"gw:key:" + c.id.TenantID + ":" + c.id.APIKeyID, limit}}
	case c.verified:
		windows = append(windows, window{"gw:tenant:" + c.id.TenantID, l.cfg.PerTenant})
	}
	var tightest ratelimit.Result
	for i, win := range windows {
		res := l.counter.Hit(ctx, win.key, win.limit, l.cfg.Window)
		if !res.Available {
			l.gate.failed("rate limit", nil)
			return nil
		}
		if i == 0 || res.Exceeded || (!tightest.Exceeded && res.Remaining() < tightest.Remaining()) {
			tightest = res
		}
	}
	reset := strconv.Itoa(int(math.Ceil(tightest.ResetIn.Seconds())))
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.FormatInt(tightest.Limit, 10))
	h.Set("RateLimit-Remaining", strconv.FormatInt(tightest.Remaining(), 10))
	h.Set("RateLimit-Reset", reset)
	if tightest.Exceeded {
		h.Set("Retry-After", reset)
		return refuse(http.StatusTooManyRequests, codeTooManyRequests,
			fmt.Sprintf("too many requests: at most %d per %s; try again in %s s", tightest.Limit, l.cfg.Window, reset))
	}
	return nil
}

// window is one rate-limit counter and its limit.
type window struct {
	key   string
	limit int64
}

// clientAddr is the address of the caller: the connection's peer, or behind
// a trusted proxy the last X-Forwarded-For entry (the one the proxy added;
// earlier ones are whatever the client claimed).
func clientAddr(r *http.Request, trustXFF bool) string {
	if trustXFF {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			hops := strings.Split(xff[len(xff)-1], ",")
			if ip := net.ParseIP(strings.TrimSpace(hops[len(hops)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
