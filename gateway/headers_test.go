package gateway_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOnlyAllowListedHeadersReachSubgraphs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	r := b.query(t, `{ me { email tenant { name } } }`,
		"Authorization", bearer(b.token(t)),
		"X-Request-ID", "req-123",
		"traceparent", traceparent,
		"X-Tenant-ID", "01HZZZZZZZZZZZZZZZZZZZZZZZ",
		"Connection", "keep-alive, X-Secret",
		"X-Secret", "hop-by-hop",
		"Cookie", "session=1",
		"Forwarded", "for=1.2.3.4",
		"X-Forwarded-For", "6.6.6.6",
	)
	require.Empty(t, r.Body.Errors, r.Raw)
	assert.Equal(t, "req-123", r.Header.Get("X-Request-ID"), "the request id is echoed")
	calls := append(b.Identity.Requests(), b.Tenant.Requests()...)
	require.Len(t, calls, 2)
	for _, c := range calls {
		assert.Equal(t, "req-123", c.Header.Get("X-Request-ID"))
		assert.Equal(t, traceparent, c.Header.Get("Traceparent"))
		assert.NotEmpty(t, c.Header.Get("Authorization"))
		assert.Equal(t, "127.0.0.1", c.Header.Get("X-Forwarded-For"), "the address the gateway sees, not the client's claim")
		for _, h := range []string{"X-Tenant-ID", "X-Secret", "Cookie", "Forwarded"} {
			assert.Empty(t, c.Header.Get(h), h)
		}
	}
}

func TestARequestIDIsMadeWhenTheClientSendsNone(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.query(t, `{ tenantBySubdomain(subdomain: "t1") { name } }`, "traceparent", "not-a-traceparent")
	require.Empty(t, r.Body.Errors, r.Raw)
	id := r.Header.Get("X-Request-ID")
	require.NotEmpty(t, id)
	calls := b.Tenant.Requests()
	require.Len(t, calls, 1)
	assert.Equal(t, id, calls[0].Header.Get("X-Request-ID"))
	assert.Empty(t, calls[0].Header.Get("Traceparent"), "a malformed traceparent is dropped")
	assert.Empty(t, calls[0].Header.Get("Authorization"), "no empty Authorization header")
}
