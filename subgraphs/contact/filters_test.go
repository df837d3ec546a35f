package contact_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/tenancy"
)

func TestContactsAreFilteredByEveryListedField(t *testing.T) {
	t.Parallel()
	o := setup(t)
	m := o.manager()
	acme := o.createCompany(t, m, map[string]any{"name": "Acme", "industry": "Software"})
	globex := o.createCompany(t, m, map[string]any{"name": "Globex", "industry": "Energy"})
	ada := o.createContact(t, m, person("Ada", "Lovelace", "email", "ada@acme.example.com", "companyId", acme, "status", "CUSTOMER", "source", "Referral", "ownerId", o.rep().id))
	time.Sleep(5 * time.Millisecond)
	between := time.Now()
	time.Sleep(5 * time.Millisecond)
	bob := o.createContact(t, m, person("Bob", "Byron", "email", "bob@globex.example.com", "companyId", globex, "source", "website"))
	cat := o.createContact(t, m, person("Cat", "Lovegood"))

	for name, c := range map[string]struct {
		filter map[string]any
		want   []string
	}{
		"no filter":        {nil, []string{bob, cat, ada}},
		"part of a name":   {map[string]any{"name": "LOVE"}, []string{cat, ada}},
		"first and last":   {map[string]any{"name": "ada love"}, []string{ada}},
		"e-mail, any case": {map[string]any{"email": "BOB@globex.example.com"}, []string{bob}},
		"status":           {map[string]any{"status": "CUSTOMER"}, []string{ada}},
		"source, any case": {map[string]any{"source": "referral"}, []string{ada}},
		"owner":            {map[string]any{"ownerId": o.rep().id}, []string{ada}},
		"company":          {map[string]any{"companyId": globex}, []string{bob}},
		"company industry": {map[string]any{"industry": "software"}, []string{ada}},
		"created before":   {map[string]any{"createdBefore": between.Format(time.RFC3339Nano)}, []string{ada}},
		"created after":    {map[string]any{"createdAfter": between.Format(time.RFC3339Nano)}, []string{bob, cat}},
		"all at once":      {map[string]any{"name": "a", "status": "CUSTOMER", "companyId": acme}, []string{ada}},
		"nothing":          {map[string]any{"name": "zed"}, []string{}},
		"LIKE is escaped":  {map[string]any{"name": "%"}, []string{}},
		"unknown company":  {map[string]any{"companyId": tenancy.NewID()}, []string{}},
	} {
		assert.Equal(t, c.want, o.contacts(t, o.viewer(), c.filter), name)
	}
}

func TestCompaniesAreFilteredByEveryListedField(t *testing.T) {
	t.Parallel()
	o := setup(t)
	acme := o.createCompany(t, o.rep(), map[string]any{"name": "Acme Corp", "domain": "acme.example.com", "industry": "Software", "sizeCategory": "11-50"})
	acmeEU := o.createCompany(t, o.manager(), map[string]any{"name": "Acme Europe", "industry": "software", "parentCompanyId": acme})
	globex := o.createCompany(t, o.manager(), map[string]any{"name": "Globex", "industry": "Energy", "sizeCategory": "1000+"})
	for name, c := range map[string]struct {
		filter map[string]any
		want   []string
	}{
		"by name":      {nil, []string{acme, acmeEU, globex}},
		"part of name": {map[string]any{"name": "acme"}, []string{acme, acmeEU}},
		"domain":       {map[string]any{"domain": "ACME.example.com"}, []string{acme}},
		"industry":     {map[string]any{"industry": "SOFTWARE"}, []string{acme, acmeEU}},
		"size":         {map[string]any{"sizeCategory": "1000+"}, []string{globex}},
		"parent":       {map[string]any{"parentCompanyId": acme}, []string{acmeEU}},
		"creator":      {map[string]any{"createdBy": o.rep().id}, []string{acme}},
		"created":      {map[string]any{"createdAfter": "2000-01-01T00:00:00Z", "createdBefore": "2100-01-01T00:00:00Z"}, []string{acme, acmeEU, globex}},
	} {
		assert.Equal(t, c.want, o.companies(t, o.viewer(), c.filter), name)
	}
}

