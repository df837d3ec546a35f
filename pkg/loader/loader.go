// Package loader is the one way subgraphs batch the lookups of an operation:
// the nested lists and references of every record of a page, each asked by
// its own field resolver, are answered by one statement per batch.
//
// A Loader is made per operation (see gqlserver.PerOperation) and keyed by a
// record id plus a group: the arguments shared by a batch, such as a page
// size (use None when there are none). It batches the keys that arrive
// within Wait (graph-gophers/dataloader), and widens every batch to the ids
// registered with Expect: whoever hands out records (a page, an _entities
// batch, another loader) registers the ids their fields may ask for, so the
// first batch that needs the database fetches all of them, and batches cut
// short by the wait under load are answered from what it fetched. A page
// therefore costs a fixed number of statements however its resolvers are
// scheduled.
package loader

import (
	"context"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"
)

// Wait is how long a loader gathers keys before it runs its batch. The
// statement count does not depend on it (see Expect); latency does.
const Wait = 2 * time.Millisecond

// None is the group of a loader whose keys are ids alone.
type None struct{}

// Fetch answers the ids of one group in one call, by id. An id missing from
// the map gets V's zero value (a nil record, an empty list).
type Fetch[G comparable, V any] func(ctx context.Context, group G, ids []string) (map[string]V, error)

// Loader batches one kind of lookup of one operation.
type Loader[G comparable, V any] struct {
	fetch Fetch[G, V]
	dl    *dataloader.Loader[Key[G], V]

	mu       sync.Mutex
	expected map[string]bool
	order    []string // expected, in the order registered
	done     map[Key[G]]result[V]
	flights  map[Key[G]]chan struct{}
}

// Key is what a loader is asked.
type Key[G comparable] struct {
	Group G
	ID    string
}

type result[V any] struct {
	val V
	err error
}

// New returns a loader answering with fetch.
func New[G comparable, V any](fetch Fetch[G, V]) *Loader[G, V] {
	l := &Loader[G, V]{fetch: fetch, expected: map[string]bool{},
		done: map[Key[G]]result[V]{}, flights: map[Key[G]]chan struct{}{}}
	l.dl = dataloader.NewBatchedLoader(l.batchFunc, dataloader.WithWait[Key[G], V](Wait))
	return l
}

// ByID returns a loader of ids alone.
func ByID[V any](fetch func(ctx context.Context, ids []string) (map[string]V, error)) *Loader[None, V] {
	return New(func(ctx context.Context, _ None, ids []string) (map[string]V, error) { return fetch(ctx, ids) })
}

// Load returns the value of id in group, batched with the operation's other
// loads of this loader.
func (l *Loader[G, V]) Load(ctx context.Context, group G, id string) (V, error) {
	return l.dl.Load(ctx, Key[G]{Group: group, ID: id})()
}

// Get is Load for a loader of ids alone.
func (l *Loader[G, V]) Get(ctx context.Context, id string) (V, error) {
	var g G
	return l.Load(ctx, g, id)
}

// Expect registers ids whose values may be asked for: the next batch of
// every group fetches them too.
func (l *Loader[G, V]) Expect(ids ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range ids {
		if !l.expected[id] {
			l.expected[id] = true
			l.order = append(l.order, id)
		}
	}
}

// Prime records a value fetched elsewhere (the company of a page, read with
// the page), so asking for it costs nothing.
func (l *Loader[G, V]) Prime(group G, id string, v V) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := Key[G]{Group: group, ID: id}
	if _, ok := l.done[k]; !ok {
		l.done[k] = result[V]{val: v}
	}
}

func (l *Loader[G, V]) batchFunc(ctx context.Context, keys []Key[G]) []*dataloader.Result[V] {
	out := make([]*dataloader.Result[V], len(keys))
	vals, err := l.batch(ctx, keys)
	for i := range keys {
		out[i] = &dataloader.Result[V]{Error: err}
		if err == nil {
			out[i].Data = vals[i]
		}
	}
	return out
}

// batch answers keys: from what was fetched, by waiting for a fetch in
// flight, or by fetching them, with every expected id of their groups not
// fetched yet, in one call per group.
func (l *Loader[G, V]) batch(ctx context.Context, keys []Key[G]) ([]V, error) {
	l.mu.Lock()
	need := map[G][]string{}
	mine := map[Key[G]]bool{}
	waits := map[chan struct{}]bool{}
	add := func(k Key[G]) {
		if mine[k] {
			return
		}
		if _, ok := l.done[k]; ok {
			return
		}
		if f, ok := l.flights[k]; ok {
			waits[f] = true
			return
		}
		mine[k] = true
		need[k.Group] = append(need[k.Group], k.ID)
	}
	for _, k := range keys {
		add(k)
	}
	for g := range need {
		for _, id := range l.order {
			add(Key[G]{Group: g, ID: id})
		}
	}
	flight := make(chan struct{})
	for k := range mine {
		l.flights[k] = flight
	}
	l.mu.Unlock()

	if len(need) > 0 {
		for g, ids := range need {
			got, err := l.fetch(ctx, g, ids)
			l.mu.Lock()
			for _, id := range ids {
				k := Key[G]{Group: g, ID: id}
				l.done[k] = result[V]{val: got[id], err: err}
				delete(l.flights, k)
			}
			l.mu.Unlock()
		}
		close(flight)
	}
	for f := range waits {
		select {
		case <-f:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]V, len(keys))
	for i, k := range keys {
		r := l.done[k]
		if r.err != nil {
			return nil, r.err
		}
		out[i] = r.val
	}
	return out, nil
}

// InOrder returns the rows of ids in the order of ids (an _entities batch
// answers in request order); an id with no row gives nil.
func InOrder[T any](ids []string, rows []T, id func(T) string) []*T {
	byID := make(map[string]*T, len(rows))
	for i := range rows {
		byID[id(rows[i])] = &rows[i]
	}
	out := make([]*T, len(ids))
	for i, k := range ids {
		out[i] = byID[k]
	}
	return out
}

// Index returns rows by id, for a Fetch of records.
func Index[T any](rows []T, id func(T) string) map[string]*T {
	out := make(map[string]*T, len(rows))
	for i := range rows {
		out[id(rows[i])] = &rows[i]
	}
	return out
}

// GroupBy returns rows by the id of what they belong to, for a Fetch of lists.
func GroupBy[T any](rows []T, parent func(T) string) map[string][]T {
	out := map[string][]T{}
	for _, r := range rows {
		out[parent(r)] = append(out[parent(r)], r)
	}
	return out
}
