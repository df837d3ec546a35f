// Package testenv connects integration tests to the real PostgreSQL, Redis
// and NATS servers (started by `make test` / .ci/run, never mocked). Each
// test package gets a database of its own, so packages running in parallel
// never share state.
package testenv

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opencrm/opencrm/pkg/database"
	"github.com/opencrm/opencrm/pkg/platform"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// PostgresURL is the server tests use (TEST_DATABASE_URL), without a database name.
func PostgresURL() string {
	return env("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
}

// RedisURL is the Redis server tests use (TEST_REDIS_URL).
func RedisURL() string { return env("TEST_REDIS_URL", "redis://127.0.0.1:6379/15") }

// NATSURL is the NATS server tests use (TEST_NATS_URL).
func NATSURL() string { return env("TEST_NATS_URL", "nats://127.0.0.1:4222") }

var (
	mu    sync.Mutex
	pools = map[string]*pgxpool.Pool{}
)

// DatabaseURL returns the URL of the database opencrm_test_<name>, creating
// it if needed.
func DatabaseURL(t testing.TB, name string) string {
	t.Helper()
	dbName := "opencrm_test_" + strings.ToLower(name)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, PostgresURL())
	if err != nil {
		t.Fatalf("testenv: PostgreSQL is not reachable at %s (run `make test`, which starts it): %v", PostgresURL(), err)
	}
	defer admin.Close(ctx)
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", dbName).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if !exists {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{dbName}.Sanitize()); err != nil && !strings.Contains(err.Error(), "already exists") {
			t.Fatalf("testenv: create database %s: %v", dbName, err)
		}
	}
	cfg := admin.Config()
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, dbName)
}

// DB returns the database opencrm_test_<name>, set up with the platform
// schema, whose tenants get the given domains' migrations. The pool is
// shared by the tests of one package.
func DB(t testing.TB, name string, tenantDomains ...tenancy.Domain) *tenancy.DB {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	pool, ok := pools[name]
	if !ok {
		var err error
		pool, err = database.NewPool(context.Background(), DatabaseURL(t, name), database.Options{})
		if err != nil {
			t.Fatal(err)
		}
		pools[name] = pool
	}
	db := &tenancy.DB{Pool: pool, Platform: platform.Domains(), Tenant: tenantDomains}
	if err := db.Setup(context.Background()); err != nil {
		t.Fatalf("testenv: setup: %v", err)
	}
	return db
}
