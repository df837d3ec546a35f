package deal_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

const (
	upsertDeal = `mutation($in: UpsertDealInput!) { upsertDeal(input: $in) { created deal { id title value currency externalId stage { id name } owner { id } } } }`
	upsertMany = `mutation($in: [UpsertDealInput!]!) { upsertDeals(inputs: $in) { results {
		index created deal { id title externalId } error { code message field } } } }`
)

type dealUpsert struct {
	UpsertDeal struct {
		Created bool
		Deal    struct {
			ID, Title, Value, Currency, ExternalID string
			Stage                                  struct{ ID, Name string }
			Owner                                  struct{ ID string }
		}
	}
}

type batchResults struct {
	UpsertDeals struct {
		Results []struct {
			Index   int
			Created bool
			Deal    *struct{ ID, Title, ExternalID string }
			Error   *struct{ Code, Message, Field string }
		}
	}
}

// dealsWith returns the ids of the deals a caller lists with the external id.
func (o org) dealsWith(t *testing.T, token, externalID string) []string {
	t.Helper()
	var out struct {
		Deals struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	o.do(t, token, `query($x: String) { deals(filter: {externalId: $x}) { edges { node { id } } } }`,
		map[string]any{"x": externalID}).Decode(t, &out)
	ids := []string{}
	for _, e := range out.Deals.Edges {
		ids = append(ids, e.Node.ID)
	}
	return ids
}

// The first upsert of an external id creates the deal, the next changes
// it: one deal, fields left out kept, a stageId moving it as moveDeal does.
func TestUpsertDealCreatesThenUpdates(t *testing.T) {
	t.Parallel()
	o := setup(t)
	rep := o.as(t, auth.RoleSalesRep)
	p := o.defaultPipeline(t)
	var first, second dealUpsert
	o.do(t, rep.token, upsertDeal, map[string]any{"in": map[string]any{"externalId": "  erp-1 ", "title": "Big one", "value": "100.50"}}).Decode(t, &first)
	assert.True(t, first.UpsertDeal.Created)
	assert.Equal(t, "erp-1", first.UpsertDeal.Deal.ExternalID, "the external id is trimmed")
	assert.Equal(t, "USD", first.UpsertDeal.Deal.Currency, "a new deal's currency defaults to USD")
	assert.Equal(t, p.Stages[0].ID, first.UpsertDeal.Deal.Stage.ID, "a new deal starts in the first stage")

	o.do(t, rep.token, upsertDeal, map[string]any{"in": map[string]any{"externalId": "erp-1", "value": "200", "stageId": p.stage(t, "Proposal").ID}}).Decode(t, &second)
	assert.False(t, second.UpsertDeal.Created)
	assert.Equal(t, first.UpsertDeal.Deal.ID, second.UpsertDeal.Deal.ID)
	assert.Equal(t, "Big one", second.UpsertDeal.Deal.Title, "fields left out stay")
	assert.Equal(t, "200.00", second.UpsertDeal.Deal.Value)
	assert.Equal(t, "Proposal", second.UpsertDeal.Deal.Stage.Name)
	types, _ := o.events(t, first.UpsertDeal.Deal.ID)
	assert.Equal(t, []string{"deal.created", "deal.updated", "deal.stage_changed"}, types)

	r := o.do(t, rep.token, upsertDeal, map[string]any{"in": map[string]any{"externalId": "erp-2"}})
	assert.Equal(t, "BAD_USER_INPUT", r.Code(), "creating needs a title")
	assert.Equal(t, "input.title", r.Field())
	r = o.do(t, rep.token, upsertDeal, map[string]any{"in": map[string]any{"externalId": "  ", "title": "X"}})
	assert.Equal(t, "input.externalId", r.Field())
	r = o.do(t, rep.token, upsertDeal, map[string]any{"in": map[string]any{"externalId": "erp-1", "currency": "XXX"}})
	assert.Equal(t, "input.currency", r.Field(), "an update checks its fields as updateDeal does")
	r = o.do(t, rep.token, upsertDeal, map[string]any{"in": map[string]any{"externalId": "erp-1", "pipelineId": o.createPipeline(t, "Other").ID}})
	assert.Equal(t, "input.pipelineId", r.Field(), "a deal stays in its pipeline")
	r = o.do(t, o.as(t, auth.RoleViewer).token, upsertDeal, map[string]any{"in": map[string]any{"externalId": "erp-1", "title": "X"}})
	assert.Equal(t, "FORBIDDEN", r.Code())
	assert.Empty(t, o.dealsWith(t, o.admin, "erp-2"))
}

// A sales rep's upsert of a deal another user owns is FORBIDDEN and changes
// nothing; a manager's changes it.
func TestUpsertOfADealTheCallerMayNotChangeIsForbidden(t *testing.T) {
	t.Parallel()
	o := setup(t)
	manager := o.as(t, auth.RoleManager)
	o.create(t, manager.token, map[string]any{"title": "Theirs", "externalId": "erp-9"})
	r := o.do(t, o.as(t, auth.RoleSalesRep).token, upsertDeal, map[string]any{"in": map[string]any{"externalId": "erp-9", "title": "Mine"}})
	assert.Equal(t, "FORBIDDEN", r.Code())
	var out dealUpsert
	o.do(t, o.admin, upsertDeal, map[string]any{"in": map[string]any{"externalId": "erp-9", "title": "Ours"}}).Decode(t, &out)
	assert.False(t, out.UpsertDeal.Created)
	assert.Equal(t, "Ours", out.UpsertDeal.Deal.Title)
	assert.Equal(t, manager.id, out.UpsertDeal.Deal.Owner.ID, "the owner stays")
}

// 20 concurrent upserts of one external id make one deal; exactly one of
// them says it created it, and one deal.created is emitted (the others
// change its title: deal.updated).
func TestConcurrentUpsertsOfOneExternalIDMakeOneDeal(t *testing.T) {
	t.Parallel()
	o := setup(t)
	rep := o.as(t, auth.RoleSalesRep)
	const n = 20
	created := make([]bool, n)
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out dealUpsert
			o.do(t, rep.token, upsertDeal, map[string]any{"in": map[string]any{"externalId": "crm-42", "title": fmt.Sprint("Try ", i)}}).Decode(t, &out)
			created[i], ids[i] = out.UpsertDeal.Created, out.UpsertDeal.Deal.ID
		}()
	}
	wg.Wait()
	creators := 0
	for i := range n {
		if created[i] {
			creators++
		}
		assert.Equal(t, ids[0], ids[i], "every upsert answers the one deal")
	}
	assert.Equal(t, 1, creators)
	assert.Equal(t, []string{ids[0]}, o.dealsWith(t, o.admin, "crm-42"))
	types, _ := o.events(t, ids[0])
	require.NotEmpty(t, types)
	assert.Equal(t, "deal.created", types[0])
	assert.Equal(t, 1, countOf(types, "deal.created"))
}

