package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// apiKeyOf creates an API key through the gateway as the admin whose token
// is given, and returns its id and secret.
func (e *e2e) apiKeyOf(t testing.TB, admin, role string, scopes ...string) (id, secret string) {
	t.Helper()
	var out struct {
		CreateAPIKey struct {
			APIKey struct{ ID string }
			Secret string
		}
	}
	e.do(t, admin, `mutation($in: CreateApiKeyInput!) { createApiKey(input: $in) { apiKey { id } secret } }`,
		map[string]any{"in": map[string]any{"name": strings.Join(scopes, "+"), "role": role, "scopes": scopes}}).Decode(t, &out)
	return out.CreateAPIKey.APIKey.ID, out.CreateAPIKey.Secret
}

// outcome is how an operation ended: "" without errors, the missing scope
// (CONTACTS_WRITE) of a FORBIDDEN naming one, or the first error's code.
func outcome(r subgraphstest.Response) string {
	if len(r.Errors) == 0 {
		return ""
	}
	if s, _ := r.Errors[0].Extensions["scope"].(string); s != "" && r.Code() == "FORBIDDEN" {
		return s
	}
	return r.Code()
}

// The scope matrix, like the role matrix: a key may do what its role and
// its scopes allow, through every subgraph and every path (a root field, a
// mutation that checks no permission, an entity of another subgraph), and
// a refusal names the missing scope.
func TestAnAPIKeyMayDoWhatItsScopesAllowThroughTheGateway(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	admin := e.signUp(t, "keys-"+strings.ToLower(tenancy.NewID()[18:]))
	var company struct{ CreateCompany struct{ ID string } }
	e.do(t, admin.AccessToken, `mutation { createCompany(input: {name: "Globex"}) { id } }`, nil).Decode(t, &company)
	e.do(t, admin.AccessToken, `mutation($c: ID!) { createDeal(input: {title: "With a company", value: "10", currency: "EUR", companyId: $c}) { id } }`,
		map[string]any{"c": company.CreateCompany.ID}).Decode(t, &struct{}{})

	n := 0
	ops := []struct {
		name string
		run  func(key string) subgraphstest.Response
	}{
		{"read contacts", func(k string) subgraphstest.Response { return e.do(t, k, `{ contacts { totalCount } }`, nil) }},
		{"create a contact", func(k string) subgraphstest.Response {
			return e.do(t, k, `mutation { createContact(input: {firstName: "K", lastName: "C"}) { id } }`, nil)
		}},
		{"read deals", func(k string) subgraphstest.Response { return e.do(t, k, `{ deals { totalCount } }`, nil) }},
		{"create a deal", func(k string) subgraphstest.Response {
			return e.do(t, k, `mutation { createDeal(input: {title: "K", value: "1", currency: "EUR"}) { id } }`, nil)
		}},
		{"a deal's company", func(k string) subgraphstest.Response {
			return e.do(t, k, `{ deals { edges { node { title company { name } } } } }`, nil)
		}},
		{"read activities", func(k string) subgraphstest.Response {
			return e.do(t, k, `{ activities { totalCount } tasks { totalCount } }`, nil)
		}},
		{"create a task", func(k string) subgraphstest.Response {
			return e.do(t, k, `mutation { createTask(input: {title: "Call back"}) { id } }`, nil)
		}},
		{"read users", func(k string) subgraphstest.Response {
			return e.do(t, k, `{ users { totalCount } tenant { name } }`, nil)
		}},
		{"invite a user", func(k string) subgraphstest.Response {
			n++
			return e.do(t, k, `mutation($e: String!) { inviteUser(input: {email: $e, role: VIEWER}) { token } }`,
				map[string]any{"e": fmt.Sprintf("invitee%d@acme.example.com", n)})
		}},
		{"rename its creator", func(k string) subgraphstest.Response {
			return e.do(t, k, `mutation($id: ID!) { updateUser(id: $id, input: {firstName: "Ada"}) { id } }`, map[string]any{"id": admin.User.ID})
		}},
		{"create an API key", func(k string) subgraphstest.Response {
			return e.do(t, k, `mutation { createApiKey(input: {name: "k", role: VIEWER, scopes: [CONTACTS_READ]}) { secret } }`, nil)
		}},
	}
	type column struct {
		role   string
		scopes []string
	}
	columns := []column{
		{"ADMIN", []string{"CONTACTS_READ"}}, {"ADMIN", []string{"CONTACTS_WRITE"}},
		{"ADMIN", []string{"DEALS_READ"}}, {"ADMIN", []string{"DEALS_WRITE"}},
		{"ADMIN", []string{"ACTIVITIES_READ"}}, {"ADMIN", []string{"ACTIVITIES_WRITE"}},
		{"ADMIN", []string{"USERS_READ"}}, {"ADMIN", []string{"USERS_WRITE"}},
		{"ADMIN", []string{"DEALS_READ", "CONTACTS_READ"}},
		{"VIEWER", []string{"CONTACTS_WRITE", "DEALS_WRITE", "ACTIVITIES_WRITE", "USERS_WRITE", "WEBHOOKS_WRITE"}},
	}
	const F = "FORBIDDEN"
	cr, cw, dr, dw, ar, aw, ur, uw := "CONTACTS_READ", "CONTACTS_WRITE", "DEALS_READ", "DEALS_WRITE", "ACTIVITIES_READ", "ACTIVITIES_WRITE", "USERS_READ", "USERS_WRITE"
	// Rows: operations; columns as above. "" is allowed; a scope name is
	// FORBIDDEN for want of it; FORBIDDEN alone is the role's refusal.
	want := map[string][10]string{
		//                  c:r  c:w  d:r  d:w  a:r  a:w  u:r  u:w  d:r+c:r  viewer+all
		"read contacts":      {"", "", cr, cr, cr, cr, cr, cr, "", ""},
		"create a contact":   {cw, "", cw, cw, cw, cw, cw, cw, cw, F},
		"read deals":         {dr, dr, "", "", dr, dr, dr, dr, "", ""},
		"create a deal":      {dw, dw, dw, "", dw, dw, dw, dw, dw, F},
		"a deal's company":   {dr, dr, cr, cr, dr, dr, dr, dr, "", ""},
		"read activities":    {ar, ar, ar, ar, "", "", ar, ar, ar, ""},
		"create a task":      {aw, aw, aw, aw, aw, "", aw, aw, aw, F},
		"read users":         {ur, ur, ur, ur, ur, ur, "", "", ur, ""},
		"invite a user":      {uw, uw, uw, uw, uw, uw, uw, "", uw, F},
		"rename its creator": {uw, uw, uw, uw, uw, uw, uw, "", uw, F},
		"create an API key":  {uw, uw, uw, uw, uw, uw, uw, F, uw, F},
	}
	keys := make([]string, len(columns))
	for i, c := range columns {
		_, keys[i] = e.apiKeyOf(t, admin.AccessToken, c.role, c.scopes...)
	}
	for _, op := range ops {
		for i, key := range keys {
			r := op.run(key)
			assert.Equal(t, want[op.name][i], outcome(r), "a %s key with %v: %s (%+v)", columns[i].role, columns[i].scopes, op.name, r.Errors)
		}
	}
	// The person who made the keys is not limited by any of this.
	for _, op := range ops[:len(ops)-1] {
		assert.Empty(t, op.run(admin.AccessToken).Errors, "the admin may %s", op.name)
	}
}

