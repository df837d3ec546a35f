package identity_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

type pgxTx = pgx.Tx

func TestInvitedUserJoinsWithTheInvitationsRole(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	rep := o.member(t, "rep@acme.example.com", "SALES_REP")
	assert.Equal(t, "SALES_REP", rep.User.Role)
	assert.True(t, rep.User.EmailVerified, "the invitation proved the address")
	assert.Equal(t, o.tenantID, rep.User.Tenant.ID)
	assert.Empty(t, login(t, o, "rep@acme.example.com", password).Errors)
}

func TestAnInvitationIsSingleUseAndRevocable(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	invite := func(email string) (string, string) {
		var inv struct {
			InviteUser struct {
				Token      string
				Invitation struct{ ID string }
			}
		}
		subgraphstest.Do(t, o.tenant(), o.access, `mutation($e: String!) { inviteUser(input: {email: $e, role: VIEWER}) { token invitation { id } } }`,
			map[string]any{"e": email}).Decode(t, &inv)
		return inv.InviteUser.Token, inv.InviteUser.Invitation.ID
	}
	accept := func(token string) subgraphstest.Response {
		return subgraphstest.Do(t, o.identity(), "", `mutation($t: String!) { acceptInvitation(input: {token: $t, password: "`+password+`", firstName: "V", lastName: "W"}) { accessToken } }`,
			map[string]any{"t": token})
	}
	token, _ := invite("v1@acme.example.com")
	require.Empty(t, accept(token).Errors)
	assert.Equal(t, "BAD_USER_INPUT", accept(token).Code(), "used")

	token, id := invite("v2@acme.example.com")
	r := subgraphstest.Do(t, o.tenant(), o.access, `mutation($id: ID!) { revokeInvitation(id: $id) { status } }`, map[string]any{"id": id})
	require.Empty(t, r.Errors)
	assert.Equal(t, "BAD_USER_INPUT", accept(token).Code(), "revoked")

	token, _ = invite("v3@acme.example.com")
	require.NoError(t, o.c.DB.InPlatform(context.Background(), func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), "UPDATE platform.invitations SET expires_at = now() - interval '1 second' WHERE tenant_id = $1", o.tenantID)
		return err
	}))
	assert.Equal(t, "BAD_USER_INPUT", accept(token).Code(), "expired")
	other, _ := auth.NewOpaqueToken(tenancy.NewID())
	assert.Equal(t, "BAD_USER_INPUT", accept(other).Code(), "unknown")
}

func TestDeactivatingAUserRevokesItsSessionsAndKeepsOneAdmin(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	rep := o.member(t, "gone@acme.example.com", "SALES_REP")
	r := subgraphstest.Do(t, o.identity(), o.access, `mutation($id: ID!) { deactivateUser(id: $id) { status } }`, map[string]any{"id": rep.User.ID})
	var out struct{ DeactivateUser struct{ Status string } }
	r.Decode(t, &out)
	assert.Equal(t, "INACTIVE", out.DeactivateUser.Status)
	assert.Equal(t, "UNAUTHENTICATED", refresh(t, o, rep.RefreshToken).Code())
	r = login(t, o, "gone@acme.example.com", password)
	assert.Equal(t, "UNAUTHENTICATED", r.Code())
	assert.Contains(t, r.Errors[0].Message, "deactivated")

	r = subgraphstest.Do(t, o.identity(), o.access, `mutation($id: ID!) { deactivateUser(id: $id) { status } }`, map[string]any{"id": o.adminID})
	assert.Equal(t, "CONFLICT", r.Code(), "the last admin stays")
	viewer := o.member(t, "viewer@acme.example.com", "VIEWER")
	r = subgraphstest.Do(t, o.identity(), viewer.AccessToken, `mutation($id: ID!) { deactivateUser(id: $id) { status } }`, map[string]any{"id": o.adminID})
	assert.Equal(t, "FORBIDDEN", r.Code())
}

func TestWhoMayChangeAUser(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	rep := o.member(t, "rep@acme.example.com", "SALES_REP")
	update := `mutation($id: ID!, $in: UpdateUserInput!) { updateUser(id: $id, input: $in) { firstName role } }`

	r := subgraphstest.Do(t, o.identity(), rep.AccessToken, update, map[string]any{"id": rep.User.ID, "in": map[string]any{"firstName": "Renamed"}})
	var out struct {
		UpdateUser struct{ FirstName, Role string }
	}
	r.Decode(t, &out)
	assert.Equal(t, "Renamed", out.UpdateUser.FirstName, "anyone renames themselves")

	r = subgraphstest.Do(t, o.identity(), rep.AccessToken, update, map[string]any{"id": rep.User.ID, "in": map[string]any{"role": "ADMIN"}})
	assert.Equal(t, "FORBIDDEN", r.Code(), "nobody promotes themselves")
	r = subgraphstest.Do(t, o.identity(), rep.AccessToken, update, map[string]any{"id": o.adminID, "in": map[string]any{"firstName": "X"}})
	assert.Equal(t, "FORBIDDEN", r.Code())

	r = subgraphstest.Do(t, o.identity(), o.access, update, map[string]any{"id": rep.User.ID, "in": map[string]any{"role": "MANAGER"}})
	r.Decode(t, &out)
	assert.Equal(t, "MANAGER", out.UpdateUser.Role, "admins change roles")

	r = subgraphstest.Do(t, o.identity(), o.access, update, map[string]any{"id": rep.User.ID, "in": map[string]any{"role": "ROOT"}})
	require.NotEmpty(t, r.Errors)
	assert.Contains(t, []string{"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"}, r.Code(), "an unknown role")
	r = subgraphstest.Do(t, o.identity(), o.access, update, map[string]any{"id": tenancy.NewID(), "in": map[string]any{"firstName": "X"}})
	assert.Equal(t, "NOT_FOUND", r.Code())
}