// Another organisation's external ids neither collide nor show.
func TestDealExternalIDsAreTheOrganisations(t *testing.T) {
	t.Parallel()
	o := setup(t)
	other := signUp(t, o.c)
	var mine, theirs dealUpsert
	o.do(t, o.admin, upsertDeal, map[string]any{"in": map[string]any{"externalId": "x-1", "title": "Mine"}}).Decode(t, &mine)
	other.do(t, other.admin, upsertDeal, map[string]any{"in": map[string]any{"externalId": "x-1", "title": "Theirs"}}).Decode(t, &theirs)
	assert.True(t, mine.UpsertDeal.Created)
	assert.True(t, theirs.UpsertDeal.Created, "the same external id in another organisation is another deal")
	assert.NotEqual(t, mine.UpsertDeal.Deal.ID, theirs.UpsertDeal.Deal.ID)
	assert.Equal(t, []string{mine.UpsertDeal.Deal.ID}, o.dealsWith(t, o.admin, "x-1"))
	assert.Equal(t, []string{theirs.UpsertDeal.Deal.ID}, other.dealsWith(t, other.admin, "x-1"))
}

// createDeal and updateDeal set external ids too; one another deal has is a
// CONFLICT on input.externalId, an empty one clears it, and the filter finds
// deals by it exactly.
func TestDealExternalIDsOnCreateUpdateAndFilter(t *testing.T) {
	t.Parallel()
	o := setup(t)
	a := o.create(t, o.admin, map[string]any{"externalId": "c-1"})
	b := o.create(t, o.admin, map[string]any{})
	assert.Equal(t, []string{a.ID}, o.dealsWith(t, o.admin, "c-1"))
	assert.Empty(t, o.dealsWith(t, o.admin, "C-1"), "external ids are exact")
	r := o.do(t, o.admin, `mutation { createDeal(input: {title: "Again", externalId: "c-1"}) { id } }`, nil)
	assert.Equal(t, "CONFLICT", r.Code())
	assert.Equal(t, "input.externalId", r.Field())
	update := `mutation($id: ID!, $x: String) { updateDeal(id: $id, input: {externalId: $x}) { id externalId } }`
	r = o.do(t, o.admin, update, map[string]any{"id": b.ID, "x": "c-1"})
	assert.Equal(t, "CONFLICT", r.Code())
	assert.Equal(t, "input.externalId", r.Field())
	o.do(t, o.admin, update, map[string]any{"id": a.ID, "x": ""}).Decode(t, &struct{}{})
	assert.Empty(t, o.dealsWith(t, o.admin, "c-1"), "an empty external id clears it")
	o.do(t, o.admin, update, map[string]any{"id": b.ID, "x": "c-1"}).Decode(t, &struct{}{})
	assert.Equal(t, []string{b.ID}, o.dealsWith(t, o.admin, "c-1"), "a cleared external id is free")
}

