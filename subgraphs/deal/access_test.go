package deal_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	o := setup(t)
	p := o.defaultPipeline(t)
	owner := o.as(t, auth.RoleSalesRep)
	update := `mutation($id: ID!) { updateDeal(id: $id, input: {title: "New"}) { id } }`
	move := `mutation($id: ID!, $s: ID!) { moveDeal(id: $id, input: {stageId: $s}) { id } }`
	closeDeal := `mutation($id: ID!) { closeDeal(id: $id, input: {won: true}) { id } }`
	del := `mutation($id: ID!) { deleteDeal(id: $id) }`
	addContact := `mutation($id: ID!, $c: ID!) { addDealContact(input: {dealId: $id, contactId: $c}) { id } }`
	pipelines := `mutation($n: String!) { createPipeline(input: {name: $n, stages: [{name: "A", probability: 5, forecastCategory: PIPELINE}]}) { id } }`
	read := `query($id: ID!) { deal(id: $id) { id } deals { totalCount } pipelines { id } pipelineView { totals { totalDeals } } }`
	contact := o.contact(t)

	for _, tc := range []struct {
		role                       auth.Role
		create, writeOwn, writeAny bool
		settings                   bool
	}{
		{auth.RoleAdmin, true, true, true, true},
		{auth.RoleManager, true, true, true, true},
		{auth.RoleSalesRep, true, true, false, false},
		{auth.RoleViewer, false, false, false, false},
	} {
		u := o.as(t, tc.role)
		want := func(ok bool) string {
			if ok {
				return ""
			}
			return "FORBIDDEN"
		}
		theirs := o.create(t, owner.token, map[string]any{})
		r := o.do(t, u.token, read, map[string]any{"id": theirs.ID})
		assert.Empty(t, r.Errors, "%s reads", tc.role)
		assert.Equal(t, want(tc.create), o.do(t, u.token, `mutation { createDeal(input: {title: "Mine"}) { id } }`, nil).Code(), "%s creates", tc.role)
		for name, op := range map[string]string{"update": update, "close": closeDeal, "delete": del} {
			assert.Equal(t, want(tc.writeAny), o.do(t, u.token, op, map[string]any{"id": o.create(t, owner.token, map[string]any{}).ID}).Code(), "%s: %s another's deal", tc.role, name)
		}
		assert.Equal(t, want(tc.writeAny), o.do(t, u.token, move, map[string]any{"id": theirs.ID, "s": p.Stages[1].ID}).Code(), "%s moves another's deal", tc.role)
		assert.Equal(t, want(tc.writeAny), o.do(t, u.token, addContact, map[string]any{"id": theirs.ID, "c": contact}).Code(), "%s adds a contact to another's deal", tc.role)
		assert.Equal(t, want(tc.settings), o.do(t, u.token, pipelines, map[string]any{"n": "P " + string(tc.role)}).Code(), "%s creates pipelines", tc.role)
		if tc.create {
			mine := o.create(t, u.token, map[string]any{})
			assert.Equal(t, want(tc.writeOwn), o.do(t, u.token, update, map[string]any{"id": mine.ID}).Code(), "%s updates its deal", tc.role)
			assert.Equal(t, want(tc.writeOwn), o.do(t, u.token, move, map[string]any{"id": mine.ID, "s": p.Stages[2].ID}).Code(), "%s moves its deal", tc.role)
			assert.Equal(t, want(tc.writeOwn), o.do(t, u.token, del, map[string]any{"id": mine.ID}).Code(), "%s deletes its deal", tc.role)
			give := `mutation($o: ID!) { createDeal(input: {title: "Given", ownerId: $o}) { id } }`
			assert.Equal(t, want(tc.writeAny), o.do(t, u.token, give, map[string]any{"o": o.adminID}).Code(), "%s gives a deal to another", tc.role)
		}
	}
	for _, q := range []string{`{ pipelines { id } }`, `{ deals { totalCount } }`, `mutation { createDeal(input: {title: "x"}) { id } }`} {
		assert.Equal(t, "UNAUTHENTICATED", o.do(t, "", q, nil).Code(), q)
	}
	r := o.do(t, "", `query($r: [_Any!]!) { _entities(representations: $r) { ... on Deal { id } } }`,
		map[string]any{"r": []map[string]any{{"__typename": "Deal", "id": tenancy.NewID()}}})
	assert.Equal(t, "UNAUTHENTICATED", r.Code(), "_entities needs a caller too")
}

