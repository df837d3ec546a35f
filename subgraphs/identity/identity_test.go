package identity_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/mail"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// org is an organisation signed up through the identity subgraph.
type org struct {
	c                    *subgraphstest.Cluster
	subdomain, email, pw string
	access, refresh      string
	tenantID, adminID    string
}

const password = "s3cret-enough pass"

const authFields = `accessToken refreshToken expiresAt tokenType user { id email role status emailVerified fullName tenant { id } }`

type authPayload struct {
	AccessToken, RefreshToken, ExpiresAt, TokenType string
	User                                            struct {
		ID, Email, Role, Status, FullName string
		EmailVerified                     bool
		Tenant                            struct{ ID string }
	}
}

func unique(prefix string) string { return prefix + strings.ToLower(tenancy.NewID()[18:]) }

func (o *org) identity() string { return o.c.URLs["identity"] }
func (o *org) tenant() string   { return o.c.URLs["tenant"] }

func signUp(t *testing.T, c *subgraphstest.Cluster) *org {
	t.Helper()
	o := &org{c: c, subdomain: unique("acme-"), email: "admin@acme.example.com", pw: password}
	r := subgraphstest.Do(t, o.identity(), "", `mutation($in: SignUpInput!) { signUp(input: $in) { `+authFields+` } }`,
		map[string]any{"in": map[string]any{"organizationName": "Acme", "subdomain": o.subdomain, "email": o.email,
			"password": o.pw, "firstName": "Ada", "lastName": "Admin"}})
	var out struct{ SignUp authPayload }
	r.Decode(t, &out)
	o.access, o.refresh = out.SignUp.AccessToken, out.SignUp.RefreshToken
	o.tenantID, o.adminID = out.SignUp.User.Tenant.ID, out.SignUp.User.ID
	return o
}

// member invites a user with the role and accepts the invitation; it
// returns the new user's tokens.
func (o *org) member(t *testing.T, email, role string) authPayload {
	t.Helper()
	r := subgraphstest.Do(t, o.tenant(), o.access, `mutation($in: InviteUserInput!) { inviteUser(input: $in) { token } }`,
		map[string]any{"in": map[string]any{"email": email, "role": role}})
	var inv struct{ InviteUser struct{ Token string } }
	r.Decode(t, &inv)
	r = subgraphstest.Do(t, o.identity(), "", `mutation($in: AcceptInvitationInput!) { acceptInvitation(input: $in) { `+authFields+` } }`,
		map[string]any{"in": map[string]any{"token": inv.InviteUser.Token, "password": password, "firstName": "Mem", "lastName": strings.Split(email, "@")[0]}})
	var out struct{ AcceptInvitation authPayload }
	r.Decode(t, &out)
	return out.AcceptInvitation
}

func login(t *testing.T, o *org, email, pw string) subgraphstest.Response {
	return subgraphstest.Do(t, o.identity(), "", `mutation($in: LoginInput!) { login(input: $in) { `+authFields+` } }`,
		map[string]any{"in": map[string]any{"subdomain": o.subdomain, "email": email, "password": pw}})
}

func refresh(t *testing.T, o *org, token string) subgraphstest.Response {
	return subgraphstest.Do(t, o.identity(), "", `mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { `+authFields+` } }`,
		map[string]any{"t": token})
}

func me(t *testing.T, o *org, access string) subgraphstest.Response {
	return subgraphstest.Do(t, o.identity(), access, `{ me { id email role emailVerified tenant { id } } }`, nil)
}

func TestSignUpCreatesTheOrganisationAndSignsItsAdminIn(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	var got struct {
		Me struct {
			ID, Email, Role string
			EmailVerified   bool
			Tenant          struct{ ID string }
		}
	}
	me(t, o, o.access).Decode(t, &got)
	assert.Equal(t, o.adminID, got.Me.ID)
	assert.Equal(t, "ADMIN", got.Me.Role)
	assert.Equal(t, o.tenantID, got.Me.Tenant.ID)
	assert.False(t, got.Me.EmailVerified)

	// The verification mail's token verifies the address, once.
	msg, ok := o.c.Mail.Last(mail.EmailVerification, o.email)
	require.True(t, ok)
	verify := `mutation($t: String!) { verifyEmail(input: {token: $t}) }`
	r := subgraphstest.Do(t, o.identity(), "", verify, map[string]any{"t": msg.Data["token"]})
	require.Empty(t, r.Errors)
	me(t, o, o.access).Decode(t, &got)
	assert.True(t, got.Me.EmailVerified)
	r = subgraphstest.Do(t, o.identity(), "", verify, map[string]any{"t": msg.Data["token"]})
	assert.Equal(t, "BAD_USER_INPUT", r.Code())
}