func TestAnAPIKeyOfOneOrganisationFindsNothingOfAnother(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	ours := e.signUp(t, "ours-"+strings.ToLower(tenancy.NewID()[18:]))
	theirs := e.signUp(t, "theirs-"+strings.ToLower(tenancy.NewID()[18:]))
	var created struct{ CreateContact struct{ ID string } }
	e.do(t, theirs.AccessToken, `mutation { createContact(input: {firstName: "Their", lastName: "Contact"}) { id } }`, nil).Decode(t, &created)
	theirContact := created.CreateContact.ID
	_, key := e.apiKeyOf(t, ours.AccessToken, "ADMIN", "CONTACTS_WRITE", "USERS_READ")

	r := e.do(t, key, `query($id: ID!) { contact(id: $id) { id } }`, map[string]any{"id": theirContact})
	assert.Equal(t, "NOT_FOUND", r.Code())
	r = e.do(t, key, `mutation($id: ID!) { updateContact(id: $id, input: {jobTitle: "x"}) { id } }`, map[string]any{"id": theirContact})
	assert.Equal(t, "NOT_FOUND", r.Code())
	r = e.do(t, key, `query($id: ID!) { user(id: $id) { id } }`, map[string]any{"id": theirs.User.ID})
	assert.Equal(t, "NOT_FOUND", r.Code())
	var list struct{ Contacts struct{ TotalCount int } }
	e.do(t, key, `{ contacts { totalCount } }`, nil).Decode(t, &list)
	assert.Zero(t, list.Contacts.TotalCount)
}

