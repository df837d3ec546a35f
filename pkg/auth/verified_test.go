package auth_test

import (
	"context"
	"crypto/ed25519"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/cache"
	"github.com/opencrm/opencrm/pkg/testenv"
)

// countingKeys counts key lookups: one per token parsed and checked.
type countingKeys struct {
	auth.KeySource
	n atomic.Int64
}

func (c *countingKeys) PublicKey(kid string) (ed25519.PublicKey, bool) {
	c.n.Add(1)
	return c.KeySource.PublicKey(kid)
}

func countingPair(t testing.TB, ttl time.Duration) (*auth.Issuer, *auth.Verifier, *countingKeys) {
	iss, ver := pair(keys(t, auth.GenerateKeySpec("k1")))
	ck := &countingKeys{KeySource: ver.Keys}
	ver.Keys, ver.CacheTTL = ck, ttl
	return iss, ver, ck
}

func revocations(t testing.TB) *auth.Revocations {
	c, err := cache.New(cache.Config{URL: testenv.RedisURL()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return &auth.Revocations{Cache: c}
}

// Not parallel, here and below: a revocation in a parallel test would make
// this process forget its verified tokens in the middle of the count.
func TestAuthenticateChecksATokenOncePerInterval(t *testing.T) {
	ctx := context.Background()
	iss, ver, ck := countingPair(t, 200*time.Millisecond)
	want := identity()
	tok, _, err := iss.Issue(want)
	require.NoError(t, err)
	for range 3 {
		got, err := ver.Authenticate(ctx, tok)
		require.NoError(t, err)
		assert.Equal(t, want.UserID, got.UserID)
	}
	assert.EqualValues(t, 1, ck.n.Load(), "verified once, then remembered")
	time.Sleep(250 * time.Millisecond)
	_, err = ver.Authenticate(ctx, tok)
	require.NoError(t, err)
	assert.EqualValues(t, 2, ck.n.Load(), "checked again once the interval is over")

	iss, uncached, ck := countingPair(t, -1)
	tok, _, _ = iss.Issue(want)
	for range 3 {
		_, err := uncached.Authenticate(ctx, tok)
		require.NoError(t, err)
	}
	assert.EqualValues(t, 3, ck.n.Load(), "a negative CacheTTL turns the cache off")
}

func TestAuthenticateRemembersNoRefusedToken(t *testing.T) {
	ctx := context.Background()
	_, ver, ck := countingPair(t, time.Hour)
	otherIss, _ := pair(keys(t, auth.GenerateKeySpec("k1"))) // same kid, other key: forged
	forged, _, _ := otherIss.Issue(identity())
	for range 2 {
		_, err := ver.Authenticate(ctx, forged)
		assert.Equal(t, apperr.Unauthenticated, apperr.CodeOf(err))
	}
	assert.EqualValues(t, 2, ck.n.Load(), "checked every time")
}

func TestAuthenticateRemembersNoTokenPastItsExpiry(t *testing.T) {
	ctx := context.Background()
	iss, ver, ck := countingPair(t, time.Hour)
	// Issued 15 minutes less 300 ms ago: it expires in 300 ms.
	iss.Now = func() time.Time { return time.Now().Add(-auth.AccessTokenTTL + 300*time.Millisecond) }
	tok, _, err := iss.Issue(identity())
	require.NoError(t, err)
	_, err = ver.Authenticate(ctx, tok)
	require.NoError(t, err)
	time.Sleep(400 * time.Millisecond)
	_, _ = ver.Authenticate(ctx, tok) // still valid within the 30 s leeway, but checked again
	assert.EqualValues(t, 2, ck.n.Load())
}

func TestRevocationEndsRememberedTokensAtOnceHereAndWithinTheTTLElsewhere(t *testing.T) {
	ctx := context.Background()
	r := revocations(t)
	iss, ver, _ := countingPair(t, 300*time.Millisecond)
	ver.Revocations = r

	here := identity()
	tok, _, _ := iss.Issue(here)
	_, err := ver.Authenticate(ctx, tok)
	require.NoError(t, err)
	require.NoError(t, r.Revoke(ctx, here.TenantID, here.UserID))
	_, err = ver.Authenticate(ctx, tok)
	assert.Equal(t, apperr.Unauthenticated, apperr.CodeOf(err), "at once in the process that revoked")

	elsewhere := identity()
	tok, _, _ = iss.Issue(elsewhere)
	_, err = ver.Authenticate(ctx, tok)
	require.NoError(t, err)
	require.NoError(t, r.RevokeElsewhere(ctx, elsewhere.TenantID, elsewhere.UserID))
	assert.Eventually(t, func() bool {
		_, err := ver.Authenticate(ctx, tok)
		return apperr.CodeOf(err) == apperr.Unauthenticated
	}, 300*time.Millisecond+time.Second, 20*time.Millisecond, "within the TTL in another process")
	_, err = ver.Authenticate(ctx, tok)
	assert.Equal(t, apperr.Unauthenticated, apperr.CodeOf(err), "a refused token stays refused")
}

// BenchmarkAuthenticate is what a request's token costs a process: uncached
// (the signature and claims, plus a Redis read with revocations) against
// remembered (a SHA-256 and a cache lookup). Run:
//
//	go test ./pkg/auth -run '^$' -bench Authenticate
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	iss, _ := pair(keys(b, auth.GenerateKeySpec("k1")))
	tok, _, _ := iss.Issue(identity())
	r := revocations(b)
	for _, c := range []struct {
		name string
		ttl  time.Duration
		rev  *auth.Revocations
	}{
		{"uncached", -1, nil},
		{"uncached-with-revocations", -1, r},
		{"cached", 0, nil},
		{"cached-with-revocations", 0, r},
	} {
		b.Run(c.name, func(b *testing.B) {
			ver := &auth.Verifier{Keys: iss.Keys, Issuer: iss.Issuer, Audience: iss.Audience, CacheTTL: c.ttl, Revocations: c.rev}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ver.Authenticate(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
