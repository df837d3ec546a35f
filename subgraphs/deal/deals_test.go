package deal_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

func TestEveryTenantStartsWithTheDefaultPipeline(t *testing.T) {
	t.Parallel()
	o := setup(t)
	p := o.defaultPipeline(t)
	assert.Equal(t, "Sales", p.Name)
	var got []string
	for i, s := range p.Stages {
		assert.Equal(t, i, s.Position)
		got = append(got, s.Name)
	}
	assert.Equal(t, []string{"Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"}, got)
	assert.Equal(t, stage{ID: p.Stages[4].ID, Name: "Closed Won", ForecastCategory: "CLOSED", Position: 4, Probability: 100, IsClosed: true, IsWon: true}, p.Stages[4])
	assert.Equal(t, stage{ID: p.Stages[5].ID, Name: "Closed Lost", ForecastCategory: "OMITTED", Position: 5, Probability: 0, IsClosed: true}, p.Stages[5])
	assert.Equal(t, 75, p.stage(t, "Negotiation").Probability)
	assert.Equal(t, "COMMIT", p.stage(t, "Negotiation").ForecastCategory)
}

func TestCreatingAndReadingADeal(t *testing.T) {
	t.Parallel()
	o := setup(t)
	rep := o.as(t, auth.RoleSalesRep)
	company, contact := o.company(t), o.contact(t)
	closeOn := time.Now().UTC().AddDate(0, 0, 30).Format(time.DateOnly)
	d := o.create(t, rep.token, map[string]any{"title": " Big deal ", "description": "Ten seats", "value": 12000.5,
		"currency": "eur", "companyId": company, "primaryContactId": contact, "expectedCloseDate": closeOn,
		"source": "referral", "customFields": map[string]any{"seats": 10}})
	assert.Equal(t, "Big deal", d.Title)
	assert.Equal(t, "EUR", d.Currency)
	assert.Equal(t, "Prospecting", d.Stage.Name)
	assert.Equal(t, 10, d.Probability, "the stage's probability")
	assert.Equal(t, "12000.50", d.Value, "a JSON number in, the string of its two decimals out")
	assert.Equal(t, "1200.05", d.WeightedValue)
	assert.Equal(t, 0, d.DealAgeDays)
	require.NotNil(t, d.DaysUntilClose)
	assert.Equal(t, 30, *d.DaysUntilClose)
	assert.Equal(t, company, d.Company.ID)
	assert.Equal(t, contact, d.PrimaryContact.ID)
	assert.Equal(t, rep.id, d.Owner.ID)
	assert.Equal(t, rep.id, d.CreatedBy.ID)
	assert.Equal(t, float64(10), d.CustomFields["seats"])
	assert.Nil(t, d.ActualCloseDate)
	assert.Equal(t, o.defaultPipeline(t).ID, d.Pipeline.ID)

	var got struct{ Deal dealOut }
	o.do(t, o.as(t, auth.RoleViewer).token, `query($id: ID!) { deal(id: $id) { `+dealFields+` } }`, map[string]any{"id": d.ID}).Decode(t, &got)
	assert.Equal(t, d, got.Deal)

	types, payloads := o.events(t, d.ID)
	require.Equal(t, []string{"deal.created"}, types)
	p := payloads[0]
	assert.Equal(t, "Big deal", p.Title)
	assert.Equal(t, 12000.5, *p.Value)
	assert.Equal(t, "EUR", p.Currency)
	assert.Equal(t, "Prospecting", p.Stage)
	assert.Equal(t, d.Stage.ID, p.StageID)
	assert.Equal(t, d.Pipeline.ID, p.PipelineID)
	assert.Equal(t, rep.id, p.OwnerID)
	assert.Equal(t, company, p.CompanyID)
	assert.Equal(t, contact, p.ContactID)
	assert.Equal(t, closeOn, p.ExpectedCloseDate)
}

