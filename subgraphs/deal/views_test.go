package deal_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

type pipelineViewOut struct {
	PipelineView struct {
		Pipeline struct{ ID string }
		Stages   []struct {
			Stage                     struct{ ID, Name string }
			DealCount                 int
			TotalValue, WeightedValue string
			Deals                     []struct{ ID string }
		}
		Totals struct {
			TotalDeals                     int
			TotalValue, TotalWeightedValue string
		}
	}
}

func TestPipelineViewTotalsMatchTheDeals(t *testing.T) {
	t.Parallel()
	o := setup(t)
	p := o.defaultPipeline(t)
	type sums struct {
		n           int
		value, wght decimal.Decimal
		newest      []string
	}
	want := map[string]*sums{}
	for _, st := range p.Stages {
		want[st.ID] = &sums{}
	}
	var total sums
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 40 {
		st := p.Stages[rng.IntN(len(p.Stages))]
		in := map[string]any{"value": float64(rng.IntN(1000000)) / 100}
		if i%3 == 0 {
			in["probability"] = rng.IntN(101)
		}
		d := o.create(t, o.admin, in)
		prob := d.Probability
		if st.ID != d.Stage.ID {
			var out struct{ MoveDeal dealOut }
			o.move(t, o.admin, d.ID, st.ID).Decode(t, &out)
			prob = out.MoveDeal.Probability
		}
		// Weighted values are summed as each deal shows its own: rounded to cents.
		value := decimal.RequireFromString(d.Value)
		wght := value.Mul(decimal.NewFromInt(int64(prob))).Shift(-2).Round(2)
		w := want[st.ID]
		w.n++
		w.value, w.wght = w.value.Add(value), w.wght.Add(wght)
		w.newest = append([]string{d.ID}, w.newest...)
		total.n++
		total.value, total.wght = total.value.Add(value), total.wght.Add(wght)
	}
	o.createPipeline(t, "Elsewhere")

	var out pipelineViewOut
	o.do(t, o.as(t, auth.RoleViewer).token, `{ pipelineView(dealsPerStage: 3) { pipeline { id }
		stages { stage { id name } dealCount totalValue weightedValue deals { id } }
		totals { totalDeals totalValue totalWeightedValue } } }`, nil).Decode(t, &out)
	v := out.PipelineView
	assert.Equal(t, p.ID, v.Pipeline.ID, "the default pipeline")
	require.Len(t, v.Stages, len(p.Stages))
	for i, s := range v.Stages {
		w := want[s.Stage.ID]
		assert.Equal(t, p.Stages[i].ID, s.Stage.ID, "stages in order")
		assert.Equal(t, w.n, s.DealCount, s.Stage.Name)
		assert.Equal(t, w.value.StringFixed(2), s.TotalValue, s.Stage.Name)
		assert.Equal(t, w.wght.StringFixed(2), s.WeightedValue, s.Stage.Name)
		var got []string
		for _, d := range s.Deals {
			got = append(got, d.ID)
		}
		assert.Equal(t, w.newest[:min(3, len(w.newest))], got, "the newest three of %s", s.Stage.Name)
	}
	assert.Equal(t, total.n, v.Totals.TotalDeals)
	assert.Equal(t, total.value.StringFixed(2), v.Totals.TotalValue, "exact")
	assert.Equal(t, total.wght.StringFixed(2), v.Totals.TotalWeightedValue, "exact")

	assert.Equal(t, "NOT_FOUND", o.do(t, o.admin, `query($p: ID!) { pipelineView(pipelineId: $p) { totals { totalDeals } } }`,
		map[string]any{"p": tenancy.NewID()}).Code())
}