// A batch answers a result per input in input order; an item's error
// (named with its index) undoes no other item, and the same batch again
// changes the deals it created.
func TestBatchUpsertOfDealsReportsErrorsPerItem(t *testing.T) {
	t.Parallel()
	o := setup(t)
	rep := o.as(t, auth.RoleSalesRep)
	o.create(t, o.as(t, auth.RoleManager).token, map[string]any{"externalId": "b-3"})
	company := o.company(t)
	in := []any{
		map[string]any{"externalId": "b-0", "title": "Zero", "companyId": company},
		map[string]any{"externalId": "b-1"}, // no title to create it with
		map[string]any{"externalId": "b-2", "title": "Two", "companyId": tenancy.NewID()},
		map[string]any{"externalId": "b-3", "title": "Not yours"},
		map[string]any{"externalId": "b-4", "title": "Four"},
	}
	var out batchResults
	o.do(t, rep.token, upsertMany, map[string]any{"in": in}).Decode(t, &out)
	res := out.UpsertDeals.Results
	require.Len(t, res, 5)
	for i, r := range res {
		assert.Equal(t, i, r.Index)
	}
	assert.True(t, res[0].Created)
	require.NotNil(t, res[0].Deal)
	assert.Equal(t, "b-0", res[0].Deal.ExternalID)
	want := []struct{ code, field string }{1: {"BAD_USER_INPUT", "inputs[1].title"}, 2: {"NOT_FOUND", "inputs[2].companyId"}, 3: {"FORBIDDEN", ""}}
	for i := 1; i <= 3; i++ {
		require.NotNil(t, res[i].Error, "item %d", i)
		assert.Equal(t, want[i].code, res[i].Error.Code, "item %d", i)
		assert.Equal(t, want[i].field, res[i].Error.Field, "item %d", i)
		assert.Nil(t, res[i].Deal)
		assert.False(t, res[i].Created)
	}
	assert.True(t, res[4].Created, "items after a failed one are written")
	assert.Empty(t, o.dealsWith(t, o.admin, "b-1"))
	assert.Empty(t, o.dealsWith(t, o.admin, "b-2"))

	var again batchResults
	o.do(t, rep.token, upsertMany, map[string]any{"in": []any{in[0], in[4]}}).Decode(t, &again)
	require.Len(t, again.UpsertDeals.Results, 2)
	for i, j := range []int{0, 4} {
		assert.False(t, again.UpsertDeals.Results[i].Created)
		assert.Equal(t, res[j].Deal.ID, again.UpsertDeals.Results[i].Deal.ID)
		assert.Len(t, o.dealsWith(t, o.admin, res[j].Deal.ExternalID), 1, "no second deal")
	}
}

// An external id twice in a batch, or more than 100 inputs, is a
// BAD_USER_INPUT of the whole call: nothing is written.
func TestBatchUpsertOfDealsRefusesDuplicatesAndTooManyItems(t *testing.T) {
	t.Parallel()
	o := setup(t)
	in := []any{
		map[string]any{"externalId": "d-0", "title": "Zero"},
		map[string]any{"externalId": "d-1", "title": "One"},
		map[string]any{"externalId": "d-2", "title": "Two"},
		map[string]any{"externalId": " d-1", "title": "One again"},
	}
	r := o.do(t, o.admin, upsertMany, map[string]any{"in": in})
	assert.Equal(t, "BAD_USER_INPUT", r.Code())
	assert.Equal(t, "inputs[3].externalId", r.Field())
	assert.Empty(t, o.dealsWith(t, o.admin, "d-0"))

	many := make([]any, 101)
	for i := range many {
		many[i] = map[string]any{"externalId": fmt.Sprint("m-", i), "title": "M"}
	}
	r = o.do(t, o.admin, upsertMany, map[string]any{"in": many})
	assert.Equal(t, "BAD_USER_INPUT", r.Code())
	assert.Equal(t, "inputs", r.Field())
	assert.Empty(t, o.dealsWith(t, o.admin, "m-0"))
	assert.True(t, slices.Equal(o.dealsWith(t, o.admin, "m-100"), []string{}))
}

// countOf is how many times s occurs in ss.
func countOf(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}
