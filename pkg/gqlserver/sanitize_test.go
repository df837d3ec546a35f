package gqlserver_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/customfields"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// signUp creates an organisation and returns its admin's access token.
func signUp(t *testing.T, c *subgraphstest.Cluster) string {
	t.Helper()
	sub := "nul-" + strings.ToLower(tenancy.NewID()[18:])
	r := subgraphstest.Do(t, c.URLs["identity"], "", `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken } }`,
		map[string]any{"in": map[string]any{"organizationName": "Nul", "subdomain": sub, "email": "admin@nul.example.com",
			"password": "s3cret-enough pass", "firstName": "Ada", "lastName": "Admin"}})
	var out struct{ SignUp struct{ AccessToken string } }
	r.Decode(t, &out)
	return out.SignUp.AccessToken
}

// nested is a JSON object nested depth levels deep (the object itself is
// level 1).
func nested(depth int) map[string]any {
	m := map[string]any{"leaf": "x"}
	for i := 1; i < depth; i++ {
		m = map[string]any{"k": m}
	}
	return m
}

// TestHostileStringsAreRefusedBeforeAnyResolver sends what an attacker
// would: NUL characters in public and signed-in arguments, literal and as
// variables, in ids, filters, search and custom fields (keys too), and
// custom fields nested hundreds of levels deep. Each is one BAD_USER_INPUT
// naming the argument, never INTERNAL.
func TestHostileStringsAreRefusedBeforeAnyResolver(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	token := signUp(t, c)
	createContact := `mutation($f: JSON) { createContact(input: {firstName: "A", lastName: "B", customFields: $f}) { id } }`
	cases := []struct {
		name, subgraph, token, query string
		vars                         map[string]any
		field                        string
	}{
		{"public tenantBySubdomain, variable", "tenant", "", `query($s: String!) { tenantBySubdomain(subdomain: $s) { name } }`,
			map[string]any{"s": "acme\x00"}, "subdomain"},
		{"public tenantBySubdomain, literal", "tenant", "", `{ tenantBySubdomain(subdomain: "ac\u0000me") { name } }`, nil, "subdomain"},
		{"public login", "identity", "", `mutation($in: LoginInput!) { login(input: $in) { accessToken } }`,
			map[string]any{"in": map[string]any{"subdomain": "acme", "email": "a\x00@b.example.com", "password": "x"}}, "input.email"},
		{"a filter", "identity", token, `query($q: String) { users(filter: {search: $q}) { totalCount } }`,
			map[string]any{"q": "\x00"}, "filter.search"},
		{"a literal filter", "contact", token, `{ contacts(filter: {name: "x\u0000"}) { totalCount } }`, nil, "filter.name"},
		{"search", "contact", token, `query($q: String!) { search(query: $q) { __typename } }`, map[string]any{"q": "ad\x00a"}, "query"},
		{"an id", "identity", token, `query($id: ID!) { user(id: $id) { id } }`, map[string]any{"id": "01J\x00"}, "id"},
		{"a cursor", "identity", token, `query($a: String) { users(after: $a) { totalCount } }`, map[string]any{"a": "\x00"}, "after"},
		{"a custom field value", "contact", token, createContact, map[string]any{"f": map[string]any{"tier": "go\x00ld"}}, "input.customFields"},
		{"a custom field key", "contact", token, createContact, map[string]any{"f": map[string]any{"ti\x00er": "gold"}}, "input.customFields"},
		{"a nested custom field key", "contact", token, createContact,
			map[string]any{"f": map[string]any{"a": []any{map[string]any{"\x00": 1}}}}, "input.customFields"},
		{"a literal custom field", "contact", token, `mutation { createContact(input: {firstName: "A", lastName: "B", customFields: {tier: "\u0000"}}) { id } }`,
			nil, "input.customFields"},
		{"custom fields as a JSON string", "contact", token, createContact, map[string]any{"f": `{"tier": "\u0000"}`}, "input.customFields"},
		{"custom fields 300 levels deep", "contact", token, createContact, map[string]any{"f": nested(300)}, "input.customFields"},
		{"custom fields one level too deep", "contact", token, createContact,
			map[string]any{"f": nested(customfields.MaxDepth + 1)}, "input.customFields"},
	}
	for _, tc := range cases {
		r := subgraphstest.Do(t, c.URLs[tc.subgraph], tc.token, tc.query, tc.vars)
		require.NotEmpty(t, r.Errors, tc.name)
		assert.Less(t, r.Status, 500, tc.name)
		assert.Equal(t, "BAD_USER_INPUT", r.Code(), "%s: %+v", tc.name, r.Errors)
		assert.Equal(t, tc.field, r.Field(), tc.name)
		assert.NotContains(t, strings.ToLower(r.Errors[0].Message), "sqlstate", tc.name)
	}

	// At the limit is fine, and so is an ordinary string.
	r := subgraphstest.Do(t, c.URLs["contact"], token, createContact, map[string]any{"f": nested(customfields.MaxDepth)})
	assert.Empty(t, r.Errors)
	r = subgraphstest.Do(t, c.URLs["tenant"], "", `query($s: String!) { tenantBySubdomain(subdomain: $s) { name } }`, map[string]any{"s": "nobody-here"})
	assert.Empty(t, r.Errors)
}
