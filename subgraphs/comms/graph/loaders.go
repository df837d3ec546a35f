package graph

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/subgraphs/comms"
)

// NewSchema returns the subgraph's executable schema; every operation gets
// its own loaders, so nothing is cached across requests or callers.
func NewSchema(svc *comms.Service) graphql.ExecutableSchema {
	es := NewExecutableSchema(Config{Resolvers: &Resolver{Service: svc}})
	return gqlserver.PerOperation(es, func(ctx context.Context) context.Context {
		return context.WithValue(ctx, loadersKey{}, newLoaders(svc))
	})
}

type loadersKey struct{}

// wait is how long a loader gathers keys before it queries.
const wait = 2 * time.Millisecond

// listKey asks for one parent's page of a list. Keys that differ only in
// the parent's id share a statement.
type listKey struct {
	parent comms.Parent
	id     string
	first  int
	after  string
	status string
}

// group is a listKey without the parent's id.
func (k listKey) group() listKey { k.id = ""; return k }

// loaders batch the per-record lists of one operation.
type loaders struct {
	timelines *dataloader.Loader[listKey, comms.PageOf[comms.Activity]]
	tasks     *dataloader.Loader[listKey, comms.PageOf[comms.Task]]

	mu     sync.Mutex
	listed map[comms.Parent][]string // records the operation's _entities named, by kind
}

func newLoaders(svc *comms.Service) *loaders {
	l := &loaders{listed: map[comms.Parent][]string{}}
	l.timelines = dataloader.NewBatchedLoader(batch(l, func(ctx context.Context, k listKey, ids []string) (comms.Pages[comms.Activity], error) {
		return svc.Timelines(ctx, k.parent, ids, &k.first, &k.after)
	}), dataloader.WithWait[listKey, comms.PageOf[comms.Activity]](wait))
	l.tasks = dataloader.NewBatchedLoader(batch(l, func(ctx context.Context, k listKey, ids []string) (comms.Pages[comms.Task], error) {
		return svc.TasksOf(ctx, k.parent, ids, nonEmpty(k.status), &k.first, &k.after)
	}), dataloader.WithWait[listKey, comms.PageOf[comms.Task]](wait))
	return l
}

// list records the records an _entities call named: a batch of their lists
// fetches the lists of all of them at once, so a batch cut short by the
// loader's wait costs no extra statement.
func list(ctx context.Context, parents []comms.Parent, ids []string) {
	l, ok := ctx.Value(loadersKey{}).(*loaders)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range parents {
		l.listed[p] = append(l.listed[p], ids...)
	}
}

func (l *loaders) listedOf(p comms.Parent) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.listed[p]...)
}

// batch answers a loader's keys with one call of load per group of keys
// (keys that differ only in the record), widened to every listed record of
// the group not fetched yet; later batches are answered from what it fetched.
func batch[T any](l *loaders, load func(ctx context.Context, group listKey, ids []string) (comms.Pages[T], error)) dataloader.BatchFunc[listKey, comms.PageOf[T]] {
	var mu sync.Mutex
	fetched := map[listKey]comms.PageOf[T]{}
	return func(ctx context.Context, keys []listKey) []*dataloader.Result[comms.PageOf[T]] {
		mu.Lock()
		defer mu.Unlock()
		missing := map[listKey][]string{}
		want := func(k listKey) {
			if _, ok := fetched[k]; !ok && !slices.Contains(missing[k.group()], k.id) {
				missing[k.group()] = append(missing[k.group()], k.id)
			}
		}
		for _, k := range keys {
			want(k)
			for _, id := range l.listedOf(k.parent) {
				k.id = id
				want(k)
			}
		}
		errs := map[listKey]error{}
		for g, ids := range missing {
			pages, err := load(ctx, g, ids)
			if err != nil {
				errs[g] = err
				continue
			}
			for _, id := range ids {
				k := g
				k.id = id
				fetched[k] = pages[id]
			}
		}
		out := make([]*dataloader.Result[comms.PageOf[T]], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[comms.PageOf[T]]{Data: fetched[k], Error: errs[k.group()]}
		}
		return out
	}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// key makes the loader key of a list argument set; the page size is
// checked by the service, so an absent first takes the default here.
func key(parent comms.Parent, id string, first *int, after *string, status *string) listKey {
	k := listKey{parent: parent, id: id, first: 20}
	if first != nil {
		k.first = *first
	}
	if after != nil {
		k.after = *after
	}
	if status != nil {
		k.status = *status
	}
	return k
}

func timeline(ctx context.Context, svc *comms.Service, k listKey) (comms.PageOf[comms.Activity], error) {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l.timelines.Load(ctx, k)()
	}
	pages, err := svc.Timelines(ctx, k.parent, []string{k.id}, &k.first, &k.after)
	return pages[k.id], err
}

func tasksOf(ctx context.Context, svc *comms.Service, k listKey) (comms.PageOf[comms.Task], error) {
	if l, ok := ctx.Value(loadersKey{}).(*loaders); ok {
		return l.tasks.Load(ctx, k)()
	}
	pages, err := svc.TasksOf(ctx, k.parent, []string{k.id}, nonEmpty(k.status), &k.first, &k.after)
	return pages[k.id], err
}
