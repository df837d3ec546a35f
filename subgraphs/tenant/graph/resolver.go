// Package graph is the tenant subgraph's GraphQL layer: its types are the
// tenant package's (schema/tenant/gqlgen.yml binds them), so resolvers only
// parse arguments and call the tenant service. Generated files
// (generated.go, federation.go, model/) are gqlgen's.
package graph

import "github.com/opencrm/opencrm/subgraphs/tenant"

// Resolver holds the subgraph's dependencies.
type Resolver struct {
	Service *tenant.Service
}
