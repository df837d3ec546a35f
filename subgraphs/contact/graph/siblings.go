package graph

import (
	"context"
	"sync"
)

// siblings is the batch function behind a loader. A dataloader batches the
// keys that arrive within a short wait, which under load may split one
// level of a response into several batches. So that a page costs a fixed
// number of statements however its resolvers are scheduled, whoever hands
// out a set of records (a page, an _entities batch, a loader's own batch)
// registers the keys their fields may ask for with expect: the first batch
// that needs the database fetches all of them, and later batches are
// answered from what it fetched.
type siblings[K comparable, V any] struct {
	fetch func(context.Context, []K) ([]V, error)
	// idOf and withID map a key to the record id it is about and back (a
	// page key carries a page size besides the id).
	idOf   func(K) string
	withID func(K, string) K

	mu       sync.Mutex
	expected map[string]bool
	done     map[K]fetched[V]
	flights  map[K]chan struct{}
}

type fetched[V any] struct {
	val V
	err error
}

func newSiblings[K comparable, V any](fetch func(context.Context, []K) ([]V, error), idOf func(K) string, withID func(K, string) K) *siblings[K, V] {
	return &siblings[K, V]{fetch: fetch, idOf: idOf, withID: withID,
		expected: map[string]bool{}, done: map[K]fetched[V]{}, flights: map[K]chan struct{}{}}
}

func byString[V any](fetch func(context.Context, []string) ([]V, error)) *siblings[string, V] {
	same := func(k string) string { return k }
	return newSiblings(fetch, same, func(_ string, id string) string { return id })
}

// expect registers ids whose records' fields may be asked for.
func (s *siblings[K, V]) expect(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		s.expected[id] = true
	}
}

// know records a value fetched elsewhere (a company of a page).
func (s *siblings[K, V]) know(k K, v V) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.done[k]; !ok {
		s.done[k] = fetched[V]{val: v}
	}
}

// batch answers keys: from what was fetched, by waiting for a fetch in
// flight, or by fetching them together with every expected key not yet
// fetched, in one call.
func (s *siblings[K, V]) batch(ctx context.Context, keys []K) ([]V, error) {
	s.mu.Lock()
	var need []K
	mine := map[K]bool{}
	waits := map[chan struct{}]bool{}
	add := func(k K) {
		if mine[k] {
			return
		}
		if _, ok := s.done[k]; ok {
			return
		}
		if f, ok := s.flights[k]; ok {
			waits[f] = true
			return
		}
		mine[k] = true
		need = append(need, k)
	}
	shapes := map[K]bool{}
	for _, k := range keys {
		add(k)
		shapes[s.withID(k, "")] = true
	}
	if len(need) > 0 {
		for shape := range shapes {
			for id := range s.expected {
				add(s.withID(shape, id))
			}
		}
	}
	flight := make(chan struct{})
	for _, k := range need {
		s.flights[k] = flight
	}
	s.mu.Unlock()

	if len(need) > 0 {
		vals, err := s.fetch(ctx, need)
		s.mu.Lock()
		for i, k := range need {
			f := fetched[V]{err: err}
			if err == nil {
				f.val = vals[i]
			}
			s.done[k] = f
			delete(s.flights, k)
		}
		s.mu.Unlock()
		close(flight)
	}
	for f := range waits {
		select {
		case <-f:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]V, len(keys))
	for i, k := range keys {
		f := s.done[k]
		if f.err != nil {
			return nil, f.err
		}
		out[i] = f.val
	}
	return out, nil
}
