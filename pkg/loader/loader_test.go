package loader_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/loader"
)

// counting returns a fetch that answers "v:<id>" and counts its calls.
func counting(calls *atomic.Int32) func(context.Context, []string) (map[string]string, error) {
	return func(_ context.Context, ids []string) (map[string]string, error) {
		calls.Add(1)
		out := map[string]string{}
		for _, id := range ids {
			out[id] = "v:" + id
		}
		return out, nil
	}
}

func TestConcurrentLoadsOfExpectedIdsAreOneFetch(t *testing.T) {
	var calls atomic.Int32
	l := loader.ByID(counting(&calls))
	ids := make([]string, 26)
	for i := range ids {
		ids[i] = string(rune('a' + i))
	}
	l.Expect(ids...)
	// However the scheduler spreads these loads over batches (a loaded CI
	// machine cuts them into several), the first batch fetches every
	// expected id and the others wait for it.
	var wg sync.WaitGroup
	got := make([]string, 50)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := l.Get(context.Background(), string(rune('a'+i%26)))
			require.NoError(t, err)
			got[i] = v
		}()
	}
	wg.Wait()
	require.Equal(t, int32(1), calls.Load())
	require.Equal(t, "v:a", got[0])
	require.Equal(t, "v:b", got[27])
}

func TestExpectedIdsAreFetchedWithTheFirstBatch(t *testing.T) {
	var calls atomic.Int32
	l := loader.ByID(counting(&calls))
	l.Expect("a", "b", "c")
	ctx := context.Background()
	// Loads far apart in time are separate batches; the first fetches all
	// three expected ids, so the later ones cost nothing.
	for _, id := range []string{"a", "b", "c"} {
		v, err := l.Get(ctx, id)
		require.NoError(t, err)
		require.Equal(t, "v:"+id, v)
		time.Sleep(2 * loader.Wait)
	}
	require.Equal(t, int32(1), calls.Load())
}

func TestGroupsAreFetchedApart(t *testing.T) {
	var groups sync.Map
	l := loader.New(func(_ context.Context, size int, ids []string) (map[string]int, error) {
		groups.Store(size, len(ids))
		out := map[string]int{}
		for _, id := range ids {
			out[id] = size
		}
		return out, nil
	})
	l.Expect("x", "y")
	ctx := context.Background()
	v, err := l.Load(ctx, 5, "x")
	require.NoError(t, err)
	require.Equal(t, 5, v)
	v, err = l.Load(ctx, 10, "y")
	require.NoError(t, err)
	require.Equal(t, 10, v)
	n, _ := groups.Load(10)
	require.Equal(t, 2, n, "each group's batch is widened to the expected ids")
}

func TestPrimedValuesAreNotFetched(t *testing.T) {
	var calls atomic.Int32
	l := loader.ByID(counting(&calls))
	l.Prime(loader.None{}, "a", "known")
	v, err := l.Get(context.Background(), "a")
	require.NoError(t, err)
	require.Equal(t, "known", v)
	require.Zero(t, calls.Load())
}

func TestAFailedFetchFailsItsLoads(t *testing.T) {
	boom := errors.New("boom")
	l := loader.ByID(func(context.Context, []string) (map[string]string, error) { return nil, boom })
	_, err := l.Get(context.Background(), "a")
	require.ErrorIs(t, err, boom)
}

func TestMissingIdsGiveZeroValues(t *testing.T) {
	l := loader.ByID(func(context.Context, []string) (map[string]*string, error) { return nil, nil })
	v, err := l.Get(context.Background(), "nothing")
	require.NoError(t, err)
	require.Nil(t, v)
}

func TestInOrderAnswersInRequestOrder(t *testing.T) {
	type row struct{ ID string }
	rows := []row{{"b"}, {"a"}}
	got := loader.InOrder([]string{"a", "missing", "b"}, rows, func(r row) string { return r.ID })
	require.Equal(t, "a", got[0].ID)
	require.Nil(t, got[1])
	require.Equal(t, "b", got[2].ID)
}