func TestUsersAreListedByNameWithFiltersAndCursors(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	for _, e := range []string{"carol@acme.example.com", "bob@acme.example.com", "dave@acme.example.com"} {
		o.member(t, e, "VIEWER")
	}
	list := `query($f: UserFilter, $first: Int, $after: String) { users(filter: $f, first: $first, after: $after) {
		totalCount edges { cursor node { email } } pageInfo { hasNextPage endCursor } } }`
	type conn struct {
		Users struct {
			TotalCount int
			Edges      []struct{ Node struct{ Email string } }
			PageInfo   struct {
				HasNextPage bool
				EndCursor   string
			}
		}
	}
	var emails []string
	var after any
	for {
		var c conn
		subgraphstest.Do(t, o.identity(), o.access, list, map[string]any{"first": 2, "after": after}).Decode(t, &c)
		assert.Equal(t, 4, c.Users.TotalCount)
		for _, e := range c.Users.Edges {
			emails = append(emails, e.Node.Email)
		}
		if !c.Users.PageInfo.HasNextPage {
			break
		}
		after = c.Users.PageInfo.EndCursor
	}
	// Members are named Mem <local part>; the admin is Ada Admin.
	assert.Equal(t, []string{"admin@acme.example.com", "bob@acme.example.com", "carol@acme.example.com", "dave@acme.example.com"}, emails)

	var c conn
	subgraphstest.Do(t, o.identity(), o.access, list, map[string]any{"f": map[string]any{"role": "VIEWER", "search": "ca"}}).Decode(t, &c)
	require.Len(t, c.Users.Edges, 1)
	assert.Equal(t, "carol@acme.example.com", c.Users.Edges[0].Node.Email)

	subgraphstest.Do(t, o.identity(), o.access, list, map[string]any{"f": map[string]any{"search": "%' OR 1=1 --"}}).Decode(t, &c)
	assert.Empty(t, c.Users.Edges, "search terms are data, not SQL or patterns")

	r := subgraphstest.Do(t, o.identity(), o.access, list, map[string]any{"first": 101})
	assert.Equal(t, "first", r.Field())
	r = subgraphstest.Do(t, o.identity(), o.access, list, map[string]any{"after": "forged"})
	assert.Equal(t, "after", r.Field())
}

