package gqlserver

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// PerOperation wraps a schema so that every operation runs with the
// context with returns: the place to give each request its own dataloaders,
// so nothing cached in them outlives the request or crosses callers.
func PerOperation(es graphql.ExecutableSchema, with func(context.Context) context.Context) graphql.ExecutableSchema {
	return perOperation{ExecutableSchema: es, with: with}
}

type perOperation struct {
	graphql.ExecutableSchema
	with func(context.Context) context.Context
}

// Exec implements graphql.ExecutableSchema.
func (p perOperation) Exec(ctx context.Context) graphql.ResponseHandler {
	ctx = p.with(ctx)
	next := p.ExecutableSchema.Exec(ctx)
	return func(rctx context.Context) *graphql.Response {
		return next(inherit(rctx, ctx))
	}
}

// inherit returns rctx (the context the response is produced in) carrying
// the values with put in ctx (the operation's context).
func inherit(rctx, ctx context.Context) context.Context {
	return valuesFrom{Context: rctx, values: ctx}
}

// valuesFrom looks a value up in its own context first, then in values.
type valuesFrom struct {
	context.Context
	values context.Context
}

func (v valuesFrom) Value(key any) any {
	if val := v.Context.Value(key); val != nil {
		return val
	}
	return v.values.Value(key)
}

// operationKey is the context key of an operation's value of type V.
type operationKey[V any] struct{}

// WithPerOperation wraps es so that every operation gets its own value made
// by newV (a subgraph's dataloaders), which resolvers read with
// OperationValue.
func WithPerOperation[V any](es graphql.ExecutableSchema, newV func() V) graphql.ExecutableSchema {
	return PerOperation(es, func(ctx context.Context) context.Context {
		return context.WithValue(ctx, operationKey[V]{}, newV())
	})
}

// OperationValue returns the value WithPerOperation gave the operation.
func OperationValue[V any](ctx context.Context) V {
	v, _ := ctx.Value(operationKey[V]{}).(V)
	return v
}
