package identity_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

const apiKeyFields = `id name prefix role scopes createdBy { id email } createdAt lastUsedAt expiresAt revokedAt`

type apiKey struct {
	ID, Name, Prefix, Role string
	Scopes                 []string
	CreatedBy              struct{ ID, Email string }
	CreatedAt              string
	LastUsedAt, ExpiresAt  *string
	RevokedAt              *string
}

type createdKey struct {
	APIKey apiKey
	Secret string
}

func (o *org) createKey(t *testing.T, token string, in map[string]any) subgraphstest.Response {
	t.Helper()
	return subgraphstest.Do(t, o.identity(), token, `mutation($in: CreateApiKeyInput!) { createApiKey(input: $in) { apiKey { `+apiKeyFields+` } secret } }`,
		map[string]any{"in": in})
}

func (o *org) newKey(t *testing.T, role string, scopes ...string) createdKey {
	t.Helper()
	var out struct{ CreateAPIKey createdKey }
	o.createKey(t, o.access, map[string]any{"name": "sync " + role, "role": role, "scopes": scopes}).Decode(t, &out)
	return out.CreateAPIKey
}

func (o *org) exchange(t *testing.T, key string) (auth.APIKeyToken, error) {
	t.Helper()
	x := &auth.APIKeyExchange{URL: strings.TrimSuffix(o.identity(), "/graphql") + auth.APIKeyTokenPath}
	return x.Exchange(context.Background(), key)
}

func TestAdminsCreateListAndRevokeAPIKeysWhoseSecretIsShownOnce(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	exp := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	var out struct{ CreateAPIKey createdKey }
	o.createKey(t, o.access, map[string]any{"name": "  Zapier  ", "role": "SALES_REP",
		"scopes": []string{"DEALS_READ", "CONTACTS_WRITE", "DEALS_READ"}, "expiresAt": exp.Format(time.RFC3339)}).Decode(t, &out)
	first := out.CreateAPIKey
	assert.True(t, strings.HasPrefix(first.Secret, "crm_live_"), first.Secret)
	assert.True(t, strings.HasPrefix(first.Secret, first.APIKey.Prefix), "the prefix is how the key starts")
	assert.Len(t, first.APIKey.Prefix, len("crm_live_")+8)
	assert.Equal(t, "Zapier", first.APIKey.Name)
	assert.Equal(t, "SALES_REP", first.APIKey.Role)
	assert.Equal(t, []string{"CONTACTS_WRITE", "DEALS_READ"}, first.APIKey.Scopes, "in order, each once")
	assert.Equal(t, o.adminID, first.APIKey.CreatedBy.ID)
	require.NotNil(t, first.APIKey.ExpiresAt)
	assert.Equal(t, exp.Format(time.RFC3339), *first.APIKey.ExpiresAt)
	assert.Nil(t, first.APIKey.LastUsedAt)
	assert.Nil(t, first.APIKey.RevokedAt)
	second := o.newKey(t, "VIEWER", "USERS_READ")

	list := `query($after: String) { apiKeys(first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { ` + apiKeyFields + ` } } } }`
	type page struct {
		APIKeys struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
			Edges []struct{ Node apiKey }
		}
	}
	var p1, p2 page
	subgraphstest.Do(t, o.identity(), o.access, list, nil).Decode(t, &p1)
	assert.Equal(t, 2, p1.APIKeys.TotalCount)
	require.Len(t, p1.APIKeys.Edges, 1)
	assert.Equal(t, second.APIKey.ID, p1.APIKeys.Edges[0].Node.ID, "newest first")
	assert.True(t, p1.APIKeys.PageInfo.HasNextPage)
	subgraphstest.Do(t, o.identity(), o.access, list, map[string]any{"after": p1.APIKeys.PageInfo.EndCursor}).Decode(t, &p2)
	require.Len(t, p2.APIKeys.Edges, 1)
	assert.Equal(t, first.APIKey, p2.APIKeys.Edges[0].Node, "listed as created, without its secret")
	assert.False(t, p2.APIKeys.PageInfo.HasNextPage)
	r := subgraphstest.Do(t, o.identity(), o.access, `{ apiKeys { edges { node { secret } } } }`, nil)
	assert.NotEmpty(t, r.Errors, "no field gives a secret back")

	revoke := `mutation($id: ID!) { revokeApiKey(id: $id) { ` + apiKeyFields + ` } }`
	var rev1, rev2 struct {
		RevokeAPIKey apiKey
	}
	subgraphstest.Do(t, o.identity(), o.access, revoke, map[string]any{"id": first.APIKey.ID}).Decode(t, &rev1)
	require.NotNil(t, rev1.RevokeAPIKey.RevokedAt)
	subgraphstest.Do(t, o.identity(), o.access, revoke, map[string]any{"id": first.APIKey.ID}).Decode(t, &rev2)
	assert.Equal(t, rev1.RevokeAPIKey, rev2.RevokeAPIKey, "revoking again changes nothing")
	assert.Equal(t, "NOT_FOUND", subgraphstest.Do(t, o.identity(), o.access, revoke, map[string]any{"id": tenancy.NewID()}).Code())

	other := signUp(t, o.c)
	assert.Equal(t, "NOT_FOUND", subgraphstest.Do(t, other.identity(), other.access, revoke, map[string]any{"id": second.APIKey.ID}).Code(),
		"another organisation's key is not found")
	var theirs page
	subgraphstest.Do(t, other.identity(), other.access, list, nil).Decode(t, &theirs)
	assert.Zero(t, theirs.APIKeys.TotalCount)
}

