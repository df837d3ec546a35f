package tenant_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/mail"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

type org struct {
	c                          *subgraphstest.Cluster
	subdomain, tenantID, admin string
	token                      string
}

func signUp(t *testing.T, c *subgraphstest.Cluster) org {
	t.Helper()
	sub := "t-" + strings.ToLower(tenancy.NewID()[18:])
	var out struct {
		SignUp struct {
			AccessToken string
			User        struct {
				ID     string
				Tenant struct{ ID string }
			}
		}
	}
	subgraphstest.Do(t, c.URLs["identity"], "", `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken user { id tenant { id } } } }`,
		map[string]any{"in": map[string]any{"organizationName": "Org " + sub, "subdomain": sub, "email": "admin@org.example.com",
			"password": "s3cret-enough pass", "firstName": "A", "lastName": "B"}}).Decode(t, &out)
	return org{c: c, subdomain: sub, tenantID: out.SignUp.User.Tenant.ID, admin: out.SignUp.User.ID, token: out.SignUp.AccessToken}
}

func (o org) do(t *testing.T, token, q string, vars map[string]any) subgraphstest.Response {
	return subgraphstest.Do(t, o.c.URLs["tenant"], token, q, vars)
}

// as returns a token of the organisation for a user with the role.
func (o org) as(t *testing.T, role auth.Role) string {
	return o.c.Token(t, auth.Identity{UserID: tenancy.NewID(), TenantID: o.tenantID, Email: "x@org.example.com", Role: role})
}

func TestTheCallersOrganisation(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	var out struct {
		Tenant struct{ ID, Name, Subdomain, SchemaName, Status string }
	}
	o.do(t, o.as(t, auth.RoleViewer), `{ tenant { id name subdomain schemaName status } }`, nil).Decode(t, &out)
	assert.Equal(t, o.tenantID, out.Tenant.ID)
	assert.Equal(t, "tenant_"+strings.ToLower(o.tenantID), out.Tenant.SchemaName)
	assert.Equal(t, "ACTIVE", out.Tenant.Status)
	assert.Equal(t, "UNAUTHENTICATED", o.do(t, "", `{ tenant { id } }`, nil).Code())
}

func TestTenantBySubdomainIsPublicAndShowsLittle(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	var out struct {
		TenantBySubdomain *struct{ ID, Name, Subdomain string }
	}
	o.do(t, "", `query($s: String!) { tenantBySubdomain(subdomain: $s) { id name subdomain } }`, map[string]any{"s": strings.ToUpper(o.subdomain)}).Decode(t, &out)
	require.NotNil(t, out.TenantBySubdomain)
	assert.Equal(t, o.tenantID, out.TenantBySubdomain.ID)
	o.do(t, "", `{ tenantBySubdomain(subdomain: "no-such-organisation") { id } }`, nil).Decode(t, &out)
	assert.Nil(t, out.TenantBySubdomain)
	r := o.do(t, "", `{ tenantBySubdomain(subdomain: "x") { schemaName } }`, nil)
	assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", r.Code(), "the public type has no schema name")
}

func TestOnlyAdminsRenameTheOrganisation(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	rename := `mutation($n: String!) { updateTenant(input: {name: $n}) { name } }`
	assert.Equal(t, "FORBIDDEN", o.do(t, o.as(t, auth.RoleManager), rename, map[string]any{"n": "Nope"}).Code())
	assert.Equal(t, "input.name", o.do(t, o.token, rename, map[string]any{"n": " "}).Field())
	assert.Equal(t, "input.name", o.do(t, o.token, rename, map[string]any{"n": strings.Repeat("n", 256)}).Field())
	var out struct{ UpdateTenant struct{ Name string } }
	o.do(t, o.token, rename, map[string]any{"n": "Renamed Inc."}).Decode(t, &out)
	assert.Equal(t, "Renamed Inc.", out.UpdateTenant.Name)
	var got struct{ Tenant struct{ Name string } }
	o.do(t, o.token, `{ tenant { name } }`, nil).Decode(t, &got)
	assert.Equal(t, "Renamed Inc.", got.Tenant.Name, "the cached tenant was invalidated")
}

