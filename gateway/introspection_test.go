package gateway_test

import (
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
)

var introspections = []string{
	`{ __schema { queryType { name } } }`,
	`{ __type(name: "User") { name } }`,
	`{ tenantBySubdomain(subdomain: "t1") { name } ...F } fragment F on Query { __type(name: "User") { fields { name } } }`,
	`{ tenantBySubdomain(subdomain: "t1") { name __typename ... on TenantPublic { id } } a: __schema { types { name } } }`,
}

func TestIntrospectionIsRefusedByDefault(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, q := range introspections {
		r := b.query(t, q)
		assert.Equal(t, http.StatusBadRequest, r.Status, q)
		assert.Equal(t, "INTROSPECTION_DISABLED", r.code(), q)
	}
	r := b.query(t, `{ __typename tenantBySubdomain(subdomain: "t1") { __typename name } }`)
	assert.Empty(t, r.Body.Errors, "__typename is not introspection: %s", r.Raw)
}

func TestIntrospectionIsServedWhenEnabledWithoutAToken(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *gateway.Config) { c.Introspection = true })
	r := b.query(t, `{ __schema { queryType { name } } }`)
	assert.Empty(t, r.Body.Errors, r.Raw)
	assert.Equal(t, "Query", r.Body.Data["__schema"].(map[string]any)["queryType"].(map[string]any)["name"])
	assert.Zero(t, b.subgraphCalls())

	r = b.query(t, `{ __type(name: "Tenant") { fields { name } } me { email } }`)
	assert.Equal(t, "UNAUTHENTICATED", r.code(), "introspection does not make me public")
}

func TestGraphiQLsIntrospectionQueryFitsTheLimits(t *testing.T) {
	t.Parallel()
	b := setup(t, func(c *gateway.Config) { c.Introspection = true })
	// graphql-js's getIntrospectionQuery, as GraphiQL sends it.
	q, err := os.ReadFile("testdata/introspection.graphql")
	require.NoError(t, err)
	r := b.query(t, map[string]any{"query": string(q), "operationName": "IntrospectionQuery"})
	assert.Empty(t, r.Body.Errors, r.Raw)
	assert.NotEmpty(t, r.Body.Data["__schema"])
}