func TestOnlyAdminsSignedInAsPeopleManageAPIKeysAndBadInputNamesTheField(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	good := map[string]any{"name": "n", "role": "VIEWER", "scopes": []string{"CONTACTS_READ"}}
	with := func(k string, v any) map[string]any {
		in := map[string]any{}
		for key, val := range good {
			in[key] = val
		}
		in[k] = v
		return in
	}
	for field, in := range map[string]map[string]any{
		"input.name":      with("name", "  "),
		"input.scopes":    with("scopes", []string{}),
		"input.expiresAt": with("expiresAt", time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)),
	} {
		r := o.createKey(t, o.access, in)
		assert.Equal(t, "BAD_USER_INPUT", r.Code(), field)
		assert.Equal(t, field, r.Field())
	}
	assert.NotEmpty(t, o.createKey(t, o.access, with("scopes", []string{"CONTACTS_DELETE"})).Errors, "an unknown scope")
	assert.NotEmpty(t, o.createKey(t, o.access, with("role", "OWNER")).Errors, "an unknown role")

	manager := o.member(t, "m@acme.example.com", "MANAGER")
	assert.Equal(t, "FORBIDDEN", o.createKey(t, manager.AccessToken, good).Code())
	assert.Equal(t, "FORBIDDEN", subgraphstest.Do(t, o.identity(), manager.AccessToken, `{ apiKeys { totalCount } }`, nil).Code())
	assert.Equal(t, "UNAUTHENTICATED", o.createKey(t, "", good).Code())

	admin := o.newKey(t, "ADMIN", "USERS_WRITE", "USERS_READ")
	tok, err := o.exchange(t, admin.Secret)
	require.NoError(t, err)
	r := o.createKey(t, tok.AccessToken, good)
	assert.Equal(t, "FORBIDDEN", r.Code(), "a key never makes keys, whatever its role and scopes")
	assert.Contains(t, r.Errors[0].Message, "API keys cannot")
	assert.Equal(t, "FORBIDDEN", subgraphstest.Do(t, o.identity(), tok.AccessToken,
		`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, map[string]any{"id": admin.APIKey.ID}).Code())
	assert.Equal(t, "FORBIDDEN", subgraphstest.Do(t, o.identity(), tok.AccessToken,
		`mutation { changePassword(input: {currentPassword: "`+password+`", newPassword: "another good pass"}) }`, nil).Code(),
		"a key has no password")
}

func TestTheExchangeGivesAWorkingKeyAShortTokenOfItsCreatorAndAnyOtherOneAnswer(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	o := signUp(t, c)
	k := o.newKey(t, "MANAGER", "DEALS_WRITE", "CONTACTS_READ")
	tok, err := o.exchange(t, k.Secret)
	require.NoError(t, err)
	assert.Zero(t, tok.RateLimit, "the gateway's default")
	assert.WithinDuration(t, time.Now().Add(auth.APIKeyTokenTTL), tok.ExpiresAt, 10*time.Second)
	id, err := c.Deps.Verifier.Verify(tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, o.adminID, id.UserID, "the key acts as its creator")
	assert.Equal(t, o.tenantID, id.TenantID)
	assert.Equal(t, k.APIKey.ID, id.APIKeyID)
	assert.Equal(t, auth.RoleManager, id.Role)
	assert.Equal(t, auth.NewScopeSet(auth.ScopeDealsWrite, auth.ScopeContactsRead), id.Scopes)

	var listed struct {
		APIKeys struct{ Edges []struct{ Node apiKey } }
	}
	lastUsed := func() string {
		subgraphstest.Do(t, o.identity(), o.access, `{ apiKeys { edges { node { `+apiKeyFields+` } } } }`, nil).Decode(t, &listed)
		require.NotNil(t, listed.APIKeys.Edges[0].Node.LastUsedAt, "the exchange records the use")
		return *listed.APIKeys.Edges[0].Node.LastUsedAt
	}
	used := lastUsed()
	_, err = o.exchange(t, k.Secret)
	require.NoError(t, err)
	assert.Equal(t, used, lastUsed(), "written at most once a minute")

	// The tenant's per-key rate limit comes with the token.
	limit := int32(77)
	_, err = c.DB.SetAPIKeyRateLimit(context.Background(), o.tenantID, &limit)
	require.NoError(t, err)
	tok, err = o.exchange(t, k.Secret)
	require.NoError(t, err)
	assert.EqualValues(t, 77, tok.RateLimit)
	_, err = c.DB.SetAPIKeyRateLimit(context.Background(), o.tenantID, new(int32))
	assert.Equal(t, "BAD_USER_INPUT", string(apperr.CodeOf(err)))

	// Unknown, malformed, revoked, expired, or of a deactivated creator: one answer.
	unknown, _, _ := auth.NewAPIKey(o.tenantID)
	otherTenant, _, _ := auth.NewAPIKey(tenancy.NewID())
	revoked := o.newKey(t, "VIEWER", "CONTACTS_READ")
	subgraphstest.Do(t, o.identity(), o.access, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, map[string]any{"id": revoked.APIKey.ID}).Decode(t, &struct{}{})
	expired := o.newKey(t, "VIEWER", "CONTACTS_READ")
	require.NoError(t, c.DB.InTenant(context.Background(), o.tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", expired.APIKey.ID)
		return err
	}))
	second := o.member(t, "second-admin@acme.example.com", "ADMIN")
	var secondsKey struct{ CreateAPIKey createdKey }
	o.createKey(t, second.AccessToken, map[string]any{"name": "theirs", "role": "ADMIN", "scopes": []string{"USERS_READ"}}).Decode(t, &secondsKey)

	// The creator demoted: the key acts with the creator's new role.
	updateRole := `mutation($id: ID!, $r: Role!) { updateUser(id: $id, input: {role: $r}) { role } }`
	subgraphstest.Do(t, o.identity(), o.access, updateRole, map[string]any{"id": second.User.ID, "r": "SALES_REP"}).Decode(t, &struct{}{})
	tok, err = o.exchange(t, secondsKey.CreateAPIKey.Secret)
	require.NoError(t, err)
	id, err = c.Deps.Verifier.Verify(tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, auth.RoleSalesRep, id.Role, "never above its creator's current role")

	subgraphstest.Do(t, o.identity(), o.access, `mutation($id: ID!) { deactivateUser(id: $id) { id } }`, map[string]any{"id": second.User.ID}).Decode(t, &struct{}{})
	for name, key := range map[string]string{
		"unknown": unknown, "of no tenant": otherTenant, "malformed": "crm_live_nope", "revoked": revoked.Secret,
		"expired": expired.Secret, "of a deactivated creator": secondsKey.CreateAPIKey.Secret,
	} {
		_, err := o.exchange(t, key)
		assert.Equal(t, auth.InvalidAPIKey(), err, name)
	}

	_, err = c.DB.SetStatus(context.Background(), o.tenantID, tenancy.StatusSuspended)
	require.NoError(t, err)
	_, err = o.exchange(t, k.Secret)
	assert.Equal(t, apperr.TenantSuspended, apperr.CodeOf(err))
}
