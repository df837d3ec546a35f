package gateway_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/tenancy"
)

const upsertContactsThroughGateway = `mutation($in: [UpsertContactInput!]!) { upsertContacts(inputs: $in) { results {
	index created contact { id externalId } error { code field } } } }`

type upsertedContacts struct {
	UpsertContacts struct {
		Results []struct {
			Index   int
			Created bool
			Contact *struct{ ID, ExternalID string }
			Error   *struct{ Code, Field string }
		}
	}
}

// A sync job's path: an API key with contacts:write upserts a batch through
// the gateway (a bad item fails alone), the same batch again changes the
// records it made rather than making more, a key that may only read is
// refused naming the scope it lacks, and a deals:write key upserts a deal.
func TestAnAPIKeyUpsertsBatchesThroughTheGateway(t *testing.T) {
	t.Parallel()
	e := startE2E(t)
	admin := e.signUp(t, "upsert-"+strings.ToLower(tenancy.NewID()[18:])).AccessToken
	_, writer := e.apiKeyOf(t, admin, "SALES_REP", "CONTACTS_WRITE")
	_, reader := e.apiKeyOf(t, admin, "SALES_REP", "CONTACTS_READ")
	_, dealer := e.apiKeyOf(t, admin, "SALES_REP", "DEALS_WRITE")
	batch := []any{
		map[string]any{"externalId": "erp-1", "firstName": "Ada", "lastName": "One"},
		map[string]any{"externalId": "erp-2", "firstName": "Bad", "lastName": "Mail", "email": "not-an-address"},
		map[string]any{"externalId": "erp-3", "firstName": "Cy", "lastName": "Three"},
	}

	var first upsertedContacts
	e.do(t, writer, upsertContactsThroughGateway, map[string]any{"in": batch}).Decode(t, &first)
	res := first.UpsertContacts.Results
	require.Len(t, res, 3)
	assert.True(t, res[0].Created)
	require.NotNil(t, res[1].Error)
	assert.Equal(t, "BAD_USER_INPUT", res[1].Error.Code)
	assert.Equal(t, "inputs[1].email", res[1].Error.Field)
	assert.Nil(t, res[1].Contact)
	assert.True(t, res[2].Created)

	var again upsertedContacts
	e.do(t, writer, upsertContactsThroughGateway, map[string]any{"in": batch}).Decode(t, &again)
	require.Len(t, again.UpsertContacts.Results, 3)
	for _, i := range []int{0, 2} {
		r := again.UpsertContacts.Results[i]
		assert.False(t, r.Created, "item %d: the same batch again changes what it made", i)
		require.NotNil(t, r.Contact)
		assert.Equal(t, res[i].Contact.ID, r.Contact.ID)
	}
	var listed struct{ Contacts struct{ TotalCount int } }
	e.do(t, admin, `{ contacts { totalCount } }`, nil).Decode(t, &listed)
	assert.Equal(t, 2, listed.Contacts.TotalCount, "no duplicates")

	refused := e.do(t, reader, upsertContactsThroughGateway, map[string]any{"in": batch[:1]})
	assert.Equal(t, "FORBIDDEN", refused.Code())
	assert.Equal(t, "CONTACTS_WRITE", outcome(refused), "the refusal names the missing scope")

	var deal struct {
		UpsertDeal struct {
			Created bool
			Deal    struct{ ID, ExternalID, Title string }
		}
	}
	upsertDeal := `mutation($in: UpsertDealInput!) { upsertDeal(input: $in) { created deal { id externalId title } } }`
	e.do(t, dealer, upsertDeal, map[string]any{"in": map[string]any{"externalId": "opp-7", "title": "Renewal", "value": "1200"}}).Decode(t, &deal)
	assert.True(t, deal.UpsertDeal.Created)
	assert.Equal(t, "opp-7", deal.UpsertDeal.Deal.ExternalID)
	first7 := deal.UpsertDeal.Deal.ID
	e.do(t, dealer, upsertDeal, map[string]any{"in": map[string]any{"externalId": "opp-7", "title": "Renewal 2027"}}).Decode(t, &deal)
	assert.False(t, deal.UpsertDeal.Created)
	assert.Equal(t, first7, deal.UpsertDeal.Deal.ID)
	assert.Equal(t, "Renewal 2027", deal.UpsertDeal.Deal.Title)
	assert.Equal(t, "DEALS_WRITE", outcome(e.do(t, writer, upsertDeal, map[string]any{"in": map[string]any{"externalId": "opp-8", "title": "X"}})),
		"a contacts key may not upsert deals")
}