// Unknown, malformed, revoked and expired keys get one answer, from the
// gateway, before any subgraph is called; a key sent straight to a
// subgraph is refused there.
func TestKeysThatDoNotWorkAreRefusedAlikeAndSubgraphsNeverTakeAKey(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	admin := e.signUp(t, "bad-"+strings.ToLower(tenancy.NewID()[18:]))
	var me struct {
		Me struct{ Tenant struct{ ID string } }
	}
	e.do(t, admin.AccessToken, `{ me { tenant { id } } }`, nil).Decode(t, &me)
	tenantID := me.Me.Tenant.ID

	revokedID, revoked := e.apiKeyOf(t, admin.AccessToken, "VIEWER", "USERS_READ")
	e.do(t, admin.AccessToken, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, map[string]any{"id": revokedID}).Decode(t, &struct{}{})
	expiredID, expired := e.apiKeyOf(t, admin.AccessToken, "VIEWER", "USERS_READ")
	require.NoError(t, e.cluster.DB.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", expiredID)
		return err
	}))
	unknown, _, _ := auth.NewAPIKey(tenantID)
	for name, key := range map[string]string{"unknown": unknown, "malformed": "crm_live_0000", "revoked": revoked, "expired": expired} {
		r := e.do(t, key, `{ me { id } }`, nil)
		assert.Equal(t, http.StatusUnauthorized, r.Status, name)
		assert.Equal(t, "UNAUTHENTICATED", r.Code(), name)
		require.NotEmpty(t, r.Errors, name)
		assert.Equal(t, auth.InvalidAPIKey().Message, r.Errors[0].Message, "%s: one message for every key that does not work", name)
	}

	_, good := e.apiKeyOf(t, admin.AccessToken, "ADMIN", "USERS_READ", "CONTACTS_READ", "DEALS_READ", "ACTIVITIES_READ")
	require.Empty(t, e.do(t, good, `{ me { id } }`, nil).Errors)
	for name, url := range e.cluster.URLs {
		require.Contains(t, subgraphQueries, name, "a new subgraph needs a query in subgraphQueries")
		r := subgraphstest.Do(t, url, good, subgraphQueries[name], nil)
		assert.Equal(t, "UNAUTHENTICATED", r.Code(), "%s takes no API key", name)
	}
}

// subgraphQueries read something of each subgraph that needs a caller.
var subgraphQueries = map[string]string{
	"identity": `{ me { id } }`,
	"tenant":   `{ tenant { name } }`,
	"contact":  `{ contacts { totalCount } }`,
	"deal":     `{ deals { totalCount } }`,
	"comms":    `{ activities { totalCount } }`,
	"webhooks": `{ webhookEndpoints { id } }`,
}

// A revoked key is refused by the gateway and every subgraph from the
// revocation on: at once in the process that revoked it (here, every
// subgraph and the gateway share the process), within auth.DefaultCacheTTL
// in any other (pkg/auth TestARevokedKeysTokensAreRefusedAtOnceHereAndWithin5sElsewhere).
func TestARevokedKeyIsRefusedByTheGatewayAndEverySubgraph(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	admin := e.signUp(t, "revk-"+strings.ToLower(tenancy.NewID()[18:]))
	id, key := e.apiKeyOf(t, admin.AccessToken, "ADMIN", "USERS_READ", "CONTACTS_READ", "DEALS_READ", "ACTIVITIES_READ", "WEBHOOKS_READ")
	everything := `{ me { id } tenant { name } contacts { totalCount } deals { totalCount } activities { totalCount } webhookEndpoints { id } }`
	require.Empty(t, e.do(t, key, everything, nil).Errors, "the key works in every subgraph (and its token is remembered)")

	// A token the key was exchanged for, as the gateway forwards it.
	x := &auth.APIKeyExchange{URL: strings.TrimSuffix(e.cluster.URLs["identity"], "/graphql") + auth.APIKeyTokenPath}
	tok, err := x.Exchange(context.Background(), key)
	require.NoError(t, err)
	for name, url := range e.cluster.URLs {
		require.Empty(t, subgraphstest.Do(t, url, tok.AccessToken, subgraphQueries[name], nil).Errors, name)
	}

	var revoked struct{ RevokeAPIKey struct{ RevokedAt *string } }
	e.do(t, admin.AccessToken, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, map[string]any{"id": id}).Decode(t, &revoked)
	require.NotNil(t, revoked.RevokeAPIKey.RevokedAt)

	r := e.do(t, key, everything, nil)
	assert.Equal(t, http.StatusUnauthorized, r.Status, "refused by the gateway itself")
	assert.Equal(t, "UNAUTHENTICATED", r.Code())
	for name, url := range e.cluster.URLs {
		assert.Equal(t, "UNAUTHENTICATED", subgraphstest.Do(t, url, tok.AccessToken, subgraphQueries[name], nil).Code(),
			"%s refuses the revoked key's token", name)
	}
	assert.Empty(t, e.do(t, admin.AccessToken, everything, nil).Errors, "its creator is not affected")
}

