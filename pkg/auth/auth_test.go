package auth_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/cache"
	"github.com/opencrm/opencrm/pkg/logging"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
)

func keys(t testing.TB, specs ...string) *auth.KeySet {
	ks, err := auth.ParseKeySet(strings.Join(specs, ","))
	require.NoError(t, err)
	return ks
}

func identity() auth.Identity {
	return auth.Identity{UserID: tenancy.NewID(), TenantID: tenancy.NewID(), Email: "a@b.co", Role: auth.RoleManager}
}

func pair(ks *auth.KeySet) (*auth.Issuer, *auth.Verifier) {
	return &auth.Issuer{Keys: ks, Issuer: "opencrm", Audience: "opencrm-api"},
		&auth.Verifier{Keys: ks, Issuer: "opencrm", Audience: "opencrm-api"}
}

func TestIssuedTokenVerifiesToTheSameIdentity(t *testing.T) {
	t.Parallel()
	iss, ver := pair(keys(t, auth.GenerateKeySpec("k1")))
	want := identity()
	tok, exp, err := iss.Issue(want)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(15*time.Minute), exp, 5*time.Second)
	got, err := ver.Verify(tok)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), got.IssuedAt, 5*time.Second)
	got.IssuedAt = time.Time{}
	assert.Equal(t, want, got)
}

func TestVerifierRefusesBadTokens(t *testing.T) {
	t.Parallel()
	ks := keys(t, auth.GenerateKeySpec("k1"))
	iss, ver := pair(ks)
	good, _, err := iss.Issue(identity())
	require.NoError(t, err)

	expiredIss := *iss
	expiredIss.Now = func() time.Time { return time.Now().Add(-time.Hour) }
	expired, _, _ := expiredIss.Issue(identity())

	otherIss, _ := pair(keys(t, auth.GenerateKeySpec("k1"))) // same kid, other key: forged
	forged, _, _ := otherIss.Issue(identity())

	wrongAud := *iss
	wrongAud.Audience = "someone-else"
	aud, _, _ := wrongAud.Issue(identity())

	// alg=none and HS256 signed with the public key are classic attacks.
	none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "x", "tid": tenancy.NewID(), "role": "admin"}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	pub, _ := ks.PublicKey("k1")
	hs, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "x", "tid": tenancy.NewID(), "role": "admin",
		"iss": "opencrm", "aud": "opencrm-api", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte(pub))

	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + strings.TrimRight(parts[1], "=") + "x." + parts[2]

	for name, tok := range map[string]string{
		"expired": expired, "forged": forged, "wrong audience": aud, "alg none": none,
		"hs256 with public key": hs, "tampered": tampered, "garbage": "abc", "empty": "",
	} {
		_, err := ver.Verify(tok)
		assert.Equal(t, apperr.Unauthenticated, apperr.CodeOf(err), name)
	}
}

func TestRotationKeepsOldTokensValid(t *testing.T) {
	t.Parallel()
	old := auth.GenerateKeySpec("2026-01")
	oldIss, _ := pair(keys(t, old))
	tok, _, err := oldIss.Issue(identity())
	require.NoError(t, err)

	rotated := keys(t, auth.GenerateKeySpec("2026-02"), old)
	newIss, ver := pair(rotated)
	_, err = ver.Verify(tok)
	assert.NoError(t, err, "a token of the previous key still verifies")
	tok2, _, _ := newIss.Issue(identity())
	_, err = ver.Verify(tok2)
	assert.NoError(t, err)
	assert.Len(t, rotated.JWKS().Keys, 2)
}

func TestRemoteKeysFetchesJWKSAndRefetchesOnUnknownKid(t *testing.T) {
	t.Parallel()
	current := keys(t, auth.GenerateKeySpec("a"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.JWKSHandler(current).ServeHTTP(w, r)
	}))
	defer srv.Close()
	remote := auth.NewRemoteKeys(srv.URL)
	remote.MinRefresh = 0
	iss, _ := pair(current)
	ver := &auth.Verifier{Keys: remote, Issuer: "opencrm", Audience: "opencrm-api"}
	tok, _, _ := iss.Issue(identity())
	_, err := ver.Verify(tok)
	require.NoError(t, err)

	current = keys(t, auth.GenerateKeySpec("b"))
	iss, _ = pair(current)
	tok, _, _ = iss.Issue(identity())
	_, err = ver.Verify(tok)
	assert.NoError(t, err, "a new kid triggers a refetch")
}

