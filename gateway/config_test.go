package gateway_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/gateway"
)

func TestNewChecksItsConfiguration(t *testing.T) {
	t.Parallel()
	valid := gateway.Config{
		Subgraphs: map[string]string{"identity": "http://127.0.0.1:8080/graphql"},
		Issuer:    "opencrm", Audience: "opencrm-api",
	}
	_, err := gateway.New(context.Background(), valid)
	require.NoError(t, err, "the embedded router config, keys from the identity subgraph's JWKS")

	notComposed := valid
	notComposed.Subgraphs = map[string]string{"identity": "http://127.0.0.1:8080/graphql", "billing": "http://127.0.0.1:1/graphql"}
	_, err = gateway.New(context.Background(), notComposed)
	assert.NoError(t, err, "a subgraph not composed yet is logged and left out")

	fromFile := valid
	fromFile.RouterConfigPath = "compose/config.json"
	_, err = gateway.New(context.Background(), fromFile)
	assert.NoError(t, err)

	for name, change := range map[string]func(*gateway.Config){
		"no issuer":          func(c *gateway.Config) { c.Issuer = "" },
		"bad URL":            func(c *gateway.Config) { c.Subgraphs = map[string]string{"identity": "127.0.0.1:8080"} },
		"missing file":       func(c *gateway.Config) { c.RouterConfigPath = "compose/nope.json" },
		"not a config":       func(c *gateway.Config) { c.RouterConfig = []byte(`{"engineConfig": 5}`) },
		"no way to get keys": func(c *gateway.Config) { c.RouterConfig = []byte(`{}`); c.Subgraphs = nil },
		"unknown timeout":    func(c *gateway.Config) { c.SubgraphTimeouts = map[string]time.Duration{"billing": time.Second} },
		"unknown required":   func(c *gateway.Config) { c.RequiredSubgraphs = []string{"billing"} },
	} {
		cfg := valid
		change(&cfg)
		_, err := gateway.New(context.Background(), cfg)
		assert.Error(t, err, name)
	}
}
