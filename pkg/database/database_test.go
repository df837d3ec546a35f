package database_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

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

// The pool's parameters in the URL are not sent to PostgreSQL when the
// database is created (it would refuse them as unknown settings).
func TestADatabaseIsCreatedFromAURLThatSizesThePool(t *testing.T) {
	ctx := context.Background()
	name := "opencrm_test_ensure_" + strings.ToLower(strconv.FormatInt(time.Now().UnixNano(), 36))
	url := "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable&pool_max_conns=2"
	require.NoError(t, database.EnsureDatabase(ctx, url))
	require.NoError(t, database.EnsureDatabase(ctx, url), "a second time: it exists")
	pool, err := database.NewPool(ctx, url, database.Options{})
	require.NoError(t, err)
	require.NoError(t, pool.Ping(ctx))
	pool.Close()
	admin, err := database.NewPool(ctx, "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", database.Options{})
	require.NoError(t, err)
	defer admin.Close()
	_, err = admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)")
	require.NoError(t, err)
}
