package contact_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestACompanyIsCreatedReadAndChanged(t *testing.T) {
	t.Parallel()
	o := setup(t)
	id := o.createCompany(t, o.rep(), map[string]any{
		"name": "  Acme Corp ", "domain": "acme.example.com", "industry": "Software", "sizeCategory": "51-200",
		"address": map[string]any{"street": "1 Main St", "city": "Springfield", "country": "US", "postalCode": "12345"},
		"phone":   "+1 555 0100", "website": "https://acme.example.com", "customFields": map[string]any{"tier": "gold", "seats": 40},
	})
	const fields = `id name domain industry sizeCategory parentCompanyId address { street city state country postalCode }
		phone website customFields createdAt updatedAt createdBy { id }`
	type company struct {
		ID, Name, Domain, Industry, SizeCategory, Phone, Website string
		ParentCompanyID                                          *string
		Address                                                  map[string]any
		CustomFields                                             map[string]any
		CreatedBy                                                struct{ ID string }
	}
	var out struct{ Company company }
	o.data(t, o.viewer(), `query($id: ID!) { company(id: $id) { `+fields+` } }`, map[string]any{"id": id}, &out)
	c := out.Company
	assert.Equal(t, "Acme Corp", c.Name, "trimmed")
	assert.Equal(t, "acme.example.com", c.Domain)
	assert.Equal(t, map[string]any{"street": "1 Main St", "city": "Springfield", "state": nil, "country": "US", "postalCode": "12345"}, c.Address)
	assert.Equal(t, map[string]any{"tier": "gold", "seats": float64(40)}, c.CustomFields)
	assert.Equal(t, o.rep().id, c.CreatedBy.ID)
	assert.Nil(t, c.ParentCompanyID)

	var upd struct{ UpdateCompany company }
	o.data(t, o.rep(), `mutation($id: ID!, $in: UpdateCompanyInput!) { updateCompany(id: $id, input: $in) { `+fields+` } }`,
		map[string]any{"id": id, "in": map[string]any{"industry": "Robotics", "website": "", "address": map[string]any{"state": "IL"}}}, &upd)
	assert.Equal(t, "Robotics", upd.UpdateCompany.Industry)
	assert.Empty(t, upd.UpdateCompany.Website, "an empty string clears")
	assert.Equal(t, "IL", upd.UpdateCompany.Address["state"])
	assert.Equal(t, "Springfield", upd.UpdateCompany.Address["city"], "parts left out stay")
	assert.Equal(t, "Acme Corp", upd.UpdateCompany.Name)

	created := o.events(t, "company.created")
	require.Len(t, created, 1)
	assert.Equal(t, id, created[0]["company_id"])
	updated := o.events(t, "company.updated")
	require.Len(t, updated, 1)
	assert.ElementsMatch(t, []any{"industry", "website", "address"}, updated[0]["changed"])

	var del struct{ DeleteCompany string }
	o.data(t, o.rep(), `mutation($id: ID!) { deleteCompany(id: $id) }`, map[string]any{"id": id}, &del)
	assert.Equal(t, id, del.DeleteCompany)
	assert.Len(t, o.events(t, "company.deleted"), 1)
	assert.Equal(t, "NOT_FOUND", o.do(t, o.viewer(), `query($id: ID!) { company(id: $id) { id } }`, map[string]any{"id": id}).Code())
}