func TestParseKeySetRejectsMalformedSpecs(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"", "nokid", "k:notbase64!", "k:AAAA", auth.GenerateKeySpec("k") + "," + auth.GenerateKeySpec("k")} {
		_, err := auth.ParseKeySet(spec)
		assert.Error(t, err, spec)
	}
}

func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	all := []auth.Permission{auth.ManageTenant, auth.ManageUsers, auth.ReadUsers, auth.ReadCRM, auth.CreateCRM, auth.WriteAnyCRM, auth.WriteOwnCRM, auth.ManageSettings, auth.ManageAPIKeys,
		auth.ReadWebhooks, auth.ManageWebhooks}
	want := map[auth.Role]string{
		//                 tenant users readU read create any own settings apikeys readW manageW
		auth.RoleAdmin:    "11111111111",
		auth.RoleManager:  "00111111000",
		auth.RoleSalesRep: "00111010000",
		auth.RoleViewer:   "00110000000",
	}
	for role, row := range want {
		for i, p := range all {
			assert.Equal(t, row[i] == '1', role.Can(p), "%s %s", role, p)
		}
	}
	assert.False(t, auth.Role("root").Can(auth.ReadCRM))
}

func TestRequireSaysWhyCallerIsRefused(t *testing.T) {
	t.Parallel()
	_, err := auth.Require(context.Background(), auth.ReadCRM)
	assert.Equal(t, apperr.Unauthenticated, apperr.CodeOf(err))
	ctx := auth.WithIdentity(context.Background(), auth.Identity{Role: auth.RoleViewer})
	_, err = auth.Require(ctx, auth.CreateCRM)
	assert.Equal(t, apperr.Forbidden, apperr.CodeOf(err))
	_, err = auth.Require(ctx, auth.ReadCRM)
	assert.NoError(t, err)
}

func TestPasswordHashing(t *testing.T) {
	t.Parallel()
	h := auth.HashPassword("correct horse 1")
	assert.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$"))
	assert.True(t, auth.PasswordMatches(h, "correct horse 1"))
	assert.False(t, auth.PasswordMatches(h, "correct horse 2"))
	assert.False(t, auth.PasswordMatches("", "anything"))
	assert.NotEqual(t, h, auth.HashPassword("correct horse 1"), "salted")
}

func TestPasswordRule(t *testing.T) {
	t.Parallel()
	for _, weak := range []string{"short1", "onlyletterslong", "1234567890", strings.Repeat("a1", 65)} {
		err := auth.CheckPassword("input.password", weak)
		e, ok := apperr.As(err)
		require.True(t, ok, weak)
		assert.Equal(t, "input.password", e.Field)
		assert.Contains(t, e.Message, auth.PasswordRule)
	}
	assert.NoError(t, auth.CheckPassword("p", "a-long-enough pass 9"))
}

func TestOpaqueTokensRouteToTheirTenantAndHash(t *testing.T) {
	t.Parallel()
	tid := tenancy.NewID()
	tok, hash := auth.NewOpaqueToken(tid)
	gotTenant, gotHash, err := auth.ParseOpaqueToken("f", tok)
	require.NoError(t, err)
	assert.Equal(t, tid, gotTenant)
	assert.Equal(t, hash, gotHash)
	for _, bad := range []string{"", "x.y", tid, tid + ".short", "../" + tok} {
		_, _, err := auth.ParseOpaqueToken("f", bad)
		assert.Equal(t, apperr.BadUserInput, apperr.CodeOf(err), bad)
	}
}

