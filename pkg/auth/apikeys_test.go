package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

func keyIdentity(scopes ...auth.Scope) auth.Identity {
	id := identity()
	id.Role = auth.RoleAdmin
	id.APIKeyID = tenancy.NewID()
	id.Scopes = auth.NewScopeSet(scopes...)
	return id
}

func TestAWriteScopeIncludesReadingItsDomainOnly(t *testing.T) {
	t.Parallel()
	set := auth.NewScopeSet(auth.ScopeContactsWrite, auth.ScopeDealsRead)
	assert.True(t, set.Has(auth.DomainContacts, auth.Read))
	assert.True(t, set.Has(auth.DomainContacts, auth.Write))
	assert.True(t, set.Has(auth.DomainDeals, auth.Read))
	assert.False(t, set.Has(auth.DomainDeals, auth.Write), "read does not include write")
	assert.False(t, set.Has(auth.DomainActivities, auth.Read))
	assert.False(t, set.Has(auth.DomainUsers, auth.Read))
	assert.Equal(t, []auth.Scope{auth.ScopeContactsWrite, auth.ScopeDealsRead},
		auth.NewScopeSet(auth.ScopeDealsRead, auth.ScopeContactsWrite, auth.ScopeDealsRead).List(), "in order, each once")
	assert.Zero(t, auth.NewScopeSet("contacts:delete"), "an unknown scope is no scope")
	assert.False(t, auth.Scope("contacts:delete").Valid())
	assert.Equal(t, "ACTIVITIES_WRITE", auth.ScopeActivitiesWrite.Name())
	assert.Len(t, auth.AllScopes, 10)
}

func TestAPIKeysAreRecognisableRouteToTheirTenantAndAreStoredHashed(t *testing.T) {
	t.Parallel()
	tenant := tenancy.NewID()
	key, shown, hash := auth.NewAPIKey(tenant)
	assert.True(t, strings.HasPrefix(key, "crm_live_"), key)
	assert.True(t, auth.IsAPIKey(key))
	assert.True(t, strings.HasPrefix(key, shown))
	assert.Len(t, shown, len("crm_live_")+8)
	assert.NotContains(t, string(hash), key)
	got, gotHash, ok := auth.ParseAPIKey(key)
	require.True(t, ok)
	assert.Equal(t, tenant, got)
	assert.Equal(t, hash, gotHash)
	assert.Equal(t, auth.HashToken(key), hash, "SHA-256 of the whole key")

	other, _, _ := auth.NewAPIKey(tenant)
	assert.NotEqual(t, key, other)
	for name, bad := range map[string]string{
		"short":          key[:len(key)-1],
		"long":           key + "a",
		"no prefix":      "crm_test_" + key[9:],
		"upper case":     strings.ToUpper(key[:9]) + key[9:],
		"tenant garbled": key[:len(key)-26] + strings.Repeat("z", 26),
		"secret garbled": key[:9] + strings.Repeat("1", 52) + key[9+52:],
		"empty":          "",
	} {
		_, _, ok := auth.ParseAPIKey(bad)
		assert.False(t, ok, name)
	}
}

func TestAKeyTokenCarriesTheKeyAndItsScopesAndAPersonsNone(t *testing.T) {
	t.Parallel()
	iss, ver := pair(keys(t, auth.GenerateKeySpec("k1")))
	want := keyIdentity(auth.ScopeDealsWrite, auth.ScopeUsersRead)
	tok, exp, err := iss.IssueFor(want, auth.APIKeyTokenTTL)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(5*time.Minute), exp, 5*time.Second)
	got, err := ver.Verify(tok)
	require.NoError(t, err)
	got.IssuedAt = time.Time{}
	assert.Equal(t, want, got)
	assert.True(t, got.IsAPIKey())

	person, _, err := iss.Issue(identity())
	require.NoError(t, err)
	got, err = ver.Verify(person)
	require.NoError(t, err)
	assert.False(t, got.IsAPIKey())
	assert.Zero(t, got.Scopes)
}

