// Package testenv connects integration tests to the real PostgreSQL, Redis
// and NATS servers (started by `make test` / .ci/run, never mocked). Each
// test package gets a database of its own, so packages running in parallel
// never share state.
package testenv

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
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

// PostgresURL is the server the tests' pools use (TEST_DATABASE_URL); its
// database name is replaced by each package's own. It may be a PgBouncer in
// transaction pooling mode (`make test-pgbouncer`); its query parameters
// (default_query_exec_mode=...) are kept.
func PostgresURL() string {
	return env("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
}

// DirectPostgresURL is the PostgreSQL server itself (TEST_DATABASE_DIRECT_URL,
// default TEST_DATABASE_URL): test databases are created and dropped there,
// and outbox relays LISTEN there, which no transaction pooler carries.
func DirectPostgresURL() string { return env("TEST_DATABASE_DIRECT_URL", PostgresURL()) }

// RedisURL is the Redis server tests use (TEST_REDIS_URL).
func RedisURL() string { return env("TEST_REDIS_URL", "redis://127.0.0.1:6379/15") }

// NATSURL is the NATS server tests use (TEST_NATS_URL).
func NATSURL() string { return env("TEST_NATS_URL", "nats://127.0.0.1:4222") }

var (
	mu    sync.Mutex
	pools = map[string]*pgxpool.Pool{}
	fresh = map[string]bool{}
)

// DatabaseURL returns the URL of this test package's database named name:
// opencrm_test_<name>_<package folder><TEST_DB_SUFFIX> (the suffix lets two
// runs of one package at once keep apart). The first call in a test process
// creates it afresh (dropping what an earlier run left), so a run never sees
// an earlier run's tenants, and packages running in parallel never share one.
func DatabaseURL(t testing.TB, name string) string {
	t.Helper()
	suffix := strings.ToLower(os.Getenv("TEST_DB_SUFFIX"))
	dbName := "opencrm_test_" + strings.ToLower(name) + "_" + packageName()
	if len(dbName)+len(suffix) > 63 {
		dbName = dbName[:63-len(suffix)]
	}
	dbName += suffix
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, DirectPostgresURL())
	if err != nil {
		t.Fatalf("testenv: PostgreSQL is not reachable at %s (run `make test`, which starts it): %v", DirectPostgresURL(), err)
	}
	defer admin.Close(ctx)
	mu.Lock()
	defer mu.Unlock()
	if !fresh[dbName] {
		ident := pgx.Identifier{dbName}.Sanitize()
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			t.Fatalf("testenv: drop database %s: %v", dbName, err)
		}
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
			t.Fatalf("testenv: create database %s: %v", dbName, err)
		}
		fresh[dbName] = true
	}
	return withDatabase(t, PostgresURL(), dbName)
}

// DirectDatabaseURL is DatabaseURL on the PostgreSQL server itself
// (DirectPostgresURL): what a relay's LISTEN connection needs
// (events.RelayConfig.ListenURL).
func DirectDatabaseURL(t testing.TB, name string) string {
	t.Helper()
	pooled := DatabaseURL(t, name)
	u, err := url.Parse(pooled)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return withDatabase(t, DirectPostgresURL(), strings.TrimPrefix(u.Path, "/"))
}

// withDatabase is server (a postgres:// URL) naming the database dbName.
func withDatabase(t testing.TB, server, dbName string) string {
	t.Helper()
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("testenv: parse %s: %v", server, err)
	}
	u.Path = "/" + dbName
	return u.String()
}

// packageName is the folder of the package under test (go test runs a
// package's tests in its folder).
func packageName() string {
	wd, err := os.Getwd()
	if err != nil {
		return "unknown"
	}
	return strings.ToLower(filepath.Base(wd))
}

// DB returns the database opencrm_test_<name>, set up with the platform
// schema, whose tenants get the given domains' migrations. The pool is
// shared by the tests of one package.
func DB(t testing.TB, name string, tenantDomains ...tenancy.Domain) *tenancy.DB {
	t.Helper()
	url := DatabaseURL(t, name)
	mu.Lock()
	defer mu.Unlock()
	pool, ok := pools[name]
	if !ok {
		var err error
		pool, err = database.NewPool(context.Background(), url, database.Options{})
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