func BenchmarkVerify(b *testing.B) {
	iss, ver := pair(keys(b, auth.GenerateKeySpec("k1")))
	tok, _, _ := iss.Issue(identity())
	for b.Loop() {
		if _, err := ver.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEd25519VerifyOnly(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := []byte("header.payload")
	sig := ed25519.Sign(priv, msg)
	for b.Loop() {
		ed25519.Verify(pub, msg, sig)
	}
}

func TestMiddlewareKeepsTheBearerToken(t *testing.T) {
	t.Parallel()
	iss, ver := pair(keys(t, auth.GenerateKeySpec("k1")))
	good, _, err := iss.Issue(identity())
	require.NoError(t, err)
	tokenOf := func(header string) (token string, verified bool) {
		h := auth.Middleware(ver, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			token = auth.BearerToken(r.Context())
			_, err := auth.Caller(r.Context())
			verified = err == nil
		}))
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		return token, verified
	}
	tok, ok := tokenOf("Bearer " + good)
	assert.Equal(t, good, tok)
	assert.True(t, ok)
	tok, ok = tokenOf("bearer  " + good + " ")
	assert.Equal(t, good, tok, "the scheme is case-insensitive, the token trimmed")
	assert.True(t, ok)
	tok, ok = tokenOf("Bearer not-a-jwt")
	assert.Equal(t, "not-a-jwt", tok, "kept as presented, verified or not")
	assert.False(t, ok)
	tok, _ = tokenOf("")
	assert.Empty(t, tok, "no header, no token")
	tok, _ = tokenOf("Basic dXNlcjpwdw==")
	assert.Empty(t, tok, "another scheme is not a bearer token")
	assert.Empty(t, auth.BearerToken(context.Background()), "outside a request")
	assert.Empty(t, auth.BearerToken(auth.WithIdentity(context.Background(), identity())))
}

func TestRevocationEndsEarlierTokensOnlyAndFailsOpenWithoutRedis(t *testing.T) {
	t.Parallel()
	c, err := cache.New(cache.Config{URL: testenv.RedisURL()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	r := &auth.Revocations{Cache: c}
	iss, ver := pair(keys(t, auth.GenerateKeySpec("k1")))
	id := identity()
	before, _, _ := iss.Issue(id)
	require.NoError(t, r.Revoke(context.Background(), id.TenantID, id.UserID))
	time.Sleep(2 * time.Millisecond)
	after, _, _ := iss.Issue(id)

	check := func(tok string) error {
		got, err := ver.Verify(tok)
		require.NoError(t, err)
		return r.Check(context.Background(), got)
	}
	assert.Equal(t, apperr.Unauthenticated, apperr.CodeOf(check(before)))
	assert.NoError(t, check(after))
	other := identity()
	other.TenantID = id.TenantID
	tok, _, _ := iss.Issue(other)
	assert.NoError(t, check(tok), "another user of the tenant is not affected")

	dead, err := cache.New(cache.Config{URL: "redis://127.0.0.1:1/0"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = dead.Close() })
	got, _ := ver.Verify(before)
	assert.NoError(t, (&auth.Revocations{Cache: dead}).Check(context.Background(), got), "Redis down: tokens live out their 15 minutes")
	var none *auth.Revocations
	assert.NoError(t, none.Check(context.Background(), got))
}

func TestMiddlewareNamesTheTenantInTheRequestsLogs(t *testing.T) {
	t.Parallel()
	iss, ver := pair(keys(t, auth.GenerateKeySpec("k1")))
	id := identity()
	good, _, err := iss.Issue(id)
	require.NoError(t, err)
	tenantOf := func(header string) (tenant string) {
		h := auth.Middleware(ver, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			tenant = logging.TenantID(r.Context())
		}))
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		r.Header.Set("Authorization", header)
		h.ServeHTTP(httptest.NewRecorder(), r)
		return tenant
	}
	assert.Equal(t, id.TenantID, tenantOf("Bearer "+good))
	assert.Empty(t, tenantOf("Bearer not-a-jwt"), "an unverified token names no tenant")
}
