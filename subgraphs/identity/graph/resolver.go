// Package graph is the identity subgraph's GraphQL layer: its types are the
// identity package's (schema/identity/gqlgen.yml binds them), so resolvers
// only parse arguments and call the identity service. Generated files
// (generated.go, federation.go, model/) are gqlgen's.
package graph

import "github.com/opencrm/opencrm/subgraphs/identity"

// Resolver holds the subgraph's dependencies.
type Resolver struct {
	Service *identity.Service
}

// ok answers a mutation that returns true once it is done.
func ok(err error) (bool, error) { return err == nil, err }
