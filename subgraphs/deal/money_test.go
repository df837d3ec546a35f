package deal_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
)

// Money is exact: values are Decimals written as strings with their two
// decimals, and sums add them exactly (no 0.1 + 0.2 = 0.30000000000000004).
func TestMoneyIsExact(t *testing.T) {
	t.Parallel()
	o := setup(t)
	p := o.createPipeline(t, "Exact")
	for _, v := range []string{"0.10", "0.20", "0.30"} {
		o.create(t, o.admin, map[string]any{"value": v, "pipelineId": p.ID})
	}
	var out pipelineViewOut
	o.do(t, o.admin, `query($p: ID) { pipelineView(pipelineId: $p) { pipeline { id }
		stages { stage { id name } dealCount totalValue weightedValue deals { id } }
		totals { totalDeals totalValue totalWeightedValue } } }`, map[string]any{"p": p.ID}).Decode(t, &out)
	v := out.PipelineView
	require.Len(t, v.Stages, 3)
	assert.Equal(t, 3, v.Stages[0].DealCount)
	assert.Equal(t, "0.60", v.Stages[0].TotalValue, "0.10 + 0.20 + 0.30")
	// 20%: 0.02 + 0.04 + 0.06, each rounded to cents first.
	assert.Equal(t, "0.12", v.Stages[0].WeightedValue)
	assert.Equal(t, "0.00", v.Stages[1].TotalValue, "an empty stage sums to zero cents")
	assert.Equal(t, "0.60", v.Totals.TotalValue)
	assert.Equal(t, "0.12", v.Totals.TotalWeightedValue)

	t.Run("weighted values are rounded per deal, half away from zero", func(t *testing.T) {
		// 0.25 × 10% = 0.025 → 0.03; three of them show 0.03 each and sum to 0.09.
		q := o.createPipeline(t, "Rounding")
		for range 3 {
			d := o.create(t, o.admin, map[string]any{"value": "0.25", "pipelineId": q.ID, "probability": 10})
			assert.Equal(t, "0.03", d.WeightedValue)
		}
		var out pipelineViewOut
		o.do(t, o.admin, `query($p: ID) { pipelineView(pipelineId: $p) { stages { totalValue weightedValue } totals { totalValue totalWeightedValue } } }`,
			map[string]any{"p": q.ID}).Decode(t, &out)
		assert.Equal(t, "0.75", out.PipelineView.Totals.TotalValue)
		assert.Equal(t, "0.09", out.PipelineView.Totals.TotalWeightedValue)
	})

	t.Run("values keep their two decimals", func(t *testing.T) {
		d := o.create(t, o.admin, map[string]any{"value": "1234.5"})
		assert.Equal(t, "1234.50", d.Value)
		assert.Equal(t, "123.45", d.WeightedValue, "10% in the first stage")
		var got struct{ Deal dealOut }
		o.do(t, o.admin, `query($id: ID!) { deal(id: $id) { value } }`, map[string]any{"id": d.ID}).Decode(t, &got)
		assert.Equal(t, "1234.50", got.Deal.Value)
		assert.Equal(t, "0.01", o.create(t, o.admin, map[string]any{"value": "0.005"}).Value, "cents, half away from zero")
	})

	t.Run("value filters compare exactly", func(t *testing.T) {
		var out struct{ Deals struct{ TotalCount int } }
		o.do(t, o.admin, `query($p: ID!) { deals(filter: {pipelineId: $p, minValue: "0.20", maxValue: "0.30"}) { totalCount } }`,
			map[string]any{"p": p.ID}).Decode(t, &out)
		assert.Equal(t, 2, out.Deals.TotalCount)
	})
}

func TestBadDecimals(t *testing.T) {
	t.Parallel()
	o := setup(t)
	rep := o.as(t, auth.RoleSalesRep)
	d := o.create(t, rep.token, map[string]any{})
	create := `mutation($in: CreateDealInput!) { createDeal(input: $in) { id } }`
	update := `mutation($id: ID!, $in: UpdateDealInput!) { updateDeal(id: $id, input: $in) { id } }`
	for name, v := range map[string]any{
		"not a number": "abc", "an exponent out of range": "1e999999", "a tiny exponent": "1e-999999",
		"an array": []any{1, 2}, "an object": map[string]any{"v": 1}, "too large": "10000000000000.00", "negative": "-0.01",
	} {
		r := o.do(t, rep.token, create, map[string]any{"in": map[string]any{"title": "T", "value": v}})
		assert.Equal(t, "BAD_USER_INPUT", r.Code(), "create: %s", name)
		assert.Equal(t, "input.value", r.Field(), "create: %s", name)
		r = o.do(t, rep.token, update, map[string]any{"id": d.ID, "in": map[string]any{"value": v}})
		assert.Equal(t, "BAD_USER_INPUT", r.Code(), "update: %s", name)
		assert.Equal(t, "input.value", r.Field(), "update: %s", name)
	}
	for _, v := range []any{"abc", "1e999999", []any{"1"}} {
		r := o.do(t, rep.token, `query($v: Decimal) { deals(filter: {minValue: $v}) { totalCount } }`, map[string]any{"v": v})
		assert.Equal(t, "BAD_USER_INPUT", r.Code(), "%v", v)
		assert.Equal(t, "filter.minValue", r.Field(), "%v", v)
	}
	r := o.do(t, rep.token, `{ deals(filter: {maxValue: "x"}) { totalCount } }`, nil)
	assert.Equal(t, "BAD_USER_INPUT", r.Code(), "an inline literal")
}
