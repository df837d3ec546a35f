package contact_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type hit struct {
	Typename string `json:"__typename"`
	ID       string
	Name     string
	FullName string
}

func (o *org) search(t *testing.T, q string) []hit {
	t.Helper()
	var out struct{ Search []hit }
	o.data(t, o.viewer(), `query($q: String!) { search(query: $q, first: 10) { __typename ... on Company { id name } ... on Contact { id fullName } } }`,
		map[string]any{"q": q}, &out)
	return out.Search
}

func TestSearchFindsCompaniesAndContactsDespiteTypos(t *testing.T) {
	t.Parallel()
	o := setup(t)
	m := o.manager()
	john := o.createContact(t, m, person("John", "Smith", "email", "john.smith@acme.example.com"))
	o.createContact(t, m, person("Jane", "Smithers"))
	o.createContact(t, m, person("Joan", "Smyth"))
	o.createContact(t, m, person("Carl", "Jones"))
	acme := o.createCompany(t, m, map[string]any{"name": "Acme Robotics", "domain": "acme.example.com"})
	o.createCompany(t, m, map[string]any{"name": "Globex"})

	hits := o.search(t, "Jhon Smiht")
	require.NotEmpty(t, hits, "two transposed letters still find John Smith")
	assert.Equal(t, hit{Typename: "Contact", ID: john, FullName: "John Smith"}, hits[0])

	hits = o.search(t, "john smith")
	require.NotEmpty(t, hits)
	assert.Equal(t, john, hits[0].ID, "the exact name ranks first")

	hits = o.search(t, "smi")
	assert.Contains(t, ids2(hits), john, "words match by prefix")

	hits = o.search(t, "acme robotcs")
	require.NotEmpty(t, hits)
	assert.Equal(t, hit{Typename: "Company", ID: acme, Name: "Acme Robotics"}, hits[0])

	hits = o.search(t, "ACME")
	assert.Subset(t, ids2(hits), []string{acme, john}, "companies and contacts (by e-mail) alike")

	for _, q := range []string{"'); DROP TABLE contacts; --", "a & b | !c:*", `\`, "%_%"} {
		r := o.do(t, o.viewer(), `query($q: String!) { search(query: $q) { __typename } }`, map[string]any{"q": q})
		assert.Empty(t, r.Errors, "query text is only ever a parameter: %q", q)
	}
	assert.Equal(t, "query", o.do(t, o.viewer(), `{ search(query: "   ") { __typename } }`, nil).Field())
	assert.Equal(t, "first", o.do(t, o.viewer(), `{ search(query: "a", first: 101) { __typename } }`, nil).Field())
}

func ids2(hs []hit) []string {
	out := []string{}
	for _, h := range hs {
		out = append(out, h.ID)
	}
	return out
}