func TestSignUpRejectsBadInputNamingTheField(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	taken := signUp(t, c)
	good := map[string]any{"organizationName": "Acme", "subdomain": unique("ok-"), "email": "a@b.example.com",
		"password": password, "firstName": "A", "lastName": "B"}
	cases := []struct {
		name, field, value, code, wantField string
	}{
		{"too short subdomain", "subdomain", "ab", "BAD_USER_INPUT", "input.subdomain"},
		{"subdomain with a dot", "subdomain", "acme.evil", "BAD_USER_INPUT", "input.subdomain"},
		{"leading hyphen", "subdomain", "-acme", "BAD_USER_INPUT", "input.subdomain"},
		{"reserved subdomain", "subdomain", "www", "BAD_USER_INPUT", "input.subdomain"},
		{"reserved admin", "subdomain", "admin", "BAD_USER_INPUT", "input.subdomain"},
		{"taken subdomain", "subdomain", taken.subdomain, "CONFLICT", "input.subdomain"},
		{"not an email", "email", "not-an-email", "BAD_USER_INPUT", "input.email"},
		{"weak password", "password", "password", "BAD_USER_INPUT", "input.password"},
		{"empty first name", "firstName", "  ", "BAD_USER_INPUT", "input.firstName"},
		{"over-long last name", "lastName", strings.Repeat("x", 101), "BAD_USER_INPUT", "input.lastName"},
		{"empty organisation", "organizationName", "", "BAD_USER_INPUT", "input.organizationName"},
	}
	for _, tc := range cases {
		in := map[string]any{}
		for k, v := range good {
			in[k] = v
		}
		in[tc.field] = tc.value
		r := subgraphstest.Do(t, c.URLs["identity"], "", `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken } }`, map[string]any{"in": in})
		assert.Equal(t, tc.code, r.Code(), tc.name)
		assert.Equal(t, tc.wantField, r.Field(), tc.name)
		require.NotEmpty(t, r.Errors, tc.name)
		assert.NotContains(t, r.Errors[0].Message, "SQL", tc.name)
	}
	r := subgraphstest.Do(t, c.URLs["identity"], "", `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken } }`,
		map[string]any{"in": map[string]any{"organizationName": "x", "subdomain": unique("w-"), "email": "a@b.example.com", "password": "short", "firstName": "a", "lastName": "b"}})
	assert.Contains(t, r.Errors[0].Message, auth.PasswordRule, "the password rule is spelled out")
}

func TestConcurrentSignUpsForOneSubdomainGiveOneOrganisationAndOneConflict(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	sub := unique("race-")
	codes := make([]string, 2)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := subgraphstest.Do(t, c.URLs["identity"], "", `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken } }`,
				map[string]any{"in": map[string]any{"organizationName": "Race", "subdomain": sub, "email": fmt.Sprintf("u%d@race.example.com", i),
					"password": password, "firstName": "R", "lastName": "C"}})
			codes[i] = r.Code()
		}()
	}
	wg.Wait()
	assert.ElementsMatch(t, []string{"", "CONFLICT"}, codes)
}

