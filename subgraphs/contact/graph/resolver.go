// Package graph is the contact subgraph's GraphQL layer: gqlgen's output,
// bound to the domain's types (schema/contact/gqlgen.yml), and resolvers
// that parse arguments and call the contact service; nested records go
// through per-operation loaders (loaders.go). Generated files
// (generated.go, federation.go, model/) are gqlgen's.
package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/subgraphs/contact"
)

// Resolver holds the subgraph's dependencies.
type Resolver struct {
	Service *contact.Service
}

// NewSchema returns the subgraph's executable schema: gqlgen's, with a fresh
// set of loaders for every operation.
func NewSchema(svc *contact.Service) graphql.ExecutableSchema {
	es := NewExecutableSchema(Config{Resolvers: &Resolver{Service: svc}})
	return gqlserver.WithPerOperation(es, func() *loaders { return newLoaders(svc) })
}

// ptr returns a pointer to a record (nil's for nil), the way gqlgen wants
// the objects it resolves.
func ptr[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// ids are the ids of an _entities batch's representations.
func ids[R any](reps []R, id func(R) string) []string {
	out := make([]string, len(reps))
	for i, r := range reps {
		out[i] = id(r)
	}
	return out
}

// ptrs is ptr for lists.
func ptrs[T any](vs []T, err error) ([]*T, error) {
	if err != nil {
		return nil, err
	}
	out := make([]*T, len(vs))
	for i := range vs {
		out[i] = &vs[i]
	}
	return out, nil
}

// wantsTotal reports whether the connection being resolved selects
// totalCount, which costs a count of every matching row.
func wantsTotal(ctx context.Context) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == "totalCount" {
			return true
		}
	}
	return false
}
