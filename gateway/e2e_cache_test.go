package gateway_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/cache"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
)

// A test process never reads what another left in the Redis they share:
// an earlier run (its database since dropped and created afresh) cached the
// subdomain of an organisation this database has never seen, and the login
// to it answered INTERNAL (found by TestSchemaFuzzThroughTheGateway, whose
// fuzzed signUp creates such subdomains). Each test process now has a cache
// namespace of its own (subgraphs/subgraphstest).
func TestCachedLookupsOfAnotherTestProcessAreNotRead(t *testing.T) {
	t.Parallel()
	sub := "gone-" + strings.ToLower(tenancy.NewID()[18:])
	earlier, err := cache.New(cache.Config{URL: testenv.RedisURL()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = earlier.Close() })
	gone := tenancy.NewID()
	_, err = cache.GetOrLoad(context.Background(), earlier, cache.Platform, "subdomain:"+sub, time.Minute,
		func(context.Context) (tenancy.Tenant, error) {
			return tenancy.Tenant{ID: gone, Name: "Gone", Subdomain: sub, SchemaName: "tenant_" + strings.ToLower(gone), Status: "active"}, nil
		})
	require.NoError(t, err)

	e := startE2E(t)
	r := e.do(t, "", `mutation($in: LoginInput!) { login(input: $in) { accessToken } }`, map[string]any{"in": map[string]any{
		"subdomain": sub, "email": "ada@acme.example.com", "password": pw}})
	require.NotEmpty(t, r.Errors)
	assert.NotEqual(t, "INTERNAL", r.Code(), "%+v", r.Errors)
	r = e.do(t, "", `query($s: String!) { tenantBySubdomain(subdomain: $s) { name } }`, map[string]any{"s": sub})
	assert.Empty(t, r.Errors, "%+v", r.Errors)
	assert.JSONEq(t, `{"tenantBySubdomain": null}`, string(r.Data))
}
