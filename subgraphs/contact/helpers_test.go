package contact_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// org is an organisation with one user of each role, served by every
// subgraph of a cluster.
type org struct {
	c        *subgraphstest.Cluster
	tenantID string
	users    map[auth.Role]caller
}

// caller is a user of an organisation and its access token.
type caller struct {
	id, token string
}

func setup(t *testing.T) *org {
	t.Helper()
	return newOrg(t, subgraphstest.Start(t))
}

// newOrg provisions an organisation in the cluster's database.
func newOrg(t testing.TB, c *subgraphstest.Cluster) *org {
	t.Helper()
	sub := "c-" + strings.ToLower(tenancy.NewID()[16:])
	ten, err := c.DB.Provision(context.Background(), "Org "+sub, sub, func(pgx.Tx, tenancy.Tenant) error { return nil })
	require.NoError(t, err)
	o := &org{c: c, tenantID: ten.ID, users: map[auth.Role]caller{}}
	for _, r := range auth.Roles {
		o.users[r] = o.newUser(t, r)
	}
	return o
}

// newUser makes a user of the organisation with the role (a row of the
// identity subgraph's, so owner ids naming it are checked as real) and
// mints its token.
func (o *org) newUser(t testing.TB, r auth.Role) caller {
	id := tenancy.NewID()
	require.NoError(t, o.c.DB.InTenant(context.Background(), o.tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO users (id, email, password_hash, first_name, last_name, role, status)
			VALUES ($1, $2, 'x', 'U', $3, $4, 'active')`, id, id+"@org.example.com", string(r), string(r))
		return err
	}))
	return caller{id: id, token: o.c.Token(t, auth.Identity{UserID: id, TenantID: o.tenantID, Email: id + "@org.example.com", Role: r})}
}

func (o *org) admin() caller   { return o.users[auth.RoleAdmin] }
func (o *org) manager() caller { return o.users[auth.RoleManager] }
func (o *org) rep() caller     { return o.users[auth.RoleSalesRep] }
func (o *org) viewer() caller  { return o.users[auth.RoleViewer] }

// do runs an operation on the contact subgraph.
func (o *org) do(t testing.TB, as caller, query string, vars map[string]any) subgraphstest.Response {
	t.Helper()
	return subgraphstest.Do(t, o.c.URLs["contact"], as.token, query, vars)
}

// data runs an operation that must succeed and decodes its data.
func (o *org) data(t testing.TB, as caller, query string, vars map[string]any, out any) {
	t.Helper()
	o.do(t, as, query, vars).Decode(t, out)
}

// createCompany creates a company with the fields given and returns its id.
func (o *org) createCompany(t testing.TB, as caller, in map[string]any) string {
	t.Helper()
	var out struct{ CreateCompany struct{ ID string } }
	o.data(t, as, `mutation($in: CreateCompanyInput!) { createCompany(input: $in) { id } }`, map[string]any{"in": in}, &out)
	return out.CreateCompany.ID
}

// createContact creates a contact with the fields given and returns its id.
func (o *org) createContact(t testing.TB, as caller, in map[string]any) string {
	t.Helper()
	var out struct{ CreateContact struct{ ID string } }
	o.data(t, as, `mutation($in: CreateContactInput!) { createContact(input: $in) { id } }`, map[string]any{"in": in}, &out)
	return out.CreateContact.ID
}

func person(first, last string, more ...any) map[string]any {
	in := map[string]any{"firstName": first, "lastName": last}
	for i := 0; i+1 < len(more); i += 2 {
		in[more[i].(string)] = more[i+1]
	}
	return in
}

// conn is a connection as the tests read it.
type conn struct {
	TotalCount int
	Edges      []struct {
		Cursor string
		Node   node
	}
	PageInfo struct {
		HasNextPage     bool
		HasPreviousPage bool
		EndCursor       string
	}
}

type node struct {
	ID, Name, FirstName, LastName, FullName, Email string
}

func (c conn) ids() []string {
	out := make([]string, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node.ID
	}
	return out
}

const connFields = `totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor }`

// contacts lists contacts with a filter (a JSON object) and returns their ids.
func (o *org) contacts(t testing.TB, as caller, filter map[string]any) []string {
	t.Helper()
	var out struct{ Contacts conn }
	o.data(t, as, `query($f: ContactFilter) { contacts(filter: $f, first: 100) { `+connFields+` } }`, map[string]any{"f": filter}, &out)
	require.Len(t, out.Contacts.Edges, out.Contacts.TotalCount, "totalCount counts the filter's rows")
	return out.Contacts.ids()
}

// companies lists companies with a filter and returns their ids.
func (o *org) companies(t testing.TB, as caller, filter map[string]any) []string {
	t.Helper()
	var out struct{ Companies conn }
	o.data(t, as, `query($f: CompanyFilter) { companies(filter: $f, first: 100) { `+connFields+` } }`, map[string]any{"f": filter}, &out)
	require.Len(t, out.Companies.Edges, out.Companies.TotalCount)
	return out.Companies.ids()
}

// events returns the payloads of the organisation's events of a type, oldest first.
func (o *org) events(t testing.TB, typ string) []map[string]any {
	t.Helper()
	var out []map[string]any
	require.NoError(t, o.c.DB.InPlatform(context.Background(), func(tx pgx.Tx) error {
		rows, err := tx.Query(context.Background(),
			`SELECT payload->'data' FROM platform.outbox WHERE tenant_id = $1 AND payload->>'type' = $2 ORDER BY id`, o.tenantID, typ)
		if err != nil {
			return err
		}
		raws, err := pgx.CollectRows(rows, pgx.RowTo[json.RawMessage])
		for _, r := range raws {
			var m map[string]any
			_ = json.Unmarshal(r, &m)
			out = append(out, m)
		}
		return err
	}))
	return out
}