func TestCustomFieldsAreMatchedByValueAndPresenceWithParameters(t *testing.T) {
	t.Parallel()
	o := setup(t)
	m := o.manager()
	gold := o.createContact(t, m, person("Gold", "A", "customFields", map[string]any{"tier": "gold", "seats": 40, "vip": true}))
	silver := o.createContact(t, m, person("Silver", "B", "customFields", map[string]any{"tier": "silver", "seats": "40"}))
	plain := o.createContact(t, m, person("Plain", "C"))
	weird := o.createContact(t, m, person("Weird", "D", "customFields", map[string]any{"a') OR 1=1 --": "x"}))
	company := o.createCompany(t, m, map[string]any{"name": "Big", "customFields": map[string]any{"region": "emea"}})
	o.createCompany(t, m, map[string]any{"name": "Small"})

	match := func(kv ...string) map[string]any {
		var ms []map[string]any
		for i := 0; i < len(kv); i += 2 {
			ms = append(ms, map[string]any{"key": kv[i], "value": kv[i+1]})
		}
		return map[string]any{"customFields": ms}
	}
	assert.Equal(t, []string{gold}, o.contacts(t, o.viewer(), match("tier", "gold")))
	assert.Equal(t, []string{gold, silver}, o.contacts(t, o.viewer(), match("seats", "40")), "the string, or the number whose JSON text it is")
	assert.Equal(t, []string{gold}, o.contacts(t, o.viewer(), match("vip", "true")))
	assert.Equal(t, []string{gold}, o.contacts(t, o.viewer(), match("tier", "gold", "seats", "40")), "every match must hold")
	assert.Equal(t, []string{gold, silver}, o.contacts(t, o.viewer(), map[string]any{"hasCustomFields": []string{"tier"}}))
	assert.Equal(t, []string{gold}, o.contacts(t, o.viewer(), map[string]any{"hasCustomFields": []string{"tier", "vip"}}))
	assert.Equal(t, []string{company}, o.companies(t, o.viewer(), map[string]any{"customFields": []map[string]any{{"key": "region", "value": "emea"}}}))

	// Keys and values are parameters: SQL in them is only text.
	for _, attack := range []map[string]any{
		match("tier' OR '1'='1", "gold"),
		match("tier", `gold"}'::jsonb OR true --`),
		match(`"}'; DROP TABLE contacts; --`, "x"),
		{"hasCustomFields": []string{"tier') OR true --"}},
		{"name": "' OR 1=1 --"},
	} {
		assert.Empty(t, o.contacts(t, o.viewer(), attack), "%v", attack)
	}
	assert.Equal(t, []string{weird}, o.contacts(t, o.viewer(), match("a') OR 1=1 --", "x")), "an odd key is just a key")
	assert.Len(t, o.contacts(t, o.viewer(), nil), 4, "the table is still there")
	_ = plain
}

func TestMalformedCustomFieldsAreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	o := setup(t)
	create := `mutation($in: CreateContactInput!) { createContact(input: $in) { id } }`
	for name, cf := range map[string]any{
		"over 64 KiB":   map[string]any{"blob": strings.Repeat("x", 64<<10)},
		"a key over 64": map[string]any{strings.Repeat("k", 65): 1},
		"an empty key":  map[string]any{"": 1},
	} {
		r := o.do(t, o.rep(), create, map[string]any{"in": person("A", "B", "customFields", cf)})
		assert.Equal(t, "BAD_USER_INPUT", r.Code(), name)
		assert.Equal(t, "input.customFields", r.Field(), name)
	}
	for name, cf := range map[string]any{"a list": []any{1, 2}, "a string": "tier=gold", "a number": 7} {
		r := o.do(t, o.rep(), create, map[string]any{"in": person("A", "B", "customFields", cf)})
		require.NotEmpty(t, r.Errors, name)
		assert.Equal(t, "BAD_USER_INPUT", r.Code(), name)
		assert.Contains(t, r.Errors[0].Path, "customFields", name)
	}
	r := o.do(t, o.rep(), `{ contacts(filter: {hasCustomFields: [""]}) { totalCount } }`, nil)
	assert.Equal(t, "filter.customFields", r.Field())
	assert.Empty(t, o.contacts(t, o.viewer(), nil), "nothing was created")
}