// The scope check of every permission check: the domain comes from the
// subgraph serving the request, the access from the permission and from the
// operation (a mutation writes).
func TestAKeyMayDoWhatItsRoleAndItsScopesAllow(t *testing.T) {
	t.Parallel()
	in := func(id auth.Identity, d auth.Domain, mutation bool) context.Context {
		ctx := auth.WithDomain(auth.WithIdentity(context.Background(), id), d)
		if mutation {
			ctx = auth.WithAccess(ctx, auth.Write)
		}
		return ctx
	}
	reader := keyIdentity(auth.ScopeContactsRead)
	writer := keyIdentity(auth.ScopeContactsWrite)
	viewer := keyIdentity(auth.ScopeContactsWrite)
	viewer.Role = auth.RoleViewer
	cases := []struct {
		name     string
		ctx      context.Context
		perm     auth.Permission // "" checks Caller only
		code     apperr.Code
		scope    string
		describe string
	}{
		{"read with a read scope", in(reader, auth.DomainContacts, false), auth.ReadCRM, "", "", ""},
		{"write with a read scope", in(reader, auth.DomainContacts, true), auth.CreateCRM, apperr.Forbidden, "CONTACTS_WRITE", ""},
		{"Caller in a mutation with a read scope", in(reader, auth.DomainContacts, true), "", apperr.Forbidden, "CONTACTS_WRITE", "a write path that checks no permission still needs the write scope"},
		{"read in a mutation with a read scope", in(reader, auth.DomainContacts, true), auth.ReadCRM, apperr.Forbidden, "CONTACTS_WRITE", ""},
		{"Caller in a query with a read scope", in(reader, auth.DomainContacts, false), "", "", "", ""},
		{"read another domain", in(writer, auth.DomainDeals, false), auth.ReadCRM, apperr.Forbidden, "DEALS_READ", ""},
		{"write with a write scope", in(writer, auth.DomainContacts, true), auth.WriteAnyCRM, "", "", ""},
		{"read with a write scope", in(writer, auth.DomainContacts, false), auth.ReadCRM, "", "", ""},
		{"write beyond the key's role", in(viewer, auth.DomainContacts, true), auth.CreateCRM, apperr.Forbidden, "", ""},
		{"a path of no domain", in(writer, "", false), auth.ReadCRM, apperr.Forbidden, "", "fail closed"},
		{"manage API keys", in(keyIdentity(auth.ScopeUsersWrite), auth.DomainUsers, true), auth.ManageAPIKeys, apperr.Forbidden, "", "keys never make keys"},
		{"a person is not limited by scopes", in(identity(), "", true), auth.CreateCRM, "", "", ""},
	}
	for _, c := range cases {
		var err error
		if c.perm == "" {
			_, err = auth.Caller(c.ctx)
		} else {
			_, err = auth.Require(c.ctx, c.perm)
		}
		assert.Equal(t, c.code, apperr.CodeOf(err), "%s %s", c.name, c.describe)
		if e, ok := apperr.As(err); ok {
			assert.Equal(t, c.scope, e.Scope, c.name)
			if c.scope != "" {
				assert.Contains(t, e.Message, c.scope, "the message names the missing scope")
			}
		}
	}
	_, err := auth.Person(in(writer, auth.DomainUsers, true))
	assert.Equal(t, apperr.Forbidden, apperr.CodeOf(err), "keys have no password or sessions")
	_, err = auth.Person(in(identity(), auth.DomainUsers, true))
	assert.NoError(t, err)
}

func TestAKeysRoleIsNeverAboveItsCreators(t *testing.T) {
	t.Parallel()
	assert.True(t, auth.RoleViewer.AtMost(auth.RoleAdmin))
	assert.True(t, auth.RoleManager.AtMost(auth.RoleManager))
	assert.False(t, auth.RoleAdmin.AtMost(auth.RoleManager))
	assert.False(t, auth.RoleManager.AtMost(auth.RoleSalesRep))
	assert.False(t, auth.Role("root").AtMost(auth.RoleAdmin))
	assert.Equal(t, auth.RoleSalesRep, auth.RoleAdmin.Lesser(auth.RoleSalesRep))
	assert.Equal(t, auth.RoleViewer, auth.RoleViewer.Lesser(auth.RoleManager))
}

func TestASubgraphRefusesARawAPIKey(t *testing.T) {
	t.Parallel()
	_, ver := pair(keys(t, auth.GenerateKeySpec("k1")))
	key, _, _ := auth.NewAPIKey(tenancy.NewID())
	var err error
	h := auth.Middleware(ver, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, err = auth.Caller(r.Context())
		assert.Empty(t, auth.BearerToken(r.Context()), "a key is never passed on")
	}))
	req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	h.ServeHTTP(httptest.NewRecorder(), req)
	assert.Equal(t, apperr.Unauthenticated, apperr.CodeOf(err))
	assert.Contains(t, err.Error(), "gateway only")
}