func TestLoginFailuresDoNotSayWhichCredentialWasWrongAndAreRateLimited(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	wrongPw := login(t, o, o.email, "wrong password 1")
	unknown := login(t, o, "nobody@acme.example.com", o.pw)
	assert.Equal(t, "UNAUTHENTICATED", wrongPw.Code())
	assert.Equal(t, wrongPw.Errors[0].Message, unknown.Errors[0].Message)

	require.Empty(t, login(t, o, o.email, o.pw).Errors, "the right password works")
	for range 10 {
		login(t, o, o.email, "wrong password 1")
	}
	r := login(t, o, o.email, o.pw)
	assert.Equal(t, "TOO_MANY_REQUESTS", r.Code(), "after 10 failures even the right password waits")

	// Failures from one client address are limited whatever the address tried.
	client := http.Header{"X-Forwarded-For": {"2001:db8::" + strings.ToLower(tenancy.NewID()[22:])}}
	for i := range 50 {
		subgraphstest.DoWithHeaders(t, o.identity(), client, `mutation($e: String!) { login(input: {subdomain: "`+o.subdomain+`", email: $e, password: "wrong password 1"}) { accessToken } }`,
			map[string]any{"e": fmt.Sprintf("u%d@acme.example.com", i)})
	}
	r = subgraphstest.DoWithHeaders(t, o.identity(), client, `mutation { login(input: {subdomain: "`+o.subdomain+`", email: "other@acme.example.com", password: "wrong password 1"}) { accessToken } }`, nil)
	assert.Equal(t, "TOO_MANY_REQUESTS", r.Code(), "after 50 failures from one client")

	r = subgraphstest.Do(t, o.identity(), "", `mutation { login(input: {subdomain: "no-such-org-x", email: "a@b.example.com", password: "whatever 12"}) { accessToken } }`, nil)
	assert.Equal(t, "NOT_FOUND", r.Code())
}

func TestSuspendedOrganisationCannotSignInOrRefresh(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	o := signUp(t, c)
	_, err := c.DB.SetStatus(context.Background(), o.tenantID, tenancy.StatusSuspended)
	require.NoError(t, err)
	assert.Equal(t, "TENANT_SUSPENDED", login(t, o, o.email, o.pw).Code())
	assert.Equal(t, "TENANT_SUSPENDED", refresh(t, o, o.refresh).Code())
}

func TestRefreshTokensRotateAndReuseRevokesTheFamily(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	var r1 struct{ RefreshToken authPayload }
	refresh(t, o, o.refresh).Decode(t, &r1)
	assert.NotEqual(t, o.refresh, r1.RefreshToken.RefreshToken)
	require.Empty(t, me(t, o, r1.RefreshToken.AccessToken).Errors)

	// The first token again: a thief or a replay. Both descendants die.
	assert.Equal(t, "UNAUTHENTICATED", refresh(t, o, o.refresh).Code())
	assert.Equal(t, "UNAUTHENTICATED", refresh(t, o, r1.RefreshToken.RefreshToken).Code())

	// Other sessions (another sign-in) are not touched.
	var other struct{ Login authPayload }
	login(t, o, o.email, o.pw).Decode(t, &other)
	assert.Empty(t, refresh(t, o, other.Login.RefreshToken).Errors)

	assert.Equal(t, "BAD_USER_INPUT", refresh(t, o, "not-a-token").Code())
	forged, _ := auth.NewOpaqueToken(o.tenantID)
	assert.Equal(t, "UNAUTHENTICATED", refresh(t, o, forged).Code())
}

func TestLogoutEndsTheSession(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	r := subgraphstest.Do(t, o.identity(), o.access, `mutation($t: String!) { logout(input: {refreshToken: $t}) }`, map[string]any{"t": o.refresh})
	require.Empty(t, r.Errors)
	assert.Equal(t, "UNAUTHENTICATED", refresh(t, o, o.refresh).Code())
	r = subgraphstest.Do(t, o.identity(), "", `mutation($t: String!) { logout(input: {refreshToken: $t}) }`, map[string]any{"t": o.refresh})
	assert.Equal(t, "UNAUTHENTICATED", r.Code(), "logout needs a signed-in caller")
}