// What a key does is its creator's in records (createdBy) and the key's in
// events (actor_kind api_key, actor_api_key).
func TestWhatAKeyDoesIsAttributedToItsCreatorAndTheKey(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	admin := e.signUp(t, "attr-"+strings.ToLower(tenancy.NewID()[18:]))
	keyID, key := e.apiKeyOf(t, admin.AccessToken, "SALES_REP", "CONTACTS_WRITE", "USERS_READ")

	var byKey, byPerson struct {
		CreateContact struct {
			ID        string
			CreatedBy struct{ ID, Email string }
			Owner     struct{ ID string }
		}
	}
	create := `mutation($n: String!) { createContact(input: {firstName: $n, lastName: "C"}) { id createdBy { id email } owner { id } } }`
	e.do(t, key, create, map[string]any{"n": "ByKey"}).Decode(t, &byKey)
	assert.Equal(t, admin.User.ID, byKey.CreateContact.CreatedBy.ID, "createdBy is the key's creator")
	assert.Equal(t, admin.User.ID, byKey.CreateContact.Owner.ID, "and the owner of what it creates")
	e.do(t, admin.AccessToken, create, map[string]any{"n": "ByPerson"}).Decode(t, &byPerson)

	event := func(contactID string) map[string]any {
		var payload []byte
		require.NoError(t, e.cluster.DB.Pool.QueryRow(context.Background(),
			`SELECT payload FROM platform.outbox WHERE subject = 'crm.contact.created' AND payload->'data'->>'contact_id' = $1`, contactID).Scan(&payload))
		var env map[string]any
		require.NoError(t, json.Unmarshal(payload, &env))
		return env
	}
	ev := event(byKey.CreateContact.ID)
	assert.Equal(t, admin.User.ID, ev["actor"])
	assert.Equal(t, "api_key", ev["actor_kind"])
	assert.Equal(t, keyID, ev["actor_api_key"])
	ev = event(byPerson.CreateContact.ID)
	assert.Equal(t, admin.User.ID, ev["actor"])
	assert.Equal(t, "user", ev["actor_kind"])
	assert.Nil(t, ev["actor_api_key"])

	var created []byte
	require.NoError(t, e.cluster.DB.Pool.QueryRow(context.Background(),
		`SELECT payload FROM platform.outbox WHERE subject = 'crm.api_key.created' AND payload->'data'->>'api_key_id' = $1`, keyID).Scan(&created))
	assert.NotContains(t, string(created), key, "the event does not carry the secret")
}

// rawPost sends a query with a bearer token and returns the status, the
// rate-limit headers and the first error's code.
func rawPost(t testing.TB, url, token, query string) (int, http.Header, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out subgraphstest.Response
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, resp.Header, out.Code()
}

// A key has its own rate-limit bucket, apart from people's, with its
// tenant's limit or the gateway's default.
func TestEachAPIKeyHasItsOwnRateLimitApartFromPeople(t *testing.T) {
	t.Parallel()
	e := startE2E(t, func(c *gateway.Config) {
		c.RateLimit = gateway.RateLimit{PerAPIKey: 3, PerClient: 1000, PerTenant: 1000, Window: time.Minute}
	})
	admin := e.signUp(t, "rate-"+strings.ToLower(tenancy.NewID()[18:]))
	_, key := e.apiKeyOf(t, admin.AccessToken, "VIEWER", "USERS_READ")
	_, other := e.apiKeyOf(t, admin.AccessToken, "VIEWER", "USERS_READ")
	q := `{ me { id } }`
	for i := 2; i >= 0; i-- {
		status, h, code := rawPost(t, e.url, key, q)
		require.Equal(t, http.StatusOK, status, code)
		assert.Equal(t, "3", h.Get("RateLimit-Limit"))
		assert.Equal(t, fmt.Sprint(i), h.Get("RateLimit-Remaining"))
	}
	status, h, code := rawPost(t, e.url, key, q)
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Equal(t, "TOO_MANY_REQUESTS", code)
	assert.NotEmpty(t, h.Get("Retry-After"))
	assert.Equal(t, "0", h.Get("RateLimit-Remaining"))

	status, h, _ = rawPost(t, e.url, other, q)
	assert.Equal(t, http.StatusOK, status, "another key has its own bucket")
	assert.Equal(t, "2", h.Get("RateLimit-Remaining"))
	status, h, _ = rawPost(t, e.url, admin.AccessToken, q)
	assert.Equal(t, http.StatusOK, status, "the creator has a person's bucket")
	assert.Equal(t, "1000", h.Get("RateLimit-Limit"))

	var me struct {
		Me struct{ Tenant struct{ ID string } }
	}
	e.do(t, admin.AccessToken, `{ me { tenant { id } } }`, nil).Decode(t, &me)
	limit := int32(5)
	_, err := e.cluster.DB.SetAPIKeyRateLimit(context.Background(), me.Me.Tenant.ID, &limit)
	require.NoError(t, err)
	_, third := e.apiKeyOf(t, admin.AccessToken, "VIEWER", "USERS_READ")
	status, h, _ = rawPost(t, e.url, third, q)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "5", h.Get("RateLimit-Limit"), "the tenant's own limit")
}
