package gateway_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/cache"
	"github.com/opencrm/opencrm/pkg/testenv"
)

func TestBadTokensAreRefusedBeforeAnySubgraphIsCalled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	expired := expiredToken(t, b.Issuer, b.User)
	otherKeys, err := auth.ParseKeySet(auth.GenerateKeySpec("k1")) // same kid, another key
	require.NoError(t, err)
	forged, _, err := (&auth.Issuer{Keys: otherKeys, Issuer: "opencrm", Audience: "opencrm-api"}).Issue(b.User)
	require.NoError(t, err)
	wrongAudience, _, err := (&auth.Issuer{Keys: otherKeys, Issuer: "opencrm", Audience: "elsewhere"}).Issue(b.User)
	require.NoError(t, err)

	for name, authorization := range map[string]string{
		"expired":        bearer(expired),
		"forged":         bearer(forged),
		"wrong audience": bearer(wrongAudience),
		"garbage":        bearer("not.a.token"),
		"not bearer":     "Basic dXNlcjpwYXNz",
		"no token":       "",
	} {
		r := b.query(t, `{ me { email tenant { name } } }`, "Authorization", authorization)
		assert.Equal(t, http.StatusUnauthorized, r.Status, name)
		assert.Equal(t, "UNAUTHENTICATED", r.code(), name)
	}
	assert.Zero(t, b.subgraphCalls(), "no subgraph hears of a request with a bad token")
}

func TestARevokedTokenIsRefusedBeforeAnySubgraphIsCalled(t *testing.T) {
	t.Parallel()
	c, err := cache.New(cache.Config{URL: testenv.RedisURL()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	rev := &auth.Revocations{Cache: c}
	b := setup(t, func(cfg *gateway.Config) { cfg.Revocations = rev })
	tok := b.token(t)
	const me = `{ me { email } }`
	require.Empty(t, b.query(t, me, "Authorization", bearer(tok)).Body.Errors, "verified and remembered")
	calls := b.subgraphCalls()

	require.NoError(t, rev.Revoke(context.Background(), b.User.TenantID, b.User.UserID))
	r := b.query(t, me, "Authorization", bearer(tok))
	assert.Equal(t, http.StatusUnauthorized, r.Status)
	assert.Equal(t, "UNAUTHENTICATED", r.code())
	assert.Contains(t, r.Body.Errors[0].Message, "signed out")
	assert.Equal(t, calls, b.subgraphCalls(), "no subgraph hears of a revoked token")

	time.Sleep(2 * time.Millisecond) // issue times are in milliseconds
	r = b.query(t, me, "Authorization", bearer(b.token(t)))
	assert.Empty(t, r.Body.Errors, "a token issued after the revocation works: %s", r.Raw)
}

func TestAnExpiredTokenSaysSo(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.query(t, `{ me { id } }`, "Authorization", bearer(expiredToken(t, b.Issuer, b.User)))
	assert.Contains(t, r.Body.Errors[0].Message, "expired")
}

func TestPublicOperationsPassWithoutAToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, q := range []string{
		`mutation { login(input: {subdomain: "t1", email: "a@b.co", password: "pw"}) { accessToken } }`,
		`mutation { refreshToken(input: {refreshToken: "r"}) { accessToken } }`,
		`mutation { requestPasswordReset(input: {subdomain: "t1", email: "a@b.co"}) }`,
		`query { tenantBySubdomain(subdomain: "t1") { name } }`,
		`query { __typename tenantBySubdomain(subdomain: "t1") { name } }`,
		`query Anything { ... on Query { tenantBySubdomain(subdomain: "t1") { name } } }`,
	} {
		r := b.query(t, q)
		assert.Equal(t, http.StatusOK, r.Status, q)
		assert.Empty(t, r.Body.Errors, "%s: %s", q, r.Raw)
	}
}

func TestAPublicOperationIgnoresABadTokenAndDoesNotForwardIt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.query(t, `mutation { refreshToken(input: {refreshToken: "r"}) { accessToken } }`, "Authorization", bearer("expired.or.garbage"))
	require.Empty(t, r.Body.Errors, r.Raw)
	calls := b.Identity.Requests()
	require.Len(t, calls, 1)
	assert.Empty(t, calls[0].Header.Get("Authorization"))
}

func TestPublicIsDecidedByTheRootFieldsNotTheOperationName(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, q := range []string{
		`query login { me { email } }`,
		`mutation signUp { logout(input: {refreshToken: "r"}) }`,
		`mutation { login(input: {subdomain: "t1", email: "a@b.co", password: "pw"}) { accessToken } logout(input: {refreshToken: "r"}) }`,
		`query { tenantBySubdomain(subdomain: "t1") { name } ...F } fragment F on Query { me { email } }`,
		`query { login: me { email } }`,
	} {
		r := b.query(t, q)
		assert.Equal(t, "UNAUTHENTICATED", r.code(), q)
	}
	assert.Zero(t, b.subgraphCalls())
}

func TestAValidTokenIsForwardedToEverySubgraph(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.token(t)
	r := b.query(t, `{ me { email tenant { name } } }`, "Authorization", bearer(tok))
	require.Empty(t, r.Body.Errors, r.Raw)
	for _, c := range append(b.Identity.Requests(), b.Tenant.Requests()...) {
		assert.Equal(t, bearer(tok), c.Header.Get("Authorization"))
	}
}
