// Package gqlserver is the one GraphQL server setup every subgraph uses:
// transports, query cache, depth and complexity limits, the error presenter
// that turns coded errors into extensions.code, panic recovery, metrics,
// health, and the HTTP routes around them.
package gqlserver

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/opencrm/opencrm/pkg/auth"
)

// Limits bound what one request may ask for.
type Limits struct {
	// MaxDepth is the deepest selection allowed (introspection fields aside).
	MaxDepth int
	// MaxComplexity bounds gqlgen's complexity score of an operation.
	MaxComplexity int
	// MaxObjects bounds the objects an operation could return, nested
	// pages multiplied (PageCost).
	MaxObjects int
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64
}

// DefaultLimits suit a CRM API: deep enough for deal > company > contacts >
// owner, shallow enough to stop abuse.
var DefaultLimits = Limits{MaxDepth: 15, MaxComplexity: 5000, MaxObjects: 20000, MaxBodyBytes: 1 << 20}

// Options configure the GraphQL handler of a subgraph.
type Options struct {
	Name          string // the subgraph, for logs and metrics
	Introspection bool
	Limits        Limits
	Logger        *slog.Logger
	Metrics       *Metrics
}

// NewHandler returns the GraphQL handler of a subgraph's schema.
func NewHandler(es graphql.ExecutableSchema, o Options) *handler.Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Limits == (Limits{}) {
		o.Limits = DefaultLimits
	}
	srv := handler.New(es)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if o.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(FederationService{}.Extension())
	srv.Use(DepthLimit{Max: o.Limits.MaxDepth}.Extension())
	srv.Use(extension.FixedComplexityLimit(o.Limits.MaxComplexity))
	srv.Use(PageCost{Max: o.Limits.MaxObjects}.Extension())
	srv.Use(Sanitize{Schema: es.Schema()}.Extension())
	// In a mutation, whatever a resolver checks, an API key needs the
	// domain's write scope (auth.WithAccess): no write path can pass on a
	// read scope.
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if graphql.HasOperationContext(ctx) && isMutation(graphql.GetOperationContext(ctx)) {
			ctx = auth.WithAccess(ctx, auth.Write)
		}
		return next(ctx)
	})
	if o.Metrics != nil {
		srv.Use(o.Metrics.extension(o.Name))
	}
	srv.SetErrorPresenter(errorPresenter(o.Logger))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		o.Logger.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return fmt.Errorf("panic: %v", p)
	})
	return srv
}

func isMutation(oc *graphql.OperationContext) bool {
	return oc.Operation != nil && oc.Operation.Operation == ast.Mutation
}
