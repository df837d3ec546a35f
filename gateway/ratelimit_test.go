package gateway_test

import (
	"crypto/rand"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

func TestEachClientHasARateLimitWithHeaders(t *testing.T) {
	t.Parallel()
	rdb := testRedis(t)
	b := setup(t, func(c *gateway.Config) {
		c.Redis = rdb
		c.RateLimit = gateway.RateLimit{PerClient: 3, PerTenant: 100, Window: time.Minute}
		c.TrustForwardedFor = true
	})
	ip, otherIP := uniqueIP(), uniqueIP()
	q := `{ tenantBySubdomain(subdomain: "t1") { name } }`
	for want := 2; want >= 0; want-- {
		r := b.query(t, map[string]any{"query": q}, "X-Forwarded-For", "203.0.113.7, "+ip)
		require.Equal(t, http.StatusOK, r.Status, r.Raw)
		assert.Equal(t, "3", r.Header.Get("RateLimit-Limit"))
		assert.Equal(t, strconv.Itoa(want), r.Header.Get("RateLimit-Remaining"))
		reset, err := strconv.Atoi(r.Header.Get("RateLimit-Reset"))
		require.NoError(t, err)
		assert.True(t, reset > 0 && reset <= 60, reset)
	}
	calls := b.subgraphCalls()
	r := b.query(t, map[string]any{"query": q}, "X-Forwarded-For", "203.0.113.7, "+ip)
	assert.Equal(t, http.StatusTooManyRequests, r.Status)
	assert.Equal(t, "TOO_MANY_REQUESTS", r.code())
	assert.NotEmpty(t, r.Header.Get("Retry-After"))
	assert.Equal(t, calls, b.subgraphCalls(), "a limited request reaches no subgraph")

	r = b.query(t, map[string]any{"query": q}, "X-Forwarded-For", otherIP)
	assert.Equal(t, http.StatusOK, r.Status, "another client has its own window")
}

func TestATenantSharesOneRateLimit(t *testing.T) {
	t.Parallel()
	rdb := testRedis(t)
	b := setup(t, func(c *gateway.Config) {
		c.Redis = rdb
		c.RateLimit = gateway.RateLimit{PerClient: 100, PerTenant: 2, Window: time.Minute}
	})
	tenant := tenancy.NewID()
	colleague := func() string {
		tok, _, err := b.Issuer.Issue(auth.Identity{UserID: tenancy.NewID(), TenantID: tenant, Role: auth.RoleViewer, Email: "x@example.com"})
		require.NoError(t, err)
		return bearer(tok)
	}
	for range 2 {
		r := b.query(t, `{ me { email } }`, "Authorization", colleague())
		require.Equal(t, http.StatusOK, r.Status, r.Raw)
	}
	r := b.query(t, `{ me { email } }`, "Authorization", colleague())
	assert.Equal(t, http.StatusTooManyRequests, r.Status, "the third user of the tenant is over its limit")
	assert.Equal(t, "0", r.Header.Get("RateLimit-Remaining"))
	assert.Equal(t, "2", r.Header.Get("RateLimit-Limit"))

	r = b.query(t, `{ me { email } }`, "Authorization", bearer(b.token(t)))
	assert.Equal(t, http.StatusOK, r.Status, "another tenant is not")
}

// uniqueIP is an address no other test uses, so windows in the shared
// Redis never collide.
func uniqueIP() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return net.IP(append([]byte{0xfd, 0, 0, 0, 0, 0, 0, 0}, b[:]...)).String()
}
