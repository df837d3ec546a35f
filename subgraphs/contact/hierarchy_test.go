package contact_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/opencrm/opencrm/pkg/tenancy"
)

func TestCompaniesFormATree(t *testing.T) {
	t.Parallel()
	o := setup(t)
	m := o.manager()
	root := o.createCompany(t, m, map[string]any{"name": "Root Holdings"})
	emea := o.createCompany(t, m, map[string]any{"name": "EMEA", "parentCompanyId": root})
	apac := o.createCompany(t, m, map[string]any{"name": "APAC", "parentCompanyId": root})
	uk := o.createCompany(t, m, map[string]any{"name": "UK Ltd", "parentCompanyId": emea})
	london := o.createCompany(t, m, map[string]any{"name": "London Office", "parentCompanyId": uk})

	var out struct {
		Company struct {
			ParentCompany          *node
			ChildCompanies         []node
			Ancestors, Descendants []node
		}
	}
	q := `query($id: ID!) { company(id: $id) { parentCompany { id } childCompanies { id } ancestors { id } descendants { id } } }`
	o.data(t, o.viewer(), q, map[string]any{"id": uk}, &out)
	assert.Equal(t, emea, out.Company.ParentCompany.ID)
	assert.Equal(t, []string{london}, ids(out.Company.ChildCompanies))
	assert.Equal(t, []string{emea, root}, ids(out.Company.Ancestors), "nearest first")
	assert.Equal(t, []string{london}, ids(out.Company.Descendants))

	o.data(t, o.viewer(), q, map[string]any{"id": root}, &out)
	assert.Nil(t, out.Company.ParentCompany)
	assert.Equal(t, []string{apac, emea}, ids(out.Company.ChildCompanies), "by name")
	assert.Empty(t, out.Company.Ancestors)
	assert.Equal(t, []string{apac, emea, uk, london}, ids(out.Company.Descendants), "level by level")

	setParent := func(id, parent string) (string, string) {
		r := o.do(t, m, `mutation($id: ID!, $p: ID) { updateCompany(id: $id, input: {parentCompanyId: $p}) { id } }`,
			map[string]any{"id": id, "p": parent})
		return r.Code(), r.Field()
	}
	code, field := setParent(root, root)
	assert.Equal(t, "BAD_USER_INPUT", code, "a company is not its own parent")
	assert.Equal(t, "input.parentCompanyId", field)
	code, field = setParent(root, london)
	assert.Equal(t, "BAD_USER_INPUT", code, "nor below its descendants: a cycle")
	assert.Equal(t, "input.parentCompanyId", field)
	code, _ = setParent(emea, tenancy.NewID())
	assert.Equal(t, "NOT_FOUND", code, "an unknown parent")

	other := newOrg(t, o.c)
	foreign := other.createCompany(t, other.manager(), map[string]any{"name": "Elsewhere"})
	code, field = setParent(emea, foreign)
	assert.Equal(t, "NOT_FOUND", code, "another organisation's company does not exist here")
	assert.Equal(t, "input.parentCompanyId", field)
	r := o.do(t, m, `mutation($p: ID!) { createCompany(input: {name: "X", parentCompanyId: $p}) { id } }`, map[string]any{"p": foreign})
	assert.Equal(t, "input.parentCompanyId", r.Field())

	code, _ = setParent(uk, apac)
	assert.Empty(t, code, "moving a subtree elsewhere is fine")
	code, _ = setParent(apac, "")
	assert.Empty(t, code, "an empty parent makes a root")
	o.data(t, o.viewer(), q, map[string]any{"id": london}, &out)
	assert.Equal(t, []string{uk, apac}, ids(out.Company.Ancestors))
}

func ids(ns []node) []string {
	out := []string{}
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}
