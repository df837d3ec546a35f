package gateway_test

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The first time the gateway sees an operation it hands the engine the
// request it normalized and validated; after that the engine does that
// work itself. Both ways must run it alike.
func TestAnOperationRunsAlikeTheFirstTimeAndAfter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := bearer(b.token(t))
	op := map[string]any{
		"query": `query Q($n: Int) { users(first: $n, after: "0") { edges { node { email ...T } } } }
			fragment T on User { tenant { name } }`,
		"operationName": "Q", "variables": map[string]any{"n": 2},
	}
	first := b.query(t, op, "Authorization", tok)
	require.Empty(t, first.Body.Errors, first.Raw)
	again := b.query(t, op, "Authorization", tok)
	require.Empty(t, again.Body.Errors, again.Raw)
	assert.JSONEq(t, mustJSON(t, first.Body.Data), mustJSON(t, again.Body.Data))

	calls := b.Identity.Requests()
	require.Len(t, calls, 2)
	for _, c := range calls {
		assert.Equal(t, []string{"0", "2"}, values(c.Variables), "the variable and the inline argument reach the subgraph: %s", c.Query)
	}

	// A variable that does not fit, in an operation known and in one new.
	query := op["query"].(string)
	for _, q := range []string{query, query + " "} {
		r := b.query(t, map[string]any{"query": q, "variables": map[string]any{"n": "two"}}, "Authorization", tok)
		assert.Equal(t, 400, r.Status, r.Raw)
		assert.Equal(t, "GRAPHQL_VALIDATION_FAILED", r.code(), r.Raw)
		assert.Contains(t, r.Raw, `Variable \"$n\" got invalid value`)
	}
}

func values(m map[string]any) []string {
	var out []string
	for _, v := range m {
		out = append(out, fmt.Sprint(v))
	}
	sort.Strings(out)
	return out
}