func TestAnotherOrganisationsDealsAreNotFound(t *testing.T) {
	t.Parallel()
	o := setup(t)
	other := signUp(t, o.c)
	d := o.create(t, o.admin, map[string]any{"value": 10})
	p := o.defaultPipeline(t)
	for name, tc := range map[string]struct {
		q    string
		vars map[string]any
	}{
		"read":            {`query($id: ID!) { deal(id: $id) { id } }`, map[string]any{"id": d.ID}},
		"update":          {`mutation($id: ID!) { updateDeal(id: $id, input: {title: "x"}) { id } }`, map[string]any{"id": d.ID}},
		"move":            {`mutation($id: ID!, $s: ID!) { moveDeal(id: $id, input: {stageId: $s}) { id } }`, map[string]any{"id": d.ID, "s": p.Stages[1].ID}},
		"close":           {`mutation($id: ID!) { closeDeal(id: $id, input: {won: true}) { id } }`, map[string]any{"id": d.ID}},
		"delete":          {`mutation($id: ID!) { deleteDeal(id: $id) }`, map[string]any{"id": d.ID}},
		"contact":         {`mutation($id: ID!) { addDealContact(input: {dealId: $id, contactId: "01HZZZZZZZZZZZZZZZZZZZZZZZ"}) { id } }`, map[string]any{"id": d.ID}},
		"pipeline":        {`query($p: ID!) { pipelineView(pipelineId: $p) { totals { totalDeals } } }`, map[string]any{"p": p.ID}},
		"update pipeline": {`mutation($p: ID!) { updatePipeline(id: $p, input: {name: "Mine"}) { id } }`, map[string]any{"p": p.ID}},
	} {
		assert.Equal(t, "NOT_FOUND", o.do(t, other.admin, tc.q, tc.vars).Code(), name)
	}
	var ents struct {
		Entities []*struct{ ID string } `json:"_entities"`
	}
	o.do(t, other.admin, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Deal { id } } }`,
		map[string]any{"r": []map[string]any{{"__typename": "Deal", "id": d.ID}}}).Decode(t, &ents)
	assert.Equal(t, []*struct{ ID string }{nil}, ents.Entities, "another organisation's deal resolves to null")
	var list struct{ Deals struct{ TotalCount int } }
	o.do(t, other.admin, `{ deals { totalCount } }`, nil).Decode(t, &list)
	assert.Zero(t, list.Deals.TotalCount)
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	o := setup(t)
	p := o.defaultPipeline(t)
	other := o.createPipeline(t, "Other")
	d := o.create(t, o.admin, map[string]any{})
	create := `mutation($in: CreateDealInput!) { createDeal(input: $in) { id } }`
	for _, tc := range []struct {
		name, field string
		in          map[string]any
	}{
		{"negative value", "input.value", map[string]any{"value": -1}},
		{"probability over 100", "input.probability", map[string]any{"probability": 101}},
		{"negative probability", "input.probability", map[string]any{"probability": -1}},
		{"unknown currency", "input.currency", map[string]any{"currency": "XYZ"}},
		{"empty title", "input.title", map[string]any{"title": "  "}},
		{"malformed company", "input.companyId", map[string]any{"companyId": "acme"}},
		{"malformed contact", "input.primaryContactId", map[string]any{"primaryContactId": "42"}},
		{"malformed owner", "input.ownerId", map[string]any{"ownerId": "x"}},
		{"stage of another pipeline", "input.stageId", map[string]any{"pipelineId": p.ID, "stageId": other.Stages[0].ID}},
		{"closed stage", "input.stageId", map[string]any{"stageId": p.stage(t, "Closed Won").ID}},
	} {
		in := map[string]any{"title": "T"}
		for k, v := range tc.in {
			in[k] = v
		}
		r := o.do(t, o.admin, create, map[string]any{"in": in})
		assert.Equal(t, "BAD_USER_INPUT", r.Code(), tc.name)
		assert.Equal(t, tc.field, r.Field(), tc.name)
	}
	r := o.do(t, o.admin, create, map[string]any{"in": map[string]any{"title": "T", "expectedCloseDate": "31/01/2030"}})
	assert.Equal(t, "BAD_USER_INPUT", r.Code(), "a date that is not a date")
	assert.Contains(t, r.Errors[0].Path, "expectedCloseDate", "the error's path names the field")
	assert.Equal(t, "NOT_FOUND", o.do(t, o.admin, create, map[string]any{"in": map[string]any{"title": "T", "pipelineId": tenancy.NewID()}}).Code())

	update := `mutation($id: ID!, $in: UpdateDealInput!) { updateDeal(id: $id, input: $in) { id } }`
	for field, in := range map[string]map[string]any{
		"input.value": {"value": -0.01}, "input.probability": {"probability": 200}, "input.currency": {"currency": "usdollar"},
	} {
		assert.Equal(t, field, o.do(t, o.admin, update, map[string]any{"id": d.ID, "in": in}).Field())
	}
	assert.Equal(t, "id", o.do(t, o.admin, update, map[string]any{"id": "nope", "in": map[string]any{}}).Field(), "a malformed id")
	assert.Equal(t, "NOT_FOUND", o.do(t, o.admin, update, map[string]any{"id": tenancy.NewID(), "in": map[string]any{}}).Code())
	assert.Equal(t, "input.stageId", o.move(t, o.admin, d.ID, "stage-1").Field())
	assert.Equal(t, "input.contactId", o.do(t, o.admin, `mutation($id: ID!) { addDealContact(input: {dealId: $id, contactId: "c-1"}) { id } }`,
		map[string]any{"id": d.ID}).Field())
	assert.Equal(t, "first", o.do(t, o.admin, `{ deals(first: 101) { totalCount } }`, nil).Field())
	assert.Equal(t, "after", o.do(t, o.admin, `{ deals(after: "bm90LW91cnM") { totalCount } }`, nil).Field())
	assert.Equal(t, "filter.ownerId", o.do(t, o.admin, `{ deals(filter: {ownerId: "me"}) { totalCount } }`, nil).Field())
	assert.Equal(t, "dealsPerStage", o.do(t, o.admin, `{ pipelineView(dealsPerStage: 10000) { totals { totalDeals } } }`, nil).Field())
	assert.Equal(t, "to", o.do(t, o.admin, `{ forecast(from: "2030-02-01", to: "2030-01-01") { rows { key } } }`, nil).Field())
	assert.Equal(t, "BAD_USER_INPUT", o.do(t, o.admin, `query($f: Date!) { forecast(from: $f, to: "2030-01-01") { rows { key } } }`, map[string]any{"f": "2030-13-01"}).Code())
}
