package graph

import (
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/subgraphs/deal"
)

// NewSchema returns the subgraph's executable schema; every operation gets
// its own loaders, so nothing is cached across requests or callers.
func NewSchema(svc *deal.Service) graphql.ExecutableSchema {
	es := NewExecutableSchema(Config{Resolvers: &Resolver{Service: svc}})
	return gqlserver.PerOperation(es, func(ctx context.Context) context.Context {
		return context.WithValue(ctx, loadersKey{}, newLoaders(svc))
	})
}

type loadersKey struct{}

// wait is how long a loader gathers keys before it queries. Batches are
// widened to every deal the operation listed (see contactsOf), so a batch
// cut short by the wait costs no extra statement.
const wait = 2 * time.Millisecond

// loaders batch the list fields of one operation.
type loaders struct {
	svc      *deal.Service
	contacts *dataloader.Loader[string, []deal.DealContact]
	dealsOf  *dataloader.Loader[parentKey, deal.DealPage]

	mu          sync.Mutex
	catalogOnce func() (deal.Catalog, error)
	listed      []string                      // deals the operation returned, in order
	fetched     map[string][]deal.DealContact // contacts by deal, for every deal fetched
}

func newLoaders(svc *deal.Service) *loaders {
	l := &loaders{svc: svc, fetched: map[string][]deal.DealContact{}}
	l.contacts = dataloader.NewBatchedLoader(l.loadContacts, dataloader.WithWait[string, []deal.DealContact](wait))
	l.dealsOf = dataloader.NewBatchedLoader(l.loadDealsOf, dataloader.WithWait[parentKey, deal.DealPage](wait))
	return l
}

func loadersOf(ctx context.Context) *loaders {
	l, _ := ctx.Value(loadersKey{}).(*loaders)
	return l
}

// catalogOf returns the tenant's pipelines and stages, read once per operation.
func catalogOf(ctx context.Context, svc *deal.Service) (deal.Catalog, error) {
	if l := loadersOf(ctx); l != nil {
		return onceWith(ctx, l)()
	}
	return svc.Catalog(ctx)
}

// onceWith binds the catalog read to the caller's context the first time.
func onceWith(ctx context.Context, l *loaders) func() (deal.Catalog, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.catalogOnce == nil {
		l.catalogOnce = sync.OnceValues(func() (deal.Catalog, error) { return l.svc.Catalog(ctx) })
	}
	return l.catalogOnce
}

// listed records deals an operation returned: a contacts batch fetches the
// contacts of all of them at once.
func listed(ctx context.Context, ds []deal.Deal) {
	l := loadersOf(ctx)
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range ds {
		l.listed = append(l.listed, d.ID)
	}
}

// loadContacts answers a batch of deals' contacts. It fetches them for the
// batch and every listed deal not fetched yet, in one statement, and answers
// later batches from what it fetched: a list of deals costs one statement
// however the loader cuts its batches.
func (l *loaders) loadContacts(ctx context.Context, keys []string) []*dataloader.Result[[]deal.DealContact] {
	l.mu.Lock()
	defer l.mu.Unlock()
	var missing []string
	seen := map[string]bool{}
	for _, k := range append(append([]string{}, keys...), l.listed...) {
		if _, ok := l.fetched[k]; !ok && !seen[k] {
			seen[k] = true
			missing = append(missing, k)
		}
	}
	out := make([]*dataloader.Result[[]deal.DealContact], len(keys))
	if len(missing) > 0 {
		got, err := l.svc.DealContacts(ctx, missing)
		if err != nil {
			for i := range out {
				out[i] = &dataloader.Result[[]deal.DealContact]{Error: err}
			}
			return out
		}
		for _, k := range missing {
			l.fetched[k] = got[k]
		}
	}
	for i, k := range keys {
		out[i] = &dataloader.Result[[]deal.DealContact]{Data: l.fetched[k]}
	}
	return out
}

// parentKey names a page of the deals of a company, contact or owner.
type parentKey struct {
	kind, id string
	size     int
	after    string
}

// loadDealsOf answers a batch of parents' pages with one statement per
// kind and page (in practice: one).
func (l *loaders) loadDealsOf(ctx context.Context, keys []parentKey) []*dataloader.Result[deal.DealPage] {
	type group struct {
		kind, after string
		size        int
	}
	groups := map[group][]string{}
	for _, k := range keys {
		g := group{k.kind, k.after, k.size}
		groups[g] = append(groups[g], k.id)
	}
	pages := map[parentKey]deal.DealPage{}
	errs := map[group]error{}
	for g, parents := range groups {
		var after *string
		if g.after != "" {
			after = &g.after
		}
		got, err := l.svc.DealsOf(ctx, g.kind, parents, g.size, after)
		errs[g] = err
		for _, id := range parents {
			pages[parentKey{g.kind, id, g.size, g.after}] = got[id]
		}
	}
	out := make([]*dataloader.Result[deal.DealPage], len(keys))
	for i, k := range keys {
		out[i] = &dataloader.Result[deal.DealPage]{Data: pages[k], Error: errs[group{k.kind, k.after, k.size}]}
	}
	return out
}

// dealsOf resolves a deals connection contributed to another subgraph's entity.
func (r *Resolver) dealsOf(ctx context.Context, kind, parentID string, first *int, after *string) (*deal.DealPage, error) {
	size, err := page.Size(first)
	if err != nil {
		return nil, err
	}
	key := parentKey{kind: kind, id: parentID, size: size}
	if after != nil {
		key.after = *after
	}
	var p deal.DealPage
	if l := loadersOf(ctx); l != nil {
		p, err = l.dealsOf.Load(ctx, key)()
	} else {
		var m map[string]deal.DealPage
		m, err = r.Service.DealsOf(ctx, kind, []string{parentID}, size, after)
		p = m[parentID]
	}
	if err != nil {
		return nil, err
	}
	listed(ctx, p.Deals)
	return &p, nil
}
