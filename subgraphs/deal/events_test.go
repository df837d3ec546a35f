package deal_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
)

const updateDeal = `mutation($id: ID!, $in: UpdateDealInput!) { updateDeal(id: $id, input: $in) { id } }`

// change is a field's old and new values of a *.updated event, decoded.
type change struct{ Old, New any }

func changesOf(t *testing.T, p events.DealPayload) map[string]change {
	t.Helper()
	out := map[string]change{}
	for name, c := range p.Changes {
		var ch change
		require.NoError(t, json.Unmarshal(c.Old, &ch.Old))
		require.NoError(t, json.Unmarshal(c.New, &ch.New))
		out[name] = ch
	}
	return out
}

// updateDeal emits deal.updated in its transaction: the deal after the
// change, the fields it changed and their old and new values; a change
// that changes nothing emits nothing.
func TestUpdatingADealEmitsDealUpdatedWithTheChangedFields(t *testing.T) {
	t.Parallel()
	o := setup(t)
	rep := o.as(t, auth.RoleSalesRep)
	company := o.company(t)
	d := o.create(t, rep.token, map[string]any{"title": "Old title", "value": 10, "description": "x", "companyId": company})

	o.do(t, rep.token, updateDeal, map[string]any{"id": d.ID, "in": map[string]any{
		"title": "New title", "value": "20.50", "description": nil, "companyId": nil, "currency": "USD",
		"expectedCloseDate": "2031-02-28", "customFields": map[string]any{"seats": 5},
	}}).Decode(t, &struct{}{})

	types, payloads := o.events(t, d.ID)
	require.Equal(t, []string{"deal.created", "deal.updated"}, types)
	p := payloads[1]
	assert.Equal(t, "New title", p.Title)
	assert.Equal(t, 20.5, *p.Value)
	assert.Equal(t, "Prospecting", p.Stage, "the payload describes the deal in its stage")
	assert.Empty(t, p.CompanyID)
	assert.Equal(t, []string{"company_id", "custom_fields", "description", "expected_close_date", "title", "value"}, p.Changed,
		"the currency was already USD: not a change")
	assert.Equal(t, map[string]change{
		"title":               {"Old title", "New title"},
		"value":               {10.0, 20.5},
		"description":         {"x", nil},
		"company_id":          {company, nil},
		"expected_close_date": {nil, "2031-02-28"},
		"custom_fields":       {map[string]any{}, map[string]any{"seats": 5.0}},
	}, changesOf(t, p))

	o.do(t, rep.token, updateDeal, map[string]any{"id": d.ID, "in": map[string]any{"title": "New title"}}).Decode(t, &struct{}{})
	types, _ = o.events(t, d.ID)
	assert.Equal(t, []string{"deal.created", "deal.updated"}, types, "an update that changes nothing is no event")
}

// deleteDeal emits deal.deleted describing the deal as it was.
func TestDeletingADealEmitsDealDeleted(t *testing.T) {
	t.Parallel()
	o := setup(t)
	rep := o.as(t, auth.RoleSalesRep)
	d := o.create(t, rep.token, map[string]any{"title": "Doomed", "value": 30})
	o.do(t, rep.token, `mutation($id: ID!) { deleteDeal(id: $id) }`, map[string]any{"id": d.ID}).Decode(t, &struct{}{})

	types, payloads := o.events(t, d.ID)
	require.Equal(t, []string{"deal.created", "deal.deleted"}, types)
	p := payloads[1]
	assert.Equal(t, "Doomed", p.Title)
	assert.Equal(t, 30.0, *p.Value)
	assert.Equal(t, "Prospecting", p.Stage)
	assert.Equal(t, d.Stage.ID, p.StageID)
	assert.Equal(t, rep.id, p.OwnerID)
	assert.Empty(t, p.Changed)

	assert.Equal(t, "NOT_FOUND", o.do(t, rep.token, `mutation($id: ID!) { deleteDeal(id: $id) }`, map[string]any{"id": d.ID}).Code())
	types, _ = o.events(t, d.ID)
	assert.Equal(t, []string{"deal.created", "deal.deleted"}, types, "deleting a deleted deal emits nothing")
}

// An upsert that changes a deal emits deal.updated (before the
// deal.stage_changed of its stageId); an upsert refused after its change
// was written rolls the change back with its event.
func TestAnUpsertThatChangesADealEmitsDealUpdated(t *testing.T) {
	t.Parallel()
	o := setup(t)
	rep := o.as(t, auth.RoleSalesRep)
	p := o.defaultPipeline(t)
	var first dealUpsert
	o.do(t, rep.token, upsertDeal, map[string]any{"in": map[string]any{"externalId": "erp-7", "title": "Seven", "value": "100"}}).Decode(t, &first)
	id := first.UpsertDeal.Deal.ID

	o.do(t, rep.token, upsertDeal, map[string]any{"in": map[string]any{"externalId": "erp-7", "value": "150", "stageId": p.stage(t, "Proposal").ID}}).Decode(t, &struct{}{})
	types, payloads := o.events(t, id)
	require.Equal(t, []string{"deal.created", "deal.updated", "deal.stage_changed"}, types)
	assert.Equal(t, []string{"value"}, payloads[1].Changed)
	assert.Equal(t, map[string]change{"value": {100.0, 150.0}}, changesOf(t, payloads[1]))

	other := o.createPipeline(t, "Elsewhere")
	r := o.do(t, rep.token, upsertDeal, map[string]any{"in": map[string]any{"externalId": "erp-7", "value": "999", "stageId": other.Stages[0].ID}})
	assert.Equal(t, "input.stageId", r.Field(), "the stage is refused after the value was written")
	types, _ = o.events(t, id)
	assert.Equal(t, []string{"deal.created", "deal.updated", "deal.stage_changed"}, types, "the rolled-back change wrote no event")
	var got struct{ Deal struct{ Value string } }
	o.do(t, rep.token, `query($id: ID!) { deal(id: $id) { value } }`, map[string]any{"id": id}).Decode(t, &got)
	assert.Equal(t, "150.00", got.Deal.Value)
}