func TestMovingADealFollowsTheStageRules(t *testing.T) {
	t.Parallel()
	o := setup(t)
	p := o.defaultPipeline(t)
	rep := o.as(t, auth.RoleSalesRep)
	d := o.create(t, rep.token, map[string]any{"value": 1000})

	var out struct{ MoveDeal dealOut }
	o.move(t, rep.token, d.ID, p.stage(t, "Proposal").ID).Decode(t, &out)
	assert.Equal(t, "Proposal", out.MoveDeal.Stage.Name)
	assert.Equal(t, 50, out.MoveDeal.Probability, "the probability follows the stage")
	assert.Equal(t, "500.00", out.MoveDeal.WeightedValue)
	assert.Nil(t, out.MoveDeal.ActualCloseDate)

	o.move(t, rep.token, d.ID, p.stage(t, "Closed Won").ID).Decode(t, &out)
	assert.Equal(t, 100, out.MoveDeal.Probability)
	require.NotNil(t, out.MoveDeal.ActualCloseDate, "entering a closed stage sets the close date")
	today := time.Now().UTC().Format(time.DateOnly)
	assert.Equal(t, today, *out.MoveDeal.ActualCloseDate)

	o.move(t, rep.token, d.ID, p.stage(t, "Negotiation").ID).Decode(t, &out)
	assert.Nil(t, out.MoveDeal.ActualCloseDate, "reopening clears the close date")
	assert.Equal(t, 75, out.MoveDeal.Probability)

	types, payloads := o.events(t, d.ID)
	assert.Equal(t, []string{"deal.created", "deal.stage_changed", "deal.stage_changed", "deal.closed_won", "deal.stage_changed"}, types)
	won := payloads[3]
	assert.Equal(t, "Closed Won", won.Stage)
	assert.Equal(t, "Proposal", won.PreviousStage)
	assert.Equal(t, p.stage(t, "Proposal").ID, won.PreviousStageID)
	assert.Equal(t, today, won.ActualCloseDate)
	assert.True(t, won.Won)

	var history int
	require.NoError(t, o.c.DB.InTenant(context.Background(), o.tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), "SELECT count(*) FROM deal_stage_history WHERE deal_id = $1", d.ID).Scan(&history)
	}))
	assert.Equal(t, 4, history, "created plus three moves")

	t.Run("a probability set by hand stays", func(t *testing.T) {
		d := o.create(t, rep.token, map[string]any{"value": 100, "probability": 33})
		assert.Equal(t, 33, d.Probability)
		o.move(t, rep.token, d.ID, p.stage(t, "Negotiation").ID).Decode(t, &out)
		assert.Equal(t, 33, out.MoveDeal.Probability)
	})
	t.Run("a stage of another pipeline is refused", func(t *testing.T) {
		other := o.createPipeline(t, "Renewals")
		r := o.move(t, rep.token, d.ID, other.Stages[0].ID)
		assert.Equal(t, "BAD_USER_INPUT", r.Code())
		assert.Equal(t, "input.stageId", r.Field())
		assert.Equal(t, "NOT_FOUND", o.move(t, rep.token, d.ID, tenancy.NewID()).Code())
	})
}

func (o org) createPipeline(t *testing.T, name string) pipeline {
	t.Helper()
	var out struct{ CreatePipeline pipeline }
	o.do(t, o.admin, `mutation($in: CreatePipelineInput!) { createPipeline(input: $in) { `+pipelineFields+` } }`, map[string]any{"in": map[string]any{
		"name": name, "stages": []map[string]any{
			{"name": "Open", "probability": 20, "forecastCategory": "PIPELINE"},
			{"name": "Signed", "probability": 100, "forecastCategory": "CLOSED", "isClosed": true, "isWon": true},
			{"name": "Churned", "probability": 0, "forecastCategory": "OMITTED", "isClosed": true},
		},
	}}).Decode(t, &out)
	return out.CreatePipeline
}

func TestClosingADeal(t *testing.T) {
	t.Parallel()
	o := setup(t)
	rep := o.as(t, auth.RoleSalesRep)
	d := o.create(t, rep.token, map[string]any{"value": 500})
	closeDeal := `mutation($id: ID!, $won: Boolean!, $r: String) { closeDeal(id: $id, input: {won: $won, reason: $r}) { ` + dealFields + ` } }`

	r := o.do(t, rep.token, closeDeal, map[string]any{"id": d.ID, "won": false})
	assert.Equal(t, "input.reason", r.Field(), "a lost deal needs a reason")
	var out struct{ CloseDeal dealOut }
	o.do(t, rep.token, closeDeal, map[string]any{"id": d.ID, "won": false, "r": "Too expensive"}).Decode(t, &out)
	assert.Equal(t, "Closed Lost", out.CloseDeal.Stage.Name)
	assert.Equal(t, "Too expensive", *out.CloseDeal.CloseReason)
	assert.Equal(t, 0, out.CloseDeal.Probability)
	assert.NotNil(t, out.CloseDeal.ActualCloseDate)

	types, payloads := o.events(t, d.ID)
	assert.Equal(t, []string{"deal.created", "deal.stage_changed", "deal.closed_lost"}, types)
	assert.Equal(t, "Too expensive", payloads[2].CloseReason)
	assert.Equal(t, "Prospecting", payloads[2].PreviousStage)

	w := o.create(t, rep.token, map[string]any{"value": 700})
	o.do(t, rep.token, closeDeal, map[string]any{"id": w.ID, "won": true}).Decode(t, &out)
	assert.Equal(t, "Closed Won", out.CloseDeal.Stage.Name)
	types, _ = o.events(t, w.ID)
	assert.Equal(t, []string{"deal.created", "deal.stage_changed", "deal.closed_won"}, types)
}

