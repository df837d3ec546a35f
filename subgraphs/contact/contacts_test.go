package contact_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/cache"
)

const contactFields = `id firstName lastName fullName email phone jobTitle companyId company { id name } owner { id }
	status source address { city } customFields notes createdAt updatedAt createdBy { id }`

type contactOut struct {
	ID, FirstName, LastName, FullName, Email, Phone, JobTitle, Status, Source, Notes string
	CompanyID                                                                        *string
	Company                                                                          *struct{ ID, Name string }
	Owner, CreatedBy                                                                 *struct{ ID string }
	Address                                                                          *struct{ City string }
	CustomFields                                                                     map[string]any
}

func TestAContactBelongsToACompanyAndItsCreator(t *testing.T) {
	t.Parallel()
	o := setup(t)
	acme := o.createCompany(t, o.manager(), map[string]any{"name": "Acme"})
	var out struct{ CreateContact contactOut }
	o.data(t, o.rep(), `mutation($in: CreateContactInput!) { createContact(input: $in) { `+contactFields+` } }`,
		map[string]any{"in": person("Ada", "Lovelace", "email", "Ada@Example.com", "companyId", acme, "jobTitle", "CTO",
			"source", "referral", "address", map[string]any{"city": "London"}, "customFields", map[string]any{"vip": true}, "notes", "Met at the fair")}, &out)
	c := out.CreateContact
	assert.Equal(t, "Ada Lovelace", c.FullName)
	assert.Equal(t, "Ada@Example.com", c.Email)
	assert.Equal(t, "LEAD", c.Status, "new contacts are leads")
	require.NotNil(t, c.Company)
	assert.Equal(t, "Acme", c.Company.Name)
	assert.Equal(t, o.rep().id, c.Owner.ID, "the creator owns it unless told otherwise")
	assert.Equal(t, o.rep().id, c.CreatedBy.ID)
	assert.Equal(t, "London", c.Address.City)
	assert.Equal(t, map[string]any{"vip": true}, c.CustomFields)

	var company struct {
		Company struct{ Contacts conn }
	}
	o.data(t, o.viewer(), `query($id: ID!) { company(id: $id) { contacts { `+connFields+` } } }`, map[string]any{"id": acme}, &company)
	assert.Equal(t, []string{c.ID}, company.Company.Contacts.ids())

	var upd struct{ UpdateContact contactOut }
	o.data(t, o.rep(), `mutation($id: ID!, $in: UpdateContactInput!) { updateContact(id: $id, input: $in) { `+contactFields+` } }`,
		map[string]any{"id": c.ID, "in": map[string]any{"status": "CUSTOMER", "companyId": "", "phone": "+44 20 0000"}}, &upd)
	assert.Equal(t, "CUSTOMER", upd.UpdateContact.Status)
	assert.Nil(t, upd.UpdateContact.Company, "an empty companyId detaches the contact")
	assert.Equal(t, "Ada", upd.UpdateContact.FirstName)

	created, updated := o.events(t, "contact.created"), o.events(t, "contact.updated")
	require.Len(t, created, 1)
	assert.Equal(t, map[string]any{"contact_id": c.ID, "first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com",
		"status": "lead", "company_id": acme, "owner_id": o.rep().id}, created[0])
	require.Len(t, updated, 1)
	assert.ElementsMatch(t, []any{"status", "company_id", "phone"}, updated[0]["changed"])

	var del struct{ DeleteContact string }
	o.data(t, o.rep(), `mutation($id: ID!) { deleteContact(id: $id) }`, map[string]any{"id": c.ID}, &del)
	assert.Len(t, o.events(t, "contact.deleted"), 1)
	assert.Equal(t, "NOT_FOUND", o.do(t, o.viewer(), `query($id: ID!) { contact(id: $id) { id } }`, map[string]any{"id": c.ID}).Code())
}

func TestContactLookupsAreCachedAndForgottenOnChange(t *testing.T) {
	t.Parallel()
	o := setup(t)
	id := o.createContact(t, o.rep(), person("Grace", "Hopper"))
	read := func() string {
		var out struct{ Contact struct{ LastName string } }
		o.data(t, o.viewer(), `query($id: ID!) { contact(id: $id) { lastName } }`, map[string]any{"id": id}, &out)
		return out.Contact.LastName
	}
	assert.Equal(t, "Hopper", read())
	n, err := o.c.DB.Cache.Client().Exists(context.Background(), o.c.DB.Cache.Key(o.tenantID, "contact:"+id)).Result()
	require.NoError(t, err)
	assert.EqualValues(t, 1, n, "the lookup is cached under the tenant's namespace")
	ttl, _ := o.c.DB.Cache.Client().TTL(context.Background(), o.c.DB.Cache.Key(o.tenantID, "contact:"+id)).Result()
	assert.InDelta(t, cache.ContactLookupTTL.Seconds(), ttl.Seconds(), 5)

	o.data(t, o.rep(), `mutation($id: ID!) { updateContact(id: $id, input: {lastName: "Murray Hopper"}) { id } }`, map[string]any{"id": id}, &struct{}{})
	assert.Equal(t, "Murray Hopper", read(), "an update forgets the cached lookup")
	o.data(t, o.rep(), `mutation($id: ID!) { deleteContact(id: $id) }`, map[string]any{"id": id}, &struct{}{})
	assert.Equal(t, "NOT_FOUND", o.do(t, o.viewer(), `query($id: ID!) { contact(id: $id) { id } }`, map[string]any{"id": id}).Code(), "and so does a deletion")
}

