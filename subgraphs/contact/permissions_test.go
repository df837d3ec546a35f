package contact_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/opencrm/opencrm/pkg/auth"
)

// The permission matrix of docs/architecture.md section 3: everyone reads; viewers do
// nothing else; sales reps create, and change or delete what they own;
// managers and admins change and delete anything.
func TestThePermissionMatrix(t *testing.T) {
	t.Parallel()
	o := setup(t)
	ops := []struct {
		name string
		run  func(as caller) string // the error code, "" on success
	}{
		{"read a contact", func(as caller) string {
			id := o.createContact(t, o.admin(), person("R", "C"))
			return o.do(t, as, `query($id: ID!) { contact(id: $id) { id } }`, map[string]any{"id": id}).Code()
		}},
		{"list contacts and companies", func(as caller) string {
			return o.do(t, as, `{ contacts { totalCount } companies { totalCount } }`, nil).Code()
		}},
		{"search", func(as caller) string { return o.do(t, as, `{ search(query: "x") { __typename } }`, nil).Code() }},
		{"resolve entities", func(as caller) string {
			id := o.createContact(t, o.admin(), person("E", "C"))
			return o.do(t, as, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id } } }`,
				map[string]any{"r": []any{map[string]any{"__typename": "Contact", "id": id}}}).Code()
		}},
		{"create a contact", func(as caller) string {
			return o.do(t, as, `mutation { createContact(input: {firstName: "N", lastName: "C"}) { id } }`, nil).Code()
		}},
		{"create a company", func(as caller) string {
			return o.do(t, as, `mutation { createCompany(input: {name: "N"}) { id } }`, nil).Code()
		}},
		{"update an own contact", func(as caller) string {
			id := o.createContact(t, o.admin(), person("O", "C", "ownerId", as.id))
			return o.do(t, as, `mutation($id: ID!) { updateContact(id: $id, input: {jobTitle: "CEO"}) { id } }`, map[string]any{"id": id}).Code()
		}},
		{"update another's contact", func(as caller) string {
			id := o.createContact(t, o.admin(), person("A", "C"))
			return o.do(t, as, `mutation($id: ID!) { updateContact(id: $id, input: {jobTitle: "CEO"}) { id } }`, map[string]any{"id": id}).Code()
		}},
		{"delete an own contact", func(as caller) string {
			id := o.createContact(t, o.admin(), person("O", "D", "ownerId", as.id))
			return o.do(t, as, `mutation($id: ID!) { deleteContact(id: $id) }`, map[string]any{"id": id}).Code()
		}},
		{"delete another's contact", func(as caller) string {
			id := o.createContact(t, o.admin(), person("A", "D"))
			return o.do(t, as, `mutation($id: ID!) { deleteContact(id: $id) }`, map[string]any{"id": id}).Code()
		}},
		{"update an own company", func(as caller) string {
			id := o.createCompanyAs(t, as, "Mine")
			return o.do(t, as, `mutation($id: ID!) { updateCompany(id: $id, input: {phone: "1"}) { id } }`, map[string]any{"id": id}).Code()
		}},
		{"delete another's company", func(as caller) string {
			id := o.createCompany(t, o.admin(), map[string]any{"name": "Theirs"})
			return o.do(t, as, `mutation($id: ID!) { deleteCompany(id: $id) }`, map[string]any{"id": id}).Code()
		}},
		{"give a contact to someone else", func(as caller) string {
			return o.do(t, as, `mutation($o: ID!) { createContact(input: {firstName: "G", lastName: "C", ownerId: $o}) { id } }`,
				map[string]any{"o": o.admin().id}).Code()
		}},
	}
	// Rows: operations; columns: admin, manager, sales_rep, viewer, nobody.
	want := map[string][5]string{
		"read a contact":                 {"", "", "", "", "UNAUTHENTICATED"},
		"list contacts and companies":    {"", "", "", "", "UNAUTHENTICATED"},
		"search":                         {"", "", "", "", "UNAUTHENTICATED"},
		"resolve entities":               {"", "", "", "", "UNAUTHENTICATED"},
		"create a contact":               {"", "", "", "FORBIDDEN", "UNAUTHENTICATED"},
		"create a company":               {"", "", "", "FORBIDDEN", "UNAUTHENTICATED"},
		"update an own contact":          {"", "", "", "FORBIDDEN", "UNAUTHENTICATED"},
		"update another's contact":       {"", "", "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED"},
		"delete an own contact":          {"", "", "", "FORBIDDEN", "UNAUTHENTICATED"},
		"delete another's contact":       {"", "", "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED"},
		"update an own company":          {"", "", "", "FORBIDDEN", "UNAUTHENTICATED"},
		"delete another's company":       {"", "", "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED"},
		"give a contact to someone else": {"", "", "FORBIDDEN", "FORBIDDEN", "UNAUTHENTICATED"},
	}
	callers := []caller{o.admin(), o.manager(), o.rep(), o.viewer(), {id: o.viewer().id}} // anonymous: no token (its "own" records are a real user's)
	for _, op := range ops {
		for i, as := range callers {
			role := []auth.Role{auth.RoleAdmin, auth.RoleManager, auth.RoleSalesRep, auth.RoleViewer, "anonymous"}[i]
			assert.Equal(t, want[op.name][i], op.run(as), fmt.Sprintf("%s may %s", role, op.name))
		}
	}
}

// createCompanyAs creates a company as a caller that may not be allowed to;
// for a viewer it returns a company created by someone else.
func (o *org) createCompanyAs(t *testing.T, as caller, name string) string {
	var out struct{ CreateCompany struct{ ID string } }
	r := o.do(t, as, `mutation($n: String!) { createCompany(input: {name: $n}) { id } }`, map[string]any{"n": name})
	if r.Code() != "" {
		return o.createCompany(t, o.admin(), map[string]any{"name": name})
	}
	r.Decode(t, &out)
	return out.CreateCompany.ID
}

func TestASalesRepOwnsWhatItCreatedWithoutAnOwner(t *testing.T) {
	t.Parallel()
	o := setup(t)
	id := o.createContact(t, o.rep(), person("R", "C"))
	o.data(t, o.manager(), `mutation($id: ID!) { updateContact(id: $id, input: {ownerId: ""}) { id } }`, map[string]any{"id": id}, &struct{}{})
	r := o.do(t, o.rep(), `mutation($id: ID!) { updateContact(id: $id, input: {jobTitle: "CTO"}) { owner { id } } }`, map[string]any{"id": id})
	assert.Empty(t, r.Errors, "the creator of a contact without owner may change it")
	other := o.newUser(t, auth.RoleSalesRep)
	assert.Equal(t, "FORBIDDEN", o.do(t, other, `mutation($id: ID!) { deleteContact(id: $id) }`, map[string]any{"id": id}).Code())
}