func TestUpdatingDeletingAndTheContactsOfADeal(t *testing.T) {
	t.Parallel()
	o := setup(t)
	rep := o.as(t, auth.RoleSalesRep)
	d := o.create(t, rep.token, map[string]any{"value": 10, "description": "x", "companyId": o.company(t), "expectedCloseDate": "2030-01-31"})
	update := `mutation($id: ID!, $in: UpdateDealInput!) { updateDeal(id: $id, input: $in) { ` + dealFields + ` } }`
	var out struct{ UpdateDeal dealOut }
	o.do(t, rep.token, update, map[string]any{"id": d.ID, "in": map[string]any{
		"title": "Renamed", "value": 20, "currency": "GBP", "probability": 90, "description": nil, "companyId": nil,
		"expectedCloseDate": "2031-02-28", "customFields": map[string]any{"k": "v"},
	}}).Decode(t, &out)
	u := out.UpdateDeal
	assert.Equal(t, "Renamed", u.Title)
	assert.Equal(t, "20.00", u.Value)
	assert.Equal(t, "GBP", u.Currency)
	assert.Equal(t, 90, u.Probability)
	assert.Nil(t, u.Description, "null clears")
	assert.Nil(t, u.Company, "null clears")
	assert.Equal(t, "2031-02-28", *u.ExpectedCloseDate)
	assert.Equal(t, map[string]any{"k": "v"}, u.CustomFields)

	c1, c2 := o.contact(t), o.contact(t)
	add := `mutation($in: AddDealContactInput!) { addDealContact(input: $in) { contacts { role contact { id } } } }`
	o.do(t, rep.token, add, map[string]any{"in": map[string]any{"dealId": d.ID, "contactId": c1, "role": "CHAMPION"}}).Decode(t, &struct{}{})
	var added struct{ AddDealContact dealOut }
	o.do(t, rep.token, add, map[string]any{"in": map[string]any{"dealId": d.ID, "contactId": c2, "role": "DECISION_MAKER"}}).Decode(t, &added)
	require.Len(t, added.AddDealContact.Contacts, 2)
	assert.Equal(t, "CHAMPION", added.AddDealContact.Contacts[0].Role)
	assert.Equal(t, c1, added.AddDealContact.Contacts[0].Contact.ID)

	remove := `mutation($in: RemoveDealContactInput!) { removeDealContact(input: $in) { contacts { contact { id } } } }`
	var removed struct{ RemoveDealContact dealOut }
	o.do(t, rep.token, remove, map[string]any{"in": map[string]any{"dealId": d.ID, "contactId": c1}}).Decode(t, &removed)
	require.Len(t, removed.RemoveDealContact.Contacts, 1)
	assert.Equal(t, "NOT_FOUND", o.do(t, rep.token, remove, map[string]any{"in": map[string]any{"dealId": d.ID, "contactId": c1}}).Code())

	var del struct{ DeleteDeal bool }
	o.do(t, rep.token, `mutation($id: ID!) { deleteDeal(id: $id) }`, map[string]any{"id": d.ID}).Decode(t, &del)
	assert.True(t, del.DeleteDeal)
	assert.Equal(t, "NOT_FOUND", o.do(t, rep.token, `query($id: ID!) { deal(id: $id) { id } }`, map[string]any{"id": d.ID}).Code())
	assert.Equal(t, "NOT_FOUND", o.do(t, rep.token, `mutation($id: ID!) { deleteDeal(id: $id) }`, map[string]any{"id": d.ID}).Code())
}