func TestForecast(t *testing.T) {
	t.Parallel()
	o := setup(t)
	p := o.defaultPipeline(t)
	rep := o.as(t, auth.RoleSalesRep)
	next := time.Now().UTC().AddDate(0, 1, 0)
	month := next.Format("2006-01")
	on := next.Format(time.DateOnly)
	o.create(t, o.admin, map[string]any{"value": "1000", "expectedCloseDate": on})        // Prospecting 10%: 100
	neg := o.create(t, rep.token, map[string]any{"value": 2000, "expectedCloseDate": on}) // Negotiation 75%: 1500
	o.move(t, rep.token, neg.ID, p.stage(t, "Negotiation").ID).Decode(t, &struct{}{})
	o.create(t, o.admin, map[string]any{"value": 400, "currency": "EUR", "expectedCloseDate": on}) // EUR apart
	o.create(t, o.admin, map[string]any{"value": 9999, "expectedCloseDate": "2099-01-01"})         // out of range
	won := o.create(t, o.admin, map[string]any{"value": 5000, "expectedCloseDate": on})
	o.do(t, o.admin, `mutation($id: ID!) { closeDeal(id: $id, input: {won: true}) { id } }`, map[string]any{"id": won.ID}).Decode(t, &struct{}{})
	lost := o.create(t, o.admin, map[string]any{"value": 7000, "expectedCloseDate": on})
	o.do(t, o.admin, `mutation($id: ID!) { closeDeal(id: $id, input: {won: false, reason: "no"}) { id } }`, map[string]any{"id": lost.ID}).Decode(t, &struct{}{})

	type row struct {
		Key, Currency                                  string
		Owner                                          *struct{ ID string }
		OpenDealCount, ClosedWonCount                  int
		UnweightedValue, WeightedValue, ClosedWonValue string // Decimal
	}
	// openRow and wonRow are rows of open deals and of won deals.
	openRow := func(r row, value, weighted string) row {
		r.UnweightedValue, r.WeightedValue, r.ClosedWonValue = value, weighted, "0.00"
		return r
	}
	wonRow := func(r row, value string) row {
		r.UnweightedValue, r.WeightedValue, r.ClosedWonValue = "0.00", "0.00", value
		return r
	}
	forecast := func(groupBy string) (rows, totals []row) {
		var out struct{ Forecast struct{ Rows, Totals []row } }
		from := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
		to := next.AddDate(0, 1, 0).Format(time.DateOnly)
		o.do(t, o.admin, fmt.Sprintf(`{ forecast(from: %q, to: %q, groupBy: %s) { rows { key currency owner { id } openDealCount
			unweightedValue weightedValue closedWonCount closedWonValue } totals { key currency openDealCount unweightedValue weightedValue closedWonCount closedWonValue } } }`,
			from, to, groupBy), nil).Decode(t, &out)
		return out.Forecast.Rows, out.Forecast.Totals
	}
	rows, totals := forecast("MONTH")
	today := time.Now().UTC().Format("2006-01")
	assert.Contains(t, rows, openRow(row{Key: month, Currency: "USD", OpenDealCount: 2}, "3000.00", "1600.00"))
	assert.Contains(t, rows, openRow(row{Key: month, Currency: "EUR", OpenDealCount: 1}, "400.00", "40.00"))
	assert.Contains(t, rows, wonRow(row{Key: today, Currency: "USD", ClosedWonCount: 1}, "5000.00"), "won deals by their close date")
	assert.Contains(t, totals, row{Key: "TOTAL", Currency: "USD", OpenDealCount: 2, UnweightedValue: "3000.00", WeightedValue: "1600.00", ClosedWonCount: 1, ClosedWonValue: "5000.00"})

	rows, _ = forecast("OWNER")
	assert.Contains(t, rows, openRow(row{Key: rep.id, Owner: &struct{ ID string }{rep.id}, Currency: "USD", OpenDealCount: 1}, "2000.00", "1500.00"))

	rows, _ = forecast("CATEGORY")
	assert.Contains(t, rows, openRow(row{Key: "COMMIT", Currency: "USD", OpenDealCount: 1}, "2000.00", "1500.00"))
	assert.Contains(t, rows, wonRow(row{Key: "CLOSED", Currency: "USD", ClosedWonCount: 1}, "5000.00"))
	for _, r := range rows {
		assert.NotEqual(t, "OMITTED", r.Key, "lost deals are not forecast")
	}
}

