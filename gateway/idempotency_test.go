package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// replicas are two gateways sharing one Redis in front of the same real
// subgraphs.
type replicas struct {
	*e2e
	urls  [2]string
	redis *redis.Client
}

func startReplicas(t *testing.T) *replicas {
	t.Helper()
	e := startE2E(t)
	rdb := testRedis(t)
	out := &replicas{e2e: e, redis: rdb, urls: [2]string{e.url}}
	cfg := gateway.Config{Subgraphs: e.cluster.URLs, Issuer: e.cluster.Issuer, Audience: e.cluster.Audience, Redis: rdb}
	cfg.RateLimit.Disabled = true
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	g, err := gateway.New(ctx, cfg)
	require.NoError(t, err)
	out.urls[1] = newServer(t, g) + "/graphql"
	return out
}

// keyed is a gateway answer to a request with an Idempotency-Key.
type keyed struct {
	status int
	header http.Header
	raw    string
	body   subgraphstest.Response
}

func (k keyed) code() string {
	if len(k.body.Errors) == 0 {
		return ""
	}
	c, _ := k.body.Errors[0].Extensions["code"].(string)
	return c
}

// post sends an operation to a gateway with the token (if any) and the
// Idempotency-Key values given. It is safe from any goroutine.
func post(url, token, query string, vars map[string]any, keys ...string) (keyed, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, k := range keys {
		req.Header.Add("Idempotency-Key", k)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return keyed{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return keyed{}, err
	}
	out := keyed{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if err := json.Unmarshal(raw, &out.body); err != nil {
		return out, fmt.Errorf("%s: %w", raw, err)
	}
	return out, nil
}

func mustPost(t *testing.T, url, token, query string, vars map[string]any, keys ...string) keyed {
	t.Helper()
	k, err := post(url, token, query, vars, keys...)
	require.NoError(t, err)
	return k
}

const createContact = `mutation Create($in: CreateContactInput!) { createContact(input: $in) { id fullName } }`

// contactsNamed counts the tenant's contacts whose name contains name.
func (r *replicas) contactsNamed(t *testing.T, token, name string) int {
	t.Helper()
	var out struct{ Contacts struct{ TotalCount int } }
	r.do(t, token, `query($n: String) { contacts(filter: {name: $n}) { totalCount } }`, map[string]any{"n": name}).Decode(t, &out)
	return out.Contacts.TotalCount
}

// idemKeys are the Redis keys of a tenant's idempotency records.
func (r *replicas) idemKeys(t *testing.T, tenantID string) []string {
	t.Helper()
	keys, err := r.redis.Keys(context.Background(), "crm:idem:"+tenantID+":*").Result()
	require.NoError(t, err)
	return keys
}

type member struct{ token, userID, tenantID string }

// org signs an organisation up and invites a second user; it returns both.
func (r *replicas) org(t *testing.T, label string) (admin, rep member) {
	t.Helper()
	sub := label + "-" + strings.ToLower(tenancy.NewID()[18:])
	a := r.signUp(t, sub)
	var me struct {
		Me struct{ Tenant struct{ ID string } }
	}
	r.do(t, a.AccessToken, `{ me { tenant { id } } }`, nil).Decode(t, &me)
	var inv struct{ InviteUser struct{ Token string } }
	r.do(t, a.AccessToken, `mutation($in: InviteUserInput!) { inviteUser(input: $in) { token } }`,
		map[string]any{"in": map[string]any{"email": "bob@" + sub + ".example.com", "role": "SALES_REP"}}).Decode(t, &inv)
	var acc struct{ AcceptInvitation tokens }
	r.do(t, "", `mutation($in: AcceptInvitationInput!) { acceptInvitation(input: $in) { `+tokenFields+` } }`,
		map[string]any{"in": map[string]any{"token": inv.InviteUser.Token, "password": pw, "firstName": "Bob", "lastName": "Rep"}}).Decode(t, &acc)
	tid := me.Me.Tenant.ID
	return member{a.AccessToken, a.User.ID, tid}, member{acc.AcceptInvitation.AccessToken, acc.AcceptInvitation.User.ID, tid}
}

func TestAMutationWithAnIdempotencyKeyRunsOnceAndItsRetryGetsTheFirstResponse(t *testing.T) {
	r := startReplicas(t)
	admin, rep := r.org(t, "idem")
	other, _ := r.org(t, "idem-other")
	key := "create-ada-" + tenancy.NewID()
	vars := map[string]any{"in": map[string]any{"firstName": "Ada", "lastName": "Once"}}

	first := mustPost(t, r.urls[0], admin.token, createContact, vars, key)
	require.Equal(t, http.StatusOK, first.status, first.raw)
	require.Empty(t, first.body.Errors, first.raw)
	assert.Empty(t, first.header.Get("Idempotent-Replayed"))

	again := mustPost(t, r.urls[0], admin.token, createContact, vars, key)
	assert.Equal(t, http.StatusOK, again.status)
	assert.Equal(t, first.raw, again.raw, "the same body again")
	assert.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	assert.Equal(t, "application/json", again.header.Get("Content-Type"))

	replica := mustPost(t, r.urls[1], admin.token, createContact, vars, key)
	assert.Equal(t, first.raw, replica.raw, "another gateway sharing the Redis replays it too")
	assert.Equal(t, "true", replica.header.Get("Idempotent-Replayed"))
	assert.Equal(t, 1, r.contactsNamed(t, admin.token, "Ada Once"), "one contact created")

	reused := mustPost(t, r.urls[1], admin.token, createContact,
		map[string]any{"in": map[string]any{"firstName": "Ada", "lastName": "Twice"}}, key)
	assert.Equal(t, http.StatusUnprocessableEntity, reused.status, reused.raw)
	assert.Equal(t, "IDEMPOTENCY_KEY_REUSED", reused.code())
	assert.Equal(t, 0, r.contactsNamed(t, admin.token, "Ada Twice"))

	byRep := mustPost(t, r.urls[0], rep.token, createContact, vars, key)
	require.Empty(t, byRep.body.Errors, byRep.raw)
	assert.Empty(t, byRep.header.Get("Idempotent-Replayed"), "another caller's key is another key")
	assert.NotEqual(t, first.raw, byRep.raw)
	assert.Equal(t, 2, r.contactsNamed(t, admin.token, "Ada Once"))

	byOther := mustPost(t, r.urls[0], other.token, createContact, vars, key)
	require.Empty(t, byOther.body.Errors, byOther.raw)
	assert.Empty(t, byOther.header.Get("Idempotent-Replayed"), "another tenant's key is another key")
	assert.Equal(t, 1, r.contactsNamed(t, other.token, "Ada Once"))
	assert.Equal(t, 2, r.contactsNamed(t, admin.token, "Ada Once"), "nothing created in the first tenant")

	badKey := tenancy.NewID()
	badVars := map[string]any{"in": map[string]any{"firstName": "Bad", "lastName": "Mail", "email": "not-an-address"}}
	bad := mustPost(t, r.urls[0], admin.token, createContact, badVars, badKey)
	require.Equal(t, "BAD_USER_INPUT", bad.code(), "the subgraph refused it: %s", bad.raw)
	badAgain := mustPost(t, r.urls[1], admin.token, createContact, badVars, badKey)
	assert.Equal(t, bad.raw, badAgain.raw, "a subgraph's refusal is an outcome: replayed")
	assert.Equal(t, "true", badAgain.header.Get("Idempotent-Replayed"))

	keys := r.idemKeys(t, admin.tenantID)
	assert.Len(t, keys, 3, "one record per caller and key: %v", keys)
	assert.Len(t, r.idemKeys(t, other.tenantID), 1)
	for _, k := range keys {
		assert.NotContains(t, k, key, "the client's key is hashed")
	}
}

func TestTwentyConcurrentRequestsWithOneKeyCreateOneRecord(t *testing.T) {
	r := startReplicas(t)
	admin, _ := r.org(t, "idem-race")
	key := tenancy.NewID()
	vars := map[string]any{"in": map[string]any{"firstName": "Race", "lastName": "Once"}}
	answers := make([]keyed, 20)
	errs := make([]error, 20)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() { answers[i], errs[i] = post(r.urls[i%2], admin.token, createContact, vars, key) })
	}
	wg.Wait()

	var created string
	conflicts := 0
	for i, a := range answers {
		require.NoError(t, errs[i])
		switch a.status {
		case http.StatusOK:
			require.Empty(t, a.body.Errors, a.raw)
			if created == "" {
				created = a.raw
			}
			assert.Equal(t, created, a.raw, "every success is the one creation")
		case http.StatusConflict:
			conflicts++
			assert.Equal(t, "CONFLICT", a.code(), a.raw)
			assert.Equal(t, "1", a.header.Get("Retry-After"))
		default:
			t.Fatalf("unexpected answer %d: %s", a.status, a.raw)
		}
	}
	assert.NotEmpty(t, created)
	assert.Equal(t, 1, r.contactsNamed(t, admin.token, "Race Once"), "exactly one contact (%d conflicts)", conflicts)
	after := mustPost(t, r.urls[0], admin.token, createContact, vars, key)
	assert.Equal(t, created, after.raw, "a retry once it finished gets the creation")
}

