package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/loader"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/subgraphs/deal"
)

// NewSchema returns the subgraph's executable schema; every operation gets
// its own loaders, so nothing is cached across requests or callers.
func NewSchema(svc *deal.Service) graphql.ExecutableSchema {
	es := NewExecutableSchema(Config{Resolvers: &Resolver{Service: svc}})
	return gqlserver.WithPerOperation(es, func() *loaders { return newLoaders(svc) })
}

// loaders batch the lookups of one operation. Whoever hands out deals (a
// page, a pipeline view, an _entities batch) expects their ids in contacts,
// and the entity batches of companies, contacts and users expect theirs in
// the deals loaders, so each costs one statement however it is batched.
type loaders struct {
	// catalog is the tenant's pipelines and stages, read once (its one key is "").
	catalog  *loader.Loader[loader.None, deal.Catalog]
	contacts *loader.Loader[loader.None, []deal.DealContact]
	// dealsOf pages the deals of companies, contacts and owners.
	dealsOf map[deal.ParentKind]*loader.Loader[pageKey, deal.DealConnection]
}

// pageKey is what the pages of one batch share.
type pageKey struct {
	size  int
	after string
}

func newLoaders(svc *deal.Service) *loaders {
	l := &loaders{
		catalog: loader.ByID(func(ctx context.Context, _ []string) (map[string]deal.Catalog, error) {
			c, err := svc.Catalog(ctx)
			return map[string]deal.Catalog{"": c}, err
		}),
		contacts: loader.ByID(svc.DealContacts),
		dealsOf:  map[deal.ParentKind]*loader.Loader[pageKey, deal.DealConnection]{},
	}
	for _, kind := range []deal.ParentKind{deal.ByCompany, deal.ByContact, deal.ByOwner} {
		l.dealsOf[kind] = loader.New(func(ctx context.Context, k pageKey, ids []string) (map[string]deal.DealConnection, error) {
			var after *string
			if k.after != "" {
				after = &k.after
			}
			return svc.DealsOf(ctx, kind, ids, k.size, after)
		})
	}
	return l
}

// loadersOf returns the operation's loaders (NewSchema puts them there).
func loadersOf(ctx context.Context) *loaders { return gqlserver.OperationValue[*loaders](ctx) }

// catalogOf returns the tenant's pipelines and stages, read once per operation.
func catalogOf(ctx context.Context) (deal.Catalog, error) { return loadersOf(ctx).catalog.Get(ctx, "") }

// dealCatalog is the catalog of a deal's stage and pipeline: the one its
// mutation's transaction read when a mutation returned it (no read after
// the commit), else the operation's.
func dealCatalog(ctx context.Context, d *deal.Deal) (deal.Catalog, error) {
	if cat, ok := d.TransactionCatalog(); ok {
		return cat, nil
	}
	return catalogOf(ctx)
}

// handOut registers deals the operation returns: the first contacts batch
// fetches the contacts of all of them.
func handOut(ctx context.Context, dealIDs []string) { loadersOf(ctx).contacts.Expect(dealIDs...) }

// dealsOf resolves a deals connection contributed to another subgraph's entity.
func dealsOf(ctx context.Context, kind deal.ParentKind, parentID string, first *int, after *string) (*deal.DealConnection, error) {
	size, err := page.Size(first)
	if err != nil {
		return nil, err
	}
	k := pageKey{size: size}
	if after != nil {
		k.after = *after
	}
	c, err := loadersOf(ctx).dealsOf[kind].Load(ctx, k, parentID)
	if err != nil {
		return nil, err
	}
	handOut(ctx, c.DealIDs())
	return &c, nil
}
