// Package graph is the comms subgraph's GraphQL layer: resolvers parse
// arguments, call the comms service and map its values to the schema's
// types; per-record lists (timelines, tasks) go through per-operation
// dataloaders (loaders.go). Generated files (generated.go, federation.go,
// model/) are gqlgen's.
package graph

import (
	"github.com/opencrm/opencrm/subgraphs/comms"
)

// Resolver holds the subgraph's dependencies.
type Resolver struct {
	Service *comms.Service
}
