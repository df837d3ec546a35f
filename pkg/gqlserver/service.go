package gqlserver

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// FederationService lets `{ _service { sdl } }` through where introspection
// is off: gqlgen ties the two together, but the gateway and composition
// tools need a subgraph's SDL in production too. It only acts on operations
// whose root fields are all _service (or __typename), so __schema and __type
// stay disabled.
type FederationService struct{}

// check turns introspection on for an operation of _service alone.
func (FederationService) check(oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Query || len(oc.Operation.SelectionSet) == 0 {
		return nil
	}
	for _, sel := range oc.Operation.SelectionSet {
		f, ok := sel.(*ast.Field)
		if !ok || (f.Name != "_service" && f.Name != "__typename") {
			return nil
		}
	}
	oc.DisableIntrospection = false
	return nil
}
