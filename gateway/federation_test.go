package gateway_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEntityFieldsOfAListAreFetchedInOneBatch(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.query(t, `{ users { edges { node { id email tenant { name subdomain } } } } }`, "Authorization", bearer(b.token(t)))
	require.Equal(t, 200, r.Status, r.Raw)
	require.Empty(t, r.Body.Errors, r.Raw)

	edges := r.Body.Data["users"].(map[string]any)["edges"].([]any)
	require.Len(t, edges, users)
	for i, e := range edges {
		tenant := e.(map[string]any)["node"].(map[string]any)["tenant"].(map[string]any)
		assert.Equal(t, fmt.Sprintf("Tenant t%d", i+1), tenant["name"])
	}
	assert.Len(t, b.Identity.Requests(), 1)
	tenantCalls := b.Tenant.Requests()
	require.Len(t, tenantCalls, 1, "one _entities request for the whole list")
	assert.Contains(t, tenantCalls[0].Query, "_entities")
	assert.Len(t, tenantCalls[0].Representations(), users, "carrying every representation")
}

func TestAQueryOfTwoSubgraphsJoinsTheirFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.query(t, `{ me { email tenant { name subdomain } } }`, "Authorization", bearer(b.token(t)))
	require.Empty(t, r.Body.Errors, r.Raw)
	assert.JSONEq(t, `{"me":{"email":"u1@example.com","tenant":{"name":"Tenant t1","subdomain":"t1"}}}`, mustJSON(t, r.Body.Data))
}

func TestSubgraphErrorCodesReachTheClientWithoutOtherExtensions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.query(t, `{ user(id: "nope") { id } }`, "Authorization", bearer(b.token(t)))
	require.NotEmpty(t, r.Body.Errors, r.Raw)
	assert.Equal(t, "NOT_FOUND", r.code(), r.Raw)
	assert.NotContains(t, r.Raw, "must not reach the client")
}
