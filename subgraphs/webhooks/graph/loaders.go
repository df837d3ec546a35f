package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/loader"
	"github.com/opencrm/opencrm/subgraphs/webhooks"
)

// NewSchema returns the subgraph's executable schema; every operation gets
// its own loaders, so nothing is cached across requests or callers.
func NewSchema(svc *webhooks.Service) graphql.ExecutableSchema {
	es := NewExecutableSchema(Config{Resolvers: &Resolver{Service: svc}})
	return gqlserver.WithPerOperation(es, func() *loaders { return newLoaders(svc) })
}

// loaders batch what each delivery of a page shows: its attempts and its
// endpoint, one statement per batch.
type loaders struct {
	attempts  *loader.Loader[loader.None, []webhooks.WebhookAttempt]
	endpoints *loader.Loader[loader.None, webhooks.WebhookEndpoint]
}

func newLoaders(svc *webhooks.Service) *loaders {
	return &loaders{attempts: loader.ByID(svc.Attempts), endpoints: loader.ByID(svc.EndpointsByID)}
}

// loadersOf returns the operation's loaders (NewSchema puts them there).
func loadersOf(ctx context.Context) *loaders { return gqlserver.OperationValue[*loaders](ctx) }

// expectDeliveries registers a page's deliveries, so the first batch of
// their attempts fetches the attempts of all of them.
func expectDeliveries(ctx context.Context, c *webhooks.WebhookDeliveryConnection) {
	ids := make([]string, len(c.Edges))
	for i, e := range c.Edges {
		ids[i] = e.Node.ID
	}
	loadersOf(ctx).attempts.Expect(ids...)
}