func TestATokenOfOneOrganisationNeverReachesAnothersUsers(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	a, b := signUp(t, c), signUp(t, c)
	require.Equal(t, a.email, b.email, "both organisations have a user with the same address")

	r := subgraphstest.Do(t, a.identity(), a.access, `query($id: ID!) { user(id: $id) { email } }`, map[string]any{"id": b.adminID})
	assert.Equal(t, "NOT_FOUND", r.Code(), "another tenant's id is not found, not forbidden")

	r = subgraphstest.Do(t, a.identity(), a.access, `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { id email } } }`,
		map[string]any{"r": []any{map[string]any{"__typename": "User", "id": b.adminID}, map[string]any{"__typename": "User", "id": a.adminID}}})
	var ents struct {
		Entities []*struct{ ID string } `json:"_entities"`
	}
	r.Decode(t, &ents)
	require.Len(t, ents.Entities, 2)
	assert.Nil(t, ents.Entities[0], "B's user does not resolve for A")
	assert.Equal(t, a.adminID, ents.Entities[1].ID)

	var users struct {
		Users struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	subgraphstest.Do(t, a.identity(), a.access, `{ users { edges { node { id } } } }`, nil).Decode(t, &users)
	require.Len(t, users.Users.Edges, 1)
	assert.Equal(t, a.adminID, users.Users.Edges[0].Node.ID)

	// A token whose tid names B but is signed by someone else is refused outright.
	other, _ := auth.ParseKeySet(auth.GenerateKeySpec("test"))
	forged, _, _ := (&auth.Issuer{Keys: other, Issuer: c.Issuer, Audience: c.Audience}).Issue(auth.Identity{UserID: b.adminID, TenantID: b.tenantID, Role: auth.RoleAdmin})
	assert.Equal(t, "UNAUTHENTICATED", me(t, b, forged).Code())
	expired, _, _ := (&auth.Issuer{Keys: c.Keys, Issuer: c.Issuer, Audience: c.Audience, Now: func() time.Time { return time.Now().Add(-time.Hour) }}).Issue(auth.Identity{UserID: a.adminID, TenantID: a.tenantID, Role: auth.RoleAdmin})
	r = me(t, a, expired)
	assert.Equal(t, "UNAUTHENTICATED", r.Code())
	assert.Contains(t, r.Errors[0].Message, "expired")
	assert.Equal(t, "UNAUTHENTICATED", me(t, a, "garbage").Code())
	assert.Equal(t, "UNAUTHENTICATED", me(t, a, "").Code())
}

func TestEntityBatchOfUsersIsOneQuery(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	reps := []any{}
	for range 50 {
		reps = append(reps, map[string]any{"__typename": "User", "id": o.adminID})
	}
	var ents struct {
		Entities []*struct{ Email string } `json:"_entities"`
	}
	subgraphstest.Do(t, o.identity(), o.access, `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { email } } }`,
		map[string]any{"r": reps}).Decode(t, &ents)
	require.Len(t, ents.Entities, 50)
	assert.True(t, strings.HasPrefix(ents.Entities[49].Email, "admin@"))
}

func TestDeactivationAndRoleChangesEndAccessTokensAtOnceInEverySubgraph(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	rep := o.member(t, "rep@acme.example.com", "SALES_REP")
	mgr := o.member(t, "mgr@acme.example.com", "MANAGER")
	tenantOf := func(token string) subgraphstest.Response {
		return subgraphstest.Do(t, o.tenant(), token, `{ tenant { id } }`, nil)
	}
	require.Empty(t, me(t, o, rep.AccessToken).Errors)
	require.Empty(t, tenantOf(rep.AccessToken).Errors)

	subgraphstest.Do(t, o.identity(), o.access, `mutation($id: ID!) { deactivateUser(id: $id) { id } }`, map[string]any{"id": rep.User.ID}).Decode(t, &struct{}{})
	assert.Equal(t, "UNAUTHENTICATED", me(t, o, rep.AccessToken).Code(), "the deactivated user's token no longer works")
	assert.Equal(t, "UNAUTHENTICATED", tenantOf(rep.AccessToken).Code(), "in any subgraph")

	subgraphstest.Do(t, o.identity(), o.access, `mutation($id: ID!) { updateUser(id: $id, input: {role: VIEWER}) { id } }`, map[string]any{"id": mgr.User.ID}).Decode(t, &struct{}{})
	assert.Equal(t, "UNAUTHENTICATED", tenantOf(mgr.AccessToken).Code(), "a token carrying the old role is refused")
	var again struct{ Login authPayload }
	login(t, o, "mgr@acme.example.com", password).Decode(t, &again)
	assert.Equal(t, "VIEWER", again.Login.User.Role)
	assert.Empty(t, tenantOf(again.Login.AccessToken).Errors, "a token issued after the change works")
	assert.Empty(t, me(t, o, o.access).Errors, "other users are not affected")
}

// TestAdminsDeactivatingEachOtherAtOnceLeaveAnActiveAdmin is the race an
// attacker (or two hasty admins) would run: every admin deactivates every
// other at the same moment, many times over. However the requests
// interleave, at least one active admin remains, and every refused one is
// a coded CONFLICT (or FORBIDDEN, once its caller was itself deactivated)
// with a message.
func TestAdminsDeactivatingEachOtherAtOnceLeaveAnActiveAdmin(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	for trial := range 4 {
		o := signUp(t, c)
		admins := []authPayload{{AccessToken: o.access}}
		admins[0].User.ID = o.adminID
		for i := range 3 {
			admins = append(admins, o.member(t, fmt.Sprintf("admin%d@acme.example.com", i), "ADMIN"))
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		codes := map[string]int{}
		for _, by := range admins {
			for _, target := range admins {
				if by.User.ID == target.User.ID {
					continue
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := subgraphstest.Do(t, o.identity(), by.AccessToken, `mutation($id: ID!) { deactivateUser(id: $id) { status } }`,
						map[string]any{"id": target.User.ID})
					mu.Lock()
					defer mu.Unlock()
					codes[r.Code()]++
					if len(r.Errors) > 0 {
						assert.Contains(t, []string{"CONFLICT", "FORBIDDEN", "UNAUTHENTICATED"}, r.Code(), "%+v", r.Errors)
						assert.NotEmpty(t, r.Errors[0].Message)
					}
				}()
			}
		}
		wg.Wait()
		var active int
		require.NoError(t, c.DB.InTenant(context.Background(), o.tenantID, func(tx pgxTx) error {
			return tx.QueryRow(context.Background(), "SELECT count(*) FROM users WHERE role = 'admin' AND status <> 'inactive'").Scan(&active)
		}))
		assert.GreaterOrEqual(t, active, 1, "trial %d: %v", trial, codes)
	}
}
