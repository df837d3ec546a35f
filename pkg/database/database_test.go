package database_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/database"
)

// An operator sizes each process's pool in DATABASE_URL (pgx's
// pool_max_conns, pool_min_conns); without them a pool has the seed's size.
func TestThePoolSizeOfTheURLWinsOverTheSeeds(t *testing.T) {
	ctx := context.Background()
	const url = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	for _, c := range []struct {
		url      string
		max, min int32
	}{
		{url, database.MaxConns, database.MinConns},
		{url + "&pool_max_conns=3", 3, 3},
		{url + "&pool_max_conns=12&pool_min_conns=1", 12, 1},
	} {
		pool, err := database.NewPool(ctx, c.url, database.Options{})
		require.NoError(t, err)
		require.Equal(t, c.max, pool.Config().MaxConns, c.url)
		require.Equal(t, c.min, pool.Config().MinConns, c.url)
		pool.Close()
	}
}
