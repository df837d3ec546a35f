package gateway_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Variables whose JSON does not fit their declared type are the client's
// mistake, whatever the type: 400 GRAPHQL_VALIDATION_FAILED naming the
// variable, never a 500 (found by TestSchemaFuzzThroughTheGateway: a string
// for an input object was INTERNAL).
func TestVariablesThatDoNotFitTheirTypeAreRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := bearer(b.token(t))
	query := `mutation($input: VerifyEmailInput!) { verifyEmail(input: $input) }`
	// Each twice: the gateway validates an operation new to it, the engine
	// one it has planned before.
	for _, vars := range []map[string]any{
		{"input": map[string]any{"token": "t"}}, {"input": "str"}, {"input": "str"}, {"input": 0}, {"input": 0}, {"input": true}, {"input": []any{1}},
		{"input": map[string]any{"token": 1}}, {"input": map[string]any{"token": 1}}, {}, {},
	} {
		r := b.query(t, map[string]any{"query": query, "variables": vars}, "Authorization", tok)
		if v, ok := vars["input"].(map[string]any); ok && v["token"] == "t" {
			continue // well-typed: whatever the subgraph answers
		}
		assert.Equal(t, 400, r.Status, "%v: %s", vars, r.Raw)
		assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", r.code(), "%v: %s", vars, r.Raw)
		assert.Contains(t, r.Raw, `$input`, "%v", vars)
	}
}