func TestInvitingSomeone(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	invite := `mutation($e: String!, $r: Role!) { inviteUser(input: {email: $e, role: $r}) { token invitation { id email role status expiresAt invitedBy { id } } } }`
	var out struct {
		InviteUser struct {
			Token      string
			Invitation struct {
				ID, Email, Role, Status, ExpiresAt string
				InvitedBy                          struct{ ID string }
			}
		}
	}
	o.do(t, o.token, invite, map[string]any{"e": "new@org.example.com", "r": "MANAGER"}).Decode(t, &out)
	inv := out.InviteUser.Invitation
	assert.Equal(t, "PENDING", inv.Status)
	assert.Equal(t, "MANAGER", inv.Role)
	assert.Equal(t, o.admin, inv.InvitedBy.ID)
	msg, ok := o.c.Mail.Last(mail.Invitation, "new@org.example.com")
	require.True(t, ok, "the invitation is e-mailed")
	assert.Equal(t, out.InviteUser.Token, msg.Data["token"])

	assert.Equal(t, "CONFLICT", o.do(t, o.token, invite, map[string]any{"e": "NEW@org.example.com", "r": "VIEWER"}).Code(), "one pending invitation per address")
	assert.Equal(t, "input.email", o.do(t, o.token, invite, map[string]any{"e": "nope", "r": "VIEWER"}).Field())
	assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", o.do(t, o.token, invite, map[string]any{"e": "a@org.example.com", "r": "OWNER"}).Code())
	for _, role := range []auth.Role{auth.RoleManager, auth.RoleSalesRep, auth.RoleViewer} {
		assert.Equal(t, "FORBIDDEN", o.do(t, o.as(t, role), invite, map[string]any{"e": "b@org.example.com", "r": "VIEWER"}).Code(), role)
	}

	revoke := `mutation($id: ID!) { revokeInvitation(id: $id) { status } }`
	var rev struct{ RevokeInvitation struct{ Status string } }
	o.do(t, o.token, revoke, map[string]any{"id": inv.ID}).Decode(t, &rev)
	assert.Equal(t, "REVOKED", rev.RevokeInvitation.Status)
	assert.Equal(t, "CONFLICT", o.do(t, o.token, revoke, map[string]any{"id": inv.ID}).Code(), "only pending invitations are revoked")
	assert.Equal(t, "NOT_FOUND", o.do(t, o.token, revoke, map[string]any{"id": tenancy.NewID()}).Code())
}

func TestInvitationsAreListedNewestFirstByStatus(t *testing.T) {
	t.Parallel()
	o := signUp(t, subgraphstest.Start(t))
	ids := []string{}
	for i := range 5 {
		var out struct {
			InviteUser struct{ Invitation struct{ ID string } }
		}
		o.do(t, o.token, `mutation($e: String!) { inviteUser(input: {email: $e, role: VIEWER}) { invitation { id } } }`,
			map[string]any{"e": "p" + string(rune('a'+i)) + "@org.example.com"}).Decode(t, &out)
		ids = append(ids, out.InviteUser.Invitation.ID)
	}
	o.do(t, o.token, `mutation($id: ID!) { revokeInvitation(id: $id) { id } }`, map[string]any{"id": ids[0]})

	list := `query($s: InvitationStatus, $after: String) { invitations(status: $s, first: 2, after: $after) {
		totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }`
	var seen []string
	var after any
	for {
		var out struct {
			Invitations struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		o.do(t, o.token, list, map[string]any{"s": "PENDING", "after": after}).Decode(t, &out)
		assert.Equal(t, 4, out.Invitations.TotalCount)
		for _, e := range out.Invitations.Edges {
			seen = append(seen, e.Node.ID)
		}
		if !out.Invitations.PageInfo.HasNextPage {
			break
		}
		after = out.Invitations.PageInfo.EndCursor
	}
	assert.Equal(t, []string{ids[4], ids[3], ids[2], ids[1]}, seen)
	assert.Equal(t, "FORBIDDEN", o.do(t, o.as(t, auth.RoleViewer), list, nil).Code())
	assert.Equal(t, "after", o.do(t, o.token, list, map[string]any{"after": "bogus"}).Field())
}

func TestAnotherOrganisationsTenantDoesNotResolve(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	a, b := signUp(t, c), signUp(t, c)
	r := a.do(t, a.token, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Tenant { id subdomain } } }`,
		map[string]any{"r": []any{map[string]any{"__typename": "Tenant", "id": b.tenantID}, map[string]any{"__typename": "Tenant", "id": a.tenantID}}})
	assert.Equal(t, "NOT_FOUND", r.Code(), "another tenant's id is not found, not forbidden")
	var out struct {
		Entities []*struct{ ID string } `json:"_entities"`
	}
	require.NoError(t, json.Unmarshal(r.Data, &out))
	require.Len(t, out.Entities, 2)
	assert.Nil(t, out.Entities[0])
	assert.Equal(t, a.tenantID, out.Entities[1].ID)
	assert.NotContains(t, string(r.Data), b.subdomain)
}