func TestPasswordResetAnswersTheSameForUnknownAddressesAndWorksOnce(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	request := `mutation($s: String!, $e: String!) { requestPasswordReset(input: {subdomain: $s, email: $e}) }`
	for _, email := range []string{o.email, "nobody@acme.example.com"} {
		var out struct{ RequestPasswordReset bool }
		subgraphstest.Do(t, o.identity(), "", request, map[string]any{"s": o.subdomain, "e": email}).Decode(t, &out)
		assert.True(t, out.RequestPasswordReset)
	}
	_, sent := o.c.Mail.Last(mail.PasswordReset, "nobody@acme.example.com")
	assert.False(t, sent)
	msg, ok := o.c.Mail.Last(mail.PasswordReset, o.email)
	require.True(t, ok)

	reset := `mutation($t: String!, $p: String!) { resetPassword(input: {token: $t, newPassword: $p}) }`
	r := subgraphstest.Do(t, o.identity(), "", reset, map[string]any{"t": msg.Data["token"], "p": "weak"})
	assert.Equal(t, "input.newPassword", r.Field())
	r = subgraphstest.Do(t, o.identity(), "", reset, map[string]any{"t": msg.Data["token"], "p": "brand new pass 2"})
	require.Empty(t, r.Errors)
	assert.Equal(t, "UNAUTHENTICATED", login(t, o, o.email, o.pw).Code())
	assert.Empty(t, login(t, o, o.email, "brand new pass 2").Errors)
	assert.Equal(t, "UNAUTHENTICATED", refresh(t, o, o.refresh).Code(), "a reset signs out every session")
	r = subgraphstest.Do(t, o.identity(), "", reset, map[string]any{"t": msg.Data["token"], "p": "another pass 3"})
	assert.Equal(t, "BAD_USER_INPUT", r.Code(), "a reset token works once")
}

func TestExpiredResetTokenIsRefused(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	subgraphstest.Do(t, o.identity(), "", `mutation($s: String!, $e: String!) { requestPasswordReset(input: {subdomain: $s, email: $e}) }`,
		map[string]any{"s": o.subdomain, "e": o.email})
	msg, _ := o.c.Mail.Last(mail.PasswordReset, o.email)
	require.NoError(t, o.c.DB.InTenant(context.Background(), o.tenantID, func(tx pgxTx) error {
		_, err := tx.Exec(context.Background(), "UPDATE user_tokens SET expires_at = now() - interval '1 minute'")
		return err
	}))
	r := subgraphstest.Do(t, o.identity(), "", `mutation($t: String!) { resetPassword(input: {token: $t, newPassword: "brand new pass 2"}) }`, map[string]any{"t": msg.Data["token"]})
	assert.Equal(t, "BAD_USER_INPUT", r.Code())
	assert.Contains(t, r.Errors[0].Message, "expired")
}

func TestChangePasswordChecksTheCurrentOne(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	change := `mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) }`
	r := subgraphstest.Do(t, o.identity(), o.access, change, map[string]any{"c": "wrong pass 11", "n": "new password 22"})
	assert.Equal(t, "input.currentPassword", r.Field())
	r = subgraphstest.Do(t, o.identity(), o.access, change, map[string]any{"c": o.pw, "n": "new password 22"})
	require.Empty(t, r.Errors)
	assert.Empty(t, login(t, o, o.email, "new password 22").Errors)
}

// TestChangePasswordEndsEveryAccessTokenAsAResetDoes: whoever learnt the
// old password and signed in with it keeps nothing once it is changed.
func TestChangePasswordEndsEveryAccessTokenAsAResetDoes(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	var other struct{ Login authPayload }
	login(t, o, o.email, o.pw).Decode(t, &other) // the attacker's session
	require.Empty(t, me(t, o, other.Login.AccessToken).Errors)

	change := `mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c, newPassword: $n}) }`
	r := subgraphstest.Do(t, o.identity(), o.access, change, map[string]any{"c": o.pw, "n": "new password 22"})
	require.Empty(t, r.Errors)

	for name, access := range map[string]string{"another session's": other.Login.AccessToken, "the caller's": o.access} {
		r := me(t, o, access)
		assert.Equal(t, "UNAUTHENTICATED", r.Code(), name+" access token ends, as after a reset")
	}
	assert.Equal(t, "UNAUTHENTICATED", refresh(t, o, other.Login.RefreshToken).Code())
	assert.Equal(t, "UNAUTHENTICATED", refresh(t, o, o.refresh).Code())
	var again struct{ Login authPayload }
	login(t, o, o.email, "new password 22").Decode(t, &again)
	assert.Empty(t, me(t, o, again.Login.AccessToken).Errors, "a token issued after the change works")
}