func TestListingDeals(t *testing.T) {
	t.Parallel()
	o := setup(t)
	p := o.defaultPipeline(t)
	rep := o.as(t, auth.RoleSalesRep)
	company, contact := o.company(t), o.contact(t)
	var ids []string
	for i := range 5 {
		in := map[string]any{"title": fmt.Sprintf("Widget %d", i), "value": float64(100 * (5 - i)), "companyId": company}
		if i%2 == 0 {
			in["primaryContactId"] = contact
		}
		ids = append(ids, o.create(t, rep.token, in).ID)
	}
	other := o.create(t, o.admin, map[string]any{"title": "Gadget", "value": 1})
	o.move(t, o.admin, other.ID, p.stage(t, "Proposal").ID).Decode(t, &struct{}{})
	o.do(t, rep.token, `mutation($id: ID!, $c: ID!) { addDealContact(input: {dealId: $id, contactId: $c, role: USER}) { id } }`,
		map[string]any{"id": ids[1], "c": contact}).Decode(t, &struct{}{})

	type conn struct {
		TotalCount int
		Edges      []struct {
			Cursor string
			Node   struct{ ID string }
		}
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			EndCursor                    *string
		}
	}
	nodes := func(c conn) (out []string) {
		for _, e := range c.Edges {
			out = append(out, e.Node.ID)
		}
		return out
	}
	list := func(args string, vars map[string]any) conn {
		var out struct{ Deals conn }
		o.do(t, rep.token, `query($after: String) { deals(`+args+`after: $after) { totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`, vars).Decode(t, &out)
		return out.Deals
	}
	all := list("first: 4, ", nil)
	assert.Equal(t, 6, all.TotalCount)
	assert.Equal(t, []string{other.ID, ids[4], ids[3], ids[2]}, nodes(all), "newest first")
	assert.True(t, all.PageInfo.HasNextPage)
	rest := list("first: 4, ", map[string]any{"after": *all.PageInfo.EndCursor})
	assert.Equal(t, []string{ids[1], ids[0]}, nodes(rest))
	assert.False(t, rest.PageInfo.HasNextPage)
	assert.True(t, rest.PageInfo.HasPreviousPage)

	byValue := list("orderBy: {field: VALUE, direction: ASC}, first: 3, ", nil)
	assert.Equal(t, []string{other.ID, ids[4], ids[3]}, nodes(byValue))
	next := list("orderBy: {field: VALUE, direction: ASC}, first: 3, ", map[string]any{"after": *byValue.PageInfo.EndCursor})
	assert.Equal(t, []string{ids[2], ids[1], ids[0]}, nodes(next))
	past := list("orderBy: {field: VALUE, direction: ASC}, first: 3, ", map[string]any{"after": *next.PageInfo.EndCursor})
	assert.Empty(t, nodes(past))
	assert.Equal(t, 6, past.TotalCount, "the total past the last page")
	assert.Equal(t, "after", o.do(t, rep.token, `query($a: String) { deals(after: $a) { totalCount } }`, map[string]any{"a": *byValue.PageInfo.EndCursor}).Field(),
		"a cursor of another order")

	assert.Equal(t, 5, list(fmt.Sprintf("filter: {companyId: %q}, ", company), nil).TotalCount)
	assert.Equal(t, []string{ids[4], ids[2], ids[1], ids[0]}, nodes(list(fmt.Sprintf("filter: {contactId: %q}, ", contact), nil)))
	assert.Equal(t, []string{other.ID}, nodes(list(fmt.Sprintf("filter: {stageId: %q}, ", p.stage(t, "Proposal").ID), nil)))
	assert.Equal(t, 5, list(fmt.Sprintf("filter: {ownerId: %q, status: OPEN}, ", rep.id), nil).TotalCount)
	assert.Equal(t, []string{ids[3]}, nodes(list(`filter: {search: "GET 3"}, `, nil)))
	assert.Equal(t, []string{ids[1], ids[0]}, nodes(list(`filter: {minValue: 400}, `, nil)))
	assert.Zero(t, list(`filter: {status: WON}, `, nil).TotalCount)

	t.Run("contributed to companies, contacts and users", func(t *testing.T) {
		var out struct {
			Entities []struct {
				Deals, OwnedDeals *conn
			} `json:"_entities"`
		}
		o.do(t, rep.token, `query($r: [_Any!]!) { _entities(representations: $r) {
			... on Company { deals(first: 2) { totalCount edges { node { id } } pageInfo { hasNextPage } } }
			... on Contact { deals { totalCount edges { node { id } } pageInfo { hasNextPage } } }
			... on User { ownedDeals { totalCount edges { node { id } } pageInfo { hasNextPage } } } } }`,
			map[string]any{"r": []map[string]any{
				{"__typename": "Company", "id": company}, {"__typename": "Contact", "id": contact},
				{"__typename": "User", "id": rep.id}, {"__typename": "Company", "id": tenancy.NewID()},
			}}).Decode(t, &out)
		require.Len(t, out.Entities, 4)
		assert.Equal(t, 5, out.Entities[0].Deals.TotalCount)
		assert.Equal(t, []string{ids[4], ids[3]}, nodes(*out.Entities[0].Deals))
		assert.True(t, out.Entities[0].Deals.PageInfo.HasNextPage)
		assert.Equal(t, []string{ids[4], ids[2], ids[1], ids[0]}, nodes(*out.Entities[1].Deals), "primary contact or a role")
		assert.Equal(t, 5, out.Entities[2].OwnedDeals.TotalCount)
		assert.Zero(t, out.Entities[3].Deals.TotalCount)
	})
}