func TestTheExchangeAnswersATokenOrOneRefusal(t *testing.T) {
	t.Parallel()
	iss, ver := pair(keys(t, auth.GenerateKeySpec("k1")))
	good, _, _ := auth.NewAPIKey(tenancy.NewID())
	suspended, _, _ := auth.NewAPIKey(tenancy.NewID())
	broken, _, _ := auth.NewAPIKey(tenancy.NewID())
	want := keyIdentity(auth.ScopeContactsRead)
	srv := httptest.NewServer(auth.APIKeyTokenHandler(func(_ context.Context, key string) (auth.APIKeyToken, error) {
		switch key {
		case good:
			tok, exp, err := iss.IssueFor(want, auth.APIKeyTokenTTL)
			return auth.APIKeyToken{AccessToken: tok, ExpiresAt: exp, RateLimit: 42}, err
		case suspended:
			return auth.APIKeyToken{}, apperr.E(apperr.TenantSuspended, "suspended")
		case broken:
			return auth.APIKeyToken{}, context.DeadlineExceeded // not coded: internal
		}
		return auth.APIKeyToken{}, auth.InvalidAPIKey()
	}, nil))
	t.Cleanup(srv.Close)
	x := &auth.APIKeyExchange{URL: srv.URL}
	ctx := context.Background()

	tok, err := x.Exchange(ctx, good)
	require.NoError(t, err)
	assert.EqualValues(t, 42, tok.RateLimit)
	got, err := ver.Verify(tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, want.APIKeyID, got.APIKeyID)

	unknown, _, _ := auth.NewAPIKey(tenancy.NewID())
	_, err = x.Exchange(ctx, unknown)
	assert.Equal(t, auth.InvalidAPIKey(), err)
	_, err = x.Exchange(ctx, suspended)
	assert.Equal(t, apperr.TenantSuspended, apperr.CodeOf(err))
	_, err = x.Exchange(ctx, broken)
	assert.ErrorIs(t, err, auth.ErrExchangeUnavailable)
	assert.NotContains(t, err.Error(), "deadline", "an internal error stays in the exchange's log")

	srv.Close()
	_, err = x.Exchange(ctx, good)
	assert.ErrorIs(t, err, auth.ErrExchangeUnavailable, "down: try again, the key may be fine")
}

// Not parallel: a revocation makes this process forget its verified tokens.
func TestARevokedKeysTokensAreRefusedAtOnceHereAndWithin5sElsewhere(t *testing.T) {
	ctx := context.Background()
	r := revocations(t)
	iss, ver, _ := countingPair(t, 0) // DefaultCacheTTL, 5 s
	now := time.Now()
	ver.Clock = func() time.Time { return now }
	ver.Revocations = r

	here := keyIdentity(auth.ScopeContactsRead)
	tok, _, _ := iss.IssueFor(here, auth.APIKeyTokenTTL)
	_, err := ver.Authenticate(ctx, tok)
	require.NoError(t, err)
	require.NoError(t, r.RevokeAPIKey(ctx, here.TenantID, here.APIKeyID))
	_, err = ver.Authenticate(ctx, tok)
	assert.Equal(t, apperr.Unauthenticated, apperr.CodeOf(err), "at once in the process that revoked")

	elsewhere := keyIdentity(auth.ScopeContactsRead)
	tok, _, _ = iss.IssueFor(elsewhere, auth.APIKeyTokenTTL)
	sameCreator := elsewhere
	sameCreator.APIKeyID = tenancy.NewID()
	other, _, _ := iss.IssueFor(sameCreator, auth.APIKeyTokenTTL)
	for _, tk := range []string{tok, other} {
		_, err = ver.Authenticate(ctx, tk)
		require.NoError(t, err)
	}
	require.NoError(t, r.RevokeAPIKeyElsewhere(ctx, elsewhere.TenantID, elsewhere.APIKeyID))
	now = now.Add(auth.DefaultCacheTTL - time.Millisecond)
	_, err = ver.Authenticate(ctx, tok)
	assert.NoError(t, err, "remembered for up to 5 s")
	now = now.Add(time.Millisecond)
	_, err = ver.Authenticate(ctx, tok)
	assert.Equal(t, apperr.Unauthenticated, apperr.CodeOf(err), "refused once 5 s have passed")
	_, err = ver.Authenticate(ctx, other)
	assert.NoError(t, err, "another key of the same creator still works")
}