func TestBadIdempotencyKeysAreRefusedNamingTheHeader(t *testing.T) {
	b := setup(t, withRedis(testRedis(t)))
	tok := b.token(t)
	const logout = `mutation { logout(input: {refreshToken: "r"}) }`
	for name, keys := range map[string][]string{
		"empty":     {""},
		"too long":  {strings.Repeat("k", 256)},
		"not ASCII": {"clé"},
		"control":   {"a\tb"},
		"two":       {"a", "b"},
	} {
		a := mustPost(t, b.URL+"/graphql", tok, logout, nil, keys...)
		assert.Equal(t, http.StatusBadRequest, a.status, name)
		assert.Equal(t, "BAD_USER_INPUT", a.code(), "%s: %s", name, a.raw)
		require.NotEmpty(t, a.body.Errors, name)
		assert.Equal(t, "Idempotency-Key", a.body.Errors[0].Extensions["field"], name)
	}
	assert.Empty(t, b.Identity.Requests(), "no subgraph called")

	ok := mustPost(t, b.URL+"/graphql", tok, logout, nil, strings.Repeat("k", 255))
	assert.Equal(t, http.StatusOK, ok.status, ok.raw)

	anon := mustPost(t, b.URL+"/graphql", "", `mutation { login(input: {email: "a@b.c", password: "p", subdomain: "t1"}) { accessToken } }`, nil, "k1")
	assert.Equal(t, "BAD_USER_INPUT", anon.code(), "a public mutation is not made idempotent: %s", anon.raw)
	assert.Equal(t, "Idempotency-Key", anon.body.Errors[0].Extensions["field"])

	query := mustPost(t, b.URL+"/graphql", tok, `{ me { id } }`, nil, "")
	assert.Equal(t, http.StatusOK, query.status, "a query ignores the header: %s", query.raw)
	assert.Empty(t, query.body.Errors)
}

