package gqlserver

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// operationCheck is a check of each operation before it runs (a limit, a
// switch): the one shape of this package's gqlgen extensions.
type operationCheck interface {
	check(*graphql.OperationContext) *gqlerror.Error
}

// asExtension makes an operationCheck a gqlgen handler extension.
func asExtension(name string, c operationCheck) graphql.HandlerExtension {
	return checkExtension{name: name, c: c}
}

type checkExtension struct {
	name string
	c    operationCheck
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = checkExtension{}

// ExtensionName implements graphql.HandlerExtension.
func (e checkExtension) ExtensionName() string { return e.name }

// Validate implements graphql.HandlerExtension.
func (checkExtension) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext implements graphql.OperationContextMutator.
func (e checkExtension) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	return e.c.check(oc)
}

// Extension returns the check as a gqlgen handler extension.
func (d DepthLimit) Extension() graphql.HandlerExtension { return asExtension("DepthLimit", d) }

// Extension returns the check as a gqlgen handler extension.
func (p PageCost) Extension() graphql.HandlerExtension { return asExtension("PageCost", p) }

// Extension returns the check as a gqlgen handler extension.
func (f FederationService) Extension() graphql.HandlerExtension {
	return asExtension("FederationService", f)
}