func TestManagingPipelines(t *testing.T) {
	t.Parallel()
	o := setup(t)
	p := o.createPipeline(t, "Renewals")
	assert.False(t, p.IsDefault)
	require.Len(t, p.Stages, 3)
	assert.Equal(t, "CONFLICT", o.do(t, o.admin, `mutation { createPipeline(input: {name: "renewals", stages: [{name: "A", probability: 1, forecastCategory: PIPELINE}]}) { id } }`, nil).Code())
	assert.Equal(t, "input.stages[0].probability", o.do(t, o.admin, `mutation { createPipeline(input: {name: "X", stages: [{name: "A", probability: 101, forecastCategory: PIPELINE}]}) { id } }`, nil).Field())
	assert.Equal(t, "input.stages", o.do(t, o.admin, `mutation { createPipeline(input: {name: "X", stages: []}) { id } }`, nil).Field())

	d := o.create(t, o.admin, map[string]any{"pipelineId": p.ID})
	assert.Equal(t, "Open", d.Stage.Name)
	update := `mutation($id: ID!, $in: UpdatePipelineInput!) { updatePipeline(id: $id, input: $in) { ` + pipelineFields + ` } }`
	var out struct{ UpdatePipeline pipeline }
	o.do(t, o.admin, update, map[string]any{"id": p.ID, "in": map[string]any{"name": "Renewals 2", "isDefault": true, "stages": []map[string]any{
		{"name": "New", "probability": 5, "forecastCategory": "PIPELINE"},
		{"id": p.Stages[0].ID, "name": "Open", "probability": 30, "forecastCategory": "BEST_CASE"},
		{"id": p.Stages[1].ID, "name": "Signed", "probability": 100, "forecastCategory": "CLOSED", "isClosed": true, "isWon": true},
	}}}).Decode(t, &out)
	u := out.UpdatePipeline
	assert.Equal(t, "Renewals 2", u.Name)
	assert.True(t, u.IsDefault)
	require.Len(t, u.Stages, 3)
	assert.Equal(t, []string{"New", "Open", "Signed"}, []string{u.Stages[0].Name, u.Stages[1].Name, u.Stages[2].Name})
	assert.Equal(t, 1, u.Stages[1].Position)
	assert.Equal(t, p.Stages[0].ID, u.Stages[1].ID)
	assert.Equal(t, u.ID, o.defaultPipeline(t).ID, "the new default")
	var all struct{ Pipelines []pipeline }
	o.do(t, o.admin, `{ pipelines { id isDefault } }`, nil).Decode(t, &all)
	defaults := 0
	for _, x := range all.Pipelines {
		if x.IsDefault {
			defaults++
		}
	}
	assert.Equal(t, 1, defaults)

	r := o.do(t, o.admin, update, map[string]any{"id": p.ID, "in": map[string]any{"stages": []map[string]any{
		{"name": "Only", "probability": 5, "forecastCategory": "PIPELINE"},
	}}})
	assert.Equal(t, "CONFLICT", r.Code(), "a stage with deals stays")
	assert.Equal(t, "NOT_FOUND", o.do(t, o.admin, update, map[string]any{"id": tenancy.NewID(), "in": map[string]any{"name": "x"}}).Code())
}