func TestWhenRedisIsDownKeyedMutationsAreRefusedAndOthersRun(t *testing.T) {
	b := setup(t, withRedis(deadRedis(t)))
	tok := b.token(t)
	const logout = `mutation { logout(input: {refreshToken: "r"}) }`

	a := mustPost(t, b.URL+"/graphql", tok, logout, nil, "k1")
	assert.Equal(t, http.StatusServiceUnavailable, a.status, a.raw)
	assert.Equal(t, "SERVICE_UNAVAILABLE", a.code())
	assert.Equal(t, true, a.body.Errors[0].Extensions["retryable"])
	assert.Equal(t, "1", a.header.Get("Retry-After"))
	assert.Empty(t, b.Identity.Requests(), "the mutation did not run")

	plain := mustPost(t, b.URL+"/graphql", tok, logout, nil)
	assert.Equal(t, http.StatusOK, plain.status, plain.raw)
	assert.Len(t, b.Identity.Requests(), 1, "without a key it runs")

	again := mustPost(t, b.URL+"/graphql", tok, logout, nil, "k1")
	assert.Equal(t, "SERVICE_UNAVAILABLE", again.code(), "still refused while Redis is down")
	assert.Len(t, b.Identity.Requests(), 1)
}

func TestAMutationWhoseSubgraphIsDownReleasesItsKey(t *testing.T) {
	rdb := testRedis(t)
	b := setup(t, withRedis(rdb), func(c *gateway.Config) { c.Subgraphs["identity"] = "http://127.0.0.1:1/graphql" })
	tok := b.token(t)
	const logout = `mutation { logout(input: {refreshToken: "r"}) }`
	key := tenancy.NewID()

	first := mustPost(t, b.URL+"/graphql", tok, logout, nil, key)
	second := mustPost(t, b.URL+"/graphql", tok, logout, nil, key)

	assert.Equal(t, "SERVICE_UNAVAILABLE", first.code(), first.raw)
	assert.Equal(t, "SERVICE_UNAVAILABLE", second.code(), "the retry ran again: %s", second.raw)
	assert.Empty(t, second.header.Get("Idempotent-Replayed"))
	keys, err := rdb.Keys(context.Background(), "crm:idem:"+b.User.TenantID+":*").Result()
	require.NoError(t, err)
	assert.Empty(t, keys, "nothing kept")
}

