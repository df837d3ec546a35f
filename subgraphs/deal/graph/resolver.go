// Package graph is the deal subgraph's GraphQL layer: gqlgen's output bound
// to the domain types of package deal (schema/deal/gqlgen.yml), and thin
// resolvers that parse arguments, call the deal service and return its
// values; nested lists go through per-operation loaders (loaders.go).
// Generated files (generated.go, federation.go, model/) are gqlgen's.
package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/subgraphs/deal"
)

// Resolver holds the subgraph's dependencies.
type Resolver struct {
	Service *deal.Service
}

// stubs answers representations of another subgraph's entities that this
// subgraph adds fields to: only their ids, for callers who may read CRM
// records. The ids are expected by expect, the loader of the deals the
// entities add, so one statement answers them all.
func stubs[R, E any](ctx context.Context, reps []R, id func(R) string, stub func(string) *E, expect func(...string)) ([]*E, error) {
	if _, err := auth.Require(ctx, auth.ReadCRM); err != nil {
		return nil, err
	}
	ids := idsOf(reps, id)
	expect(ids...)
	out := make([]*E, len(reps))
	for i, id := range ids {
		out[i] = stub(id)
	}
	return out, nil
}

func idsOf[R any](reps []R, id func(R) string) []string {
	out := make([]string, len(reps))
	for i, r := range reps {
		out[i] = id(r)
	}
	return out
}

// asked reports whether the query selects the field of the object being
// resolved (a connection's totalCount), so it is computed only then.
func asked(ctx context.Context, field string) bool {
	return slices.Contains(graphql.CollectAllFields(ctx), field)
}

// ptr returns the address of what a domain call returned, or its error.
func ptr[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// pointers returns the addresses of the elements of vs (gqlgen's resolvers
// return lists of pointers).
func pointers[T any](vs []T) []*T {
	out := make([]*T, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out
}