func TestDeletingACompanyDetachesItsContactsAndSubsidiaries(t *testing.T) {
	t.Parallel()
	o := setup(t)
	parent := o.createCompany(t, o.manager(), map[string]any{"name": "Parent"})
	child := o.createCompany(t, o.manager(), map[string]any{"name": "Child", "parentCompanyId": parent})
	ada := o.createContact(t, o.manager(), person("Ada", "L", "companyId", parent))
	var before struct{ Contact struct{ CompanyID *string } }
	o.data(t, o.viewer(), `query($id: ID!) { contact(id: $id) { companyId } }`, map[string]any{"id": ada}, &before) // cached now
	require.NotNil(t, before.Contact.CompanyID)

	o.data(t, o.manager(), `mutation($id: ID!) { deleteCompany(id: $id) }`, map[string]any{"id": parent}, &struct{}{})
	var after struct {
		Contact struct{ CompanyID *string }
		Company struct{ ParentCompanyID *string }
	}
	o.data(t, o.viewer(), `query($a: ID!, $c: ID!) { contact(id: $a) { companyId } company(id: $c) { parentCompanyId } }`,
		map[string]any{"a": ada, "c": child}, &after)
	assert.Nil(t, after.Contact.CompanyID, "not a stale cached company")
	assert.Nil(t, after.Company.ParentCompanyID)
}

func TestAContactWithAKnownEmailIsAConflictUnlessAllowed(t *testing.T) {
	t.Parallel()
	o := setup(t)
	first := o.createContact(t, o.rep(), person("Ada", "Lovelace", "email", "ada@example.com", "phone", "+44 1"))
	create := `mutation($in: CreateContactInput!) { createContact(input: $in) { id } }`
	r := o.do(t, o.rep(), create, map[string]any{"in": person("Augusta", "King", "email", "ADA@example.com")})
	assert.Equal(t, "CONFLICT", r.Code(), "e-mail addresses are compared ignoring case")
	assert.Equal(t, "input.email", r.Field())
	assert.Contains(t, r.Errors[0].Message, first)

	second := o.createContact(t, o.rep(), person("Augusta", "King", "email", "ada@example.com", "allowDuplicate", true))
	third := o.createContact(t, o.rep(), person("Ada", "Lovelance"))
	o.createContact(t, o.rep(), person("Charles", "Babbage"))

	var dups struct{ FindDuplicates []node }
	o.data(t, o.viewer(), `query($id: ID!) { findDuplicates(contactId: $id) { id } }`, map[string]any{"id": first}, &dups)
	ids := []string{}
	for _, d := range dups.FindDuplicates {
		ids = append(ids, d.ID)
	}
	assert.Equal(t, []string{second, third}, ids, "the same address first, then a similar name")

	var merged struct{ MergeContacts contactOut }
	o.data(t, o.rep(), `mutation($in: MergeContactsInput!) { mergeContacts(input: $in) { `+contactFields+` } }`,
		map[string]any{"in": map[string]any{"keepId": third, "mergeId": first}}, &merged)
	assert.Equal(t, "Lovelance", merged.MergeContacts.LastName, "the kept contact keeps its values")
	assert.Equal(t, "ada@example.com", merged.MergeContacts.Email, "and takes the merged one's where it had none")
	assert.Equal(t, "+44 1", merged.MergeContacts.Phone)
	assert.Equal(t, "NOT_FOUND", o.do(t, o.viewer(), `query($id: ID!) { contact(id: $id) { id } }`, map[string]any{"id": first}).Code())
	deleted := o.events(t, "contact.deleted")
	require.Len(t, deleted, 1)
	assert.Equal(t, third, deleted[0]["merged_into"])
	r = o.do(t, o.rep(), `mutation($in: MergeContactsInput!) { mergeContacts(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"keepId": third, "mergeId": third}})
	assert.Equal(t, "input.mergeId", r.Field())
}

func TestChangingAnEmailToAKnownOneIsAConflictUnlessAllowed(t *testing.T) {
	t.Parallel()
	o := setup(t)
	o.createContact(t, o.rep(), person("Ada", "Lovelace", "email", "ada@example.com"))
	other := o.createContact(t, o.rep(), person("Augusta", "King", "email", "augusta@example.com"))
	update := `mutation($id: ID!, $in: UpdateContactInput!) { updateContact(id: $id, input: $in) { email } }`
	r := o.do(t, o.rep(), update, map[string]any{"id": other, "in": map[string]any{"email": "Ada@Example.com"}})
	assert.Equal(t, "CONFLICT", r.Code())
	assert.Equal(t, "input.email", r.Field())
	r = o.do(t, o.rep(), update, map[string]any{"id": other, "in": map[string]any{"jobTitle": "Countess"}})
	assert.Empty(t, r.Errors, "other changes do not re-check the address")
	r = o.do(t, o.rep(), update, map[string]any{"id": other, "in": map[string]any{"email": "ada@example.com", "allowDuplicate": true}})
	assert.Empty(t, r.Errors)
}