// An API key acts as its creator but owns its Idempotency-Keys apart from
// it: the same key sent by the API key and by its creator are two records,
// neither replaying the other's response, and the API key's retry replays
// its own.
func TestAnAPIKeyAndItsCreatorKeepSeparateIdempotencyRecords(t *testing.T) {
	r := startReplicas(t)
	admin, _ := r.org(t, "idem-key")
	keyID, secret := r.apiKeyOf(t, admin.token, "ADMIN", "CONTACTS_WRITE")
	key := "sync-" + tenancy.NewID()
	vars := map[string]any{"in": map[string]any{"firstName": "Kay", "lastName": "Twice"}}

	byKey := mustPost(t, r.urls[0], secret, createContact, vars, key)
	require.Equal(t, http.StatusOK, byKey.status, byKey.raw)
	require.Empty(t, byKey.body.Errors, byKey.raw)
	byPerson := mustPost(t, r.urls[1], admin.token, createContact, vars, key)
	require.Empty(t, byPerson.body.Errors, byPerson.raw)
	assert.Empty(t, byPerson.header.Get("Idempotent-Replayed"), "the creator's key is not the API key's")
	assert.NotEqual(t, byKey.raw, byPerson.raw)
	assert.Equal(t, 2, r.contactsNamed(t, admin.token, "Kay Twice"))

	retry := mustPost(t, r.urls[1], secret, createContact, vars, key)
	assert.Equal(t, "true", retry.header.Get("Idempotent-Replayed"), "the API key's retry replays its own response")
	assert.Equal(t, byKey.raw, retry.raw)
	assert.Equal(t, 2, r.contactsNamed(t, admin.token, "Kay Twice"))

	keys := r.idemKeys(t, admin.tenantID)
	require.Len(t, keys, 2, "%v", keys)
	var callers []string
	for _, k := range keys {
		rest := strings.TrimPrefix(k, "crm:idem:"+admin.tenantID+":")
		callers = append(callers, rest[:strings.LastIndex(rest, ":")])
	}
	assert.ElementsMatch(t, []string{"key:" + keyID, "user:" + admin.userID}, callers)
}
