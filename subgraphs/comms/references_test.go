package comms_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// realOrg is an organisation signed up through the identity subgraph, with
// a company, a contact and a deal made through their own subgraphs.
type realOrg struct {
	admin, adminID           string
	company, contact, dealID string
}

func newRealOrg(t *testing.T, c *subgraphstest.Cluster) realOrg {
	t.Helper()
	sub := "r-" + strings.ToLower(tenancy.NewID()[16:])
	var up struct {
		SignUp struct {
			AccessToken string
			User        struct{ ID string }
		}
	}
	subgraphstest.Do(t, c.URLs["identity"], "", `mutation($in: SignUpInput!) { signUp(input: $in) { accessToken user { id } } }`,
		map[string]any{"in": map[string]any{"organizationName": "Org " + sub, "subdomain": sub, "email": "admin@" + sub + ".example.com",
			"password": "s3cret-enough pass", "firstName": "A", "lastName": "B"}}).Decode(t, &up)
	o := realOrg{admin: up.SignUp.AccessToken, adminID: up.SignUp.User.ID}
	var co struct{ CreateCompany struct{ ID string } }
	subgraphstest.Do(t, c.URLs["contact"], o.admin, `mutation { createCompany(input: {name: "Co"}) { id } }`, nil).Decode(t, &co)
	var ct struct{ CreateContact struct{ ID string } }
	subgraphstest.Do(t, c.URLs["contact"], o.admin, `mutation { createContact(input: {firstName: "C", lastName: "T", email: "ct@client.example.com"}) { id } }`, nil).Decode(t, &ct)
	var d struct{ CreateDeal struct{ ID string } }
	subgraphstest.Do(t, c.URLs["deal"], o.admin, `mutation { createDeal(input: {title: "D"}) { id } }`, nil).Decode(t, &d)
	o.company, o.contact, o.dealID = co.CreateCompany.ID, ct.CreateContact.ID, d.CreateDeal.ID
	return o
}

// Every id an activity, a task or an e-mail names is checked with the
// subgraph that owns it (pkg/refs), through the comms subgraph the registry
// builds: random ids and another organisation's ids are NOT_FOUND naming
// the field, on create and on update, and nothing is written.
func TestActivitiesTasksAndEmailsReferOnlyToRecordsOfTheOrganisation(t *testing.T) {
	t.Parallel()
	c := subgraphstest.Start(t)
	o, other := newRealOrg(t, c), newRealOrg(t, c)
	do := func(q string, vars map[string]any) subgraphstest.Response {
		t.Helper()
		return subgraphstest.Do(t, c.URLs["comms"], o.admin, q, vars)
	}
	logActivity := `mutation($in: LogActivityInput!) { logActivity(input: $in) { id } }`
	updateActivity := `mutation($id: ID!, $in: UpdateActivityInput!) { updateActivity(id: $id, input: $in) { id } }`
	createTask := `mutation($in: CreateTaskInput!) { createTask(input: $in) { id } }`
	updateTask := `mutation($id: ID!, $in: UpdateTaskInput!) { updateTask(id: $id, input: $in) { id } }`

	// Real ids of the organisation: accepted.
	var a struct{ LogActivity struct{ ID string } }
	r := do(logActivity, map[string]any{"in": map[string]any{"type": "NOTE", "subject": "S", "contactId": o.contact,
		"companyId": o.company, "dealId": o.dealID, "ownerId": o.adminID}})
	require.Empty(t, r.Errors, "%+v", r.Errors)
	r.Decode(t, &a)
	var tk struct{ CreateTask struct{ ID string } }
	r = do(createTask, map[string]any{"in": map[string]any{"title": "T", "contactId": o.contact, "companyId": o.company,
		"dealId": o.dealID, "assignedTo": o.adminID}})
	require.Empty(t, r.Errors, "%+v", r.Errors)
	r.Decode(t, &tk)

	bad := map[string]struct{ key, id string }{
		"a random contact":                {"contactId", tenancy.NewID()},
		"another organisation's contact":  {"contactId", other.contact},
		"a company's id as the contact":   {"contactId", o.company},
		"a random company":                {"companyId", tenancy.NewID()},
		"another organisation's company":  {"companyId", other.company},
		"a random deal":                   {"dealId", tenancy.NewID()},
		"another organisation's deal":     {"dealId", other.dealID},
		"a random owner":                  {"ownerId", tenancy.NewID()},
		"another organisation's user":     {"ownerId", other.adminID},
		"a random assignee":               {"assignedTo", tenancy.NewID()},
		"another organisation's assignee": {"assignedTo", other.adminID},
	}
	notFound := func(what string, field string, r subgraphstest.Response) {
		t.Helper()
		assert.Equal(t, "NOT_FOUND", r.Code(), "%s: %+v", what, r.Errors)
		assert.Equal(t, field, r.Field(), what)
	}
	for name, b := range bad {
		field := "input." + b.key
		if b.key != "assignedTo" {
			notFound("logActivity: "+name, field, do(logActivity, map[string]any{"in": map[string]any{"type": "NOTE", "subject": "S", b.key: b.id}}))
			notFound("updateActivity: "+name, field, do(updateActivity, map[string]any{"id": a.LogActivity.ID, "in": map[string]any{b.key: b.id}}))
		}
		if b.key != "ownerId" {
			notFound("createTask: "+name, field, do(createTask, map[string]any{"in": map[string]any{"title": "T", b.key: b.id}}))
			notFound("updateTask: "+name, field, do(updateTask, map[string]any{"id": tk.CreateTask.ID, "in": map[string]any{b.key: b.id}}))
		}
	}

	// sendEmail: the recipient contact and the deal, even with an address given.
	var tpl struct{ CreateEmailTemplate struct{ ID string } }
	do(`mutation { createEmailTemplate(input: {name: "N", subject: "Hi", bodyHtml: "Hello"}) { id } }`, nil).Decode(t, &tpl)
	send := `mutation($in: SendEmailInput!) { sendEmail(input: $in) { id } }`
	for name, in := range map[string]map[string]any{
		"a random recipient":               {"contactId": tenancy.NewID(), "to": "x@attacker.example.com"},
		"another organisation's recipient": {"contactId": other.contact, "to": "x@attacker.example.com"},
		"another organisation's deal":      {"contactId": o.contact, "dealId": other.dealID, "to": "x@attacker.example.com"},
	} {
		in["templateId"] = tpl.CreateEmailTemplate.ID
		field := "input.contactId"
		if in["dealId"] != nil {
			field = "input.dealId"
		}
		notFound("sendEmail: "+name, field, do(send, map[string]any{"in": in}))
	}
	r = do(send, map[string]any{"in": map[string]any{"templateId": tpl.CreateEmailTemplate.ID, "contactId": o.contact,
		"dealId": o.dealID, "to": "ct@client.example.com"}})
	assert.Empty(t, r.Errors, "a real contact and deal: %+v", r.Errors)

	var counts struct {
		Activities, Tasks struct{ TotalCount int }
	}
	do(`{ activities { totalCount } tasks { totalCount } }`, nil).Decode(t, &counts)
	assert.Equal(t, 2, counts.Activities.TotalCount, "the note and the e-mail: nothing else was written")
	assert.Equal(t, 1, counts.Tasks.TotalCount)
}
