package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/mail"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// e2e is the gateway in front of the real subgraphs (PostgreSQL and Redis
// behind them), reached only through the gateway.
type e2e struct {
	url     string
	cluster *subgraphstest.Cluster
	// client is this test's address: subgraphs count failed logins per
	// address, in a Redis other tests share.
	client string
}

func startE2E(t testing.TB, change ...func(*gateway.Config)) *e2e {
	t.Helper()
	c := subgraphstest.Start(t)
	cfg := gateway.Config{
		Subgraphs: c.URLs,
		// No Keys: the gateway reads the identity subgraph's JWKS.
		Issuer:      c.Issuer,
		Audience:    c.Audience,
		Redis:       testRedis(t),
		Revocations: c.Deps.Verifier.Revocations,
	}
	cfg.RateLimit.Disabled = true
	cfg.TrustForwardedFor = true
	for _, ch := range change {
		ch(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	g, err := gateway.New(ctx, cfg)
	require.NoError(t, err)
	srv := newServer(t, g)
	return &e2e{url: srv + "/graphql", cluster: c, client: uniqueIP()}
}

func (e *e2e) do(t testing.TB, token, query string, vars map[string]any) subgraphstest.Response {
	t.Helper()
	h := http.Header{"X-Forwarded-For": {e.client}}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return subgraphstest.DoWithHeaders(t, e.url, h, query, vars)
}

type tokens struct {
	AccessToken, RefreshToken string
	User                      struct{ ID, Email string }
}

const tokenFields = `accessToken refreshToken user { id email }`

const pw = "s3cret-enough pass"

// signUp creates the organisation "Acme E2E" at subdomain sub, whose admin
// is ada@acme.example.com, and returns the admin's tokens.
func (e *e2e) signUp(t testing.TB, sub string) tokens {
	t.Helper()
	var out struct{ SignUp tokens }
	e.do(t, "", `mutation($in: SignUpInput!) { signUp(input: $in) { `+tokenFields+` } }`, map[string]any{"in": map[string]any{
		"organizationName": "Acme E2E", "subdomain": sub, "email": "ada@acme.example.com", "password": pw,
		"firstName": "Ada", "lastName": "Admin"}}).Decode(t, &out)
	return out.SignUp
}

// member invites email as a sales rep, by mail, and accepts the invitation:
// the new member's tokens.
func (e *e2e) member(t testing.TB, admin, email string) tokens {
	t.Helper()
	var invite struct{ InviteUser struct{ Token string } }
	e.do(t, admin, `mutation($e: String!) { inviteUser(input: {email: $e, role: SALES_REP}) { token } }`, map[string]any{"e": email}).Decode(t, &invite)
	msg, ok := e.cluster.Mail.Last(mail.Invitation, email)
	require.True(t, ok, "the invitation was mailed")
	assert.Equal(t, invite.InviteUser.Token, msg.Data["token"])
	var accept struct{ AcceptInvitation tokens }
	e.do(t, "", `mutation($in: AcceptInvitationInput!) { acceptInvitation(input: $in) { `+tokenFields+` } }`, map[string]any{"in": map[string]any{
		"token": invite.InviteUser.Token, "password": pw, "firstName": "Bob", "lastName": "Rep"}}).Decode(t, &accept)
	return accept.AcceptInvitation
}

func TestEndToEndThroughTheGatewayOnly(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	sub := "e2e-" + strings.ToLower(tenancy.NewID()[18:])

	e.signUp(t, sub)

	var login struct{ Login tokens }
	e.do(t, "", `mutation($in: LoginInput!) { login(input: $in) { `+tokenFields+` } }`, map[string]any{"in": map[string]any{
		"subdomain": sub, "email": "ada@acme.example.com", "password": pw}}).Decode(t, &login)
	admin := login.Login.AccessToken

	var me struct {
		Me struct {
			Email  string
			Tenant struct{ Name, Subdomain string }
		}
	}
	e.do(t, admin, `{ me { email tenant { name subdomain } } }`, nil).Decode(t, &me)
	assert.Equal(t, "ada@acme.example.com", me.Me.Email)
	assert.Equal(t, "Acme E2E", me.Me.Tenant.Name, "from the tenant subgraph")
	assert.Equal(t, sub, me.Me.Tenant.Subdomain)

	bob := e.member(t, admin, "bob@acme.example.com")
	assert.Equal(t, "bob@acme.example.com", bob.User.Email)
	e.do(t, bob.AccessToken, `{ me { email tenant { name } } }`, nil).Decode(t, &me)
	assert.Equal(t, "Acme E2E", me.Me.Tenant.Name)

	refresh := `mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { ` + tokenFields + ` } }`
	var refreshed struct{ RefreshToken tokens }
	e.do(t, "", refresh, map[string]any{"t": login.Login.RefreshToken}).Decode(t, &refreshed)
	require.NotEqual(t, login.Login.RefreshToken, refreshed.RefreshToken.RefreshToken, "rotated")

	var logout struct{ Logout bool }
	e.do(t, refreshed.RefreshToken.AccessToken, `mutation($t: String!) { logout(input: {refreshToken: $t}) }`,
		map[string]any{"t": refreshed.RefreshToken.RefreshToken}).Decode(t, &logout)
	assert.True(t, logout.Logout)
	r := e.do(t, "", refresh, map[string]any{"t": refreshed.RefreshToken.RefreshToken})
	assert.NotEmpty(t, r.Errors, "a logged-out session cannot be refreshed")

	r = e.do(t, "", `{ me { email } }`, nil)
	assert.Equal(t, "UNAUTHENTICATED", r.Code())
	assert.Equal(t, http.StatusUnauthorized, r.Status)
}

func TestEndToEndBadTokensAndLimits(t *testing.T) {
	t.Parallel()
	e := startE2E(t, func(c *gateway.Config) { c.Limits.MaxDepth = 3; c.Limits.MaxBodyBytes = 4096 })
	id := auth.Identity{UserID: tenancy.NewID(), TenantID: tenancy.NewID(), Role: auth.RoleAdmin, Email: "x@example.com"}

	otherKeys, err := auth.ParseKeySet(auth.GenerateKeySpec("test"))
	require.NoError(t, err)
	forged, _, err := (&auth.Issuer{Keys: otherKeys, Issuer: e.cluster.Issuer, Audience: e.cluster.Audience}).Issue(id)
	require.NoError(t, err)
	expired := expiredToken(t, e.cluster.Deps.Issuer, id)
	for name, tok := range map[string]string{"forged": forged, "expired": expired, "garbage": "a.b.c"} {
		r := e.do(t, tok, `{ me { email } }`, nil)
		assert.Equal(t, "UNAUTHENTICATED", r.Code(), name)
	}

	valid := e.cluster.Token(t, id)
	r := e.do(t, valid, `{ users { edges { node { tenant { id } } } } }`, nil)
	assert.Equal(t, "DEPTH_LIMIT_EXCEEDED", r.Code())
	r = e.do(t, "", `{ tenantBySubdomain(subdomain: "`+strings.Repeat("x", 5000)+`") { name } }`, nil)
	assert.Equal(t, "PAYLOAD_TOO_LARGE", r.Code())
	r = e.do(t, "", `{ __schema { types { name } } }`, nil)
	assert.Equal(t, "INTROSPECTION_DISABLED", r.Code())
}

func TestEndToEndARevokedUserIsRefusedByTheGateway(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	admin := e.signUp(t, "rev-"+strings.ToLower(tenancy.NewID()[18:])).AccessToken
	bob := e.member(t, admin, "bob@acme.example.com")
	me := `{ me { email tenant { name } } }`
	require.Empty(t, e.do(t, bob.AccessToken, me, nil).Errors, "bob is signed in (and his token remembered)")

	r := e.do(t, admin, `mutation($id: ID!) { deactivateUser(id: $id) { status } }`, map[string]any{"id": bob.User.ID})
	require.Empty(t, r.Errors)
	r = e.do(t, bob.AccessToken, me, nil)
	assert.Equal(t, http.StatusUnauthorized, r.Status, "refused by the gateway itself: a subgraph's refusal is a 200")
	assert.Equal(t, "UNAUTHENTICATED", r.Code())
	assert.Contains(t, r.Errors[0].Message, "signed out")
	assert.Empty(t, e.do(t, admin, me, nil).Errors, "the admin is not affected")
}
