// Package graph is the webhooks subgraph's GraphQL layer: its types are the
// webhooks package's (schema/webhooks/gqlgen.yml binds them), resolvers
// parse arguments and call the webhooks service, and a delivery's attempts
// and endpoint go through per-operation loaders (loaders.go). Generated
// files (generated.go, federation.go, model/) are gqlgen's.
package graph

import (
	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/subgraphs/webhooks"
)

// Resolver holds the subgraph's dependencies.
type Resolver struct {
	Service *webhooks.Service
}

// one is what a mutation or a single-record query answers.
func one[T any](v T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// orNull answers NOT_FOUND as null, for the single-record queries.
func orNull[T any](v T, err error) (*T, error) {
	if apperr.CodeOf(err) == apperr.NotFound {
		return nil, nil
	}
	return one(v, err)
}

// ptrs is a list as gqlgen's resolvers answer it.
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
