package tenancy

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opencrm/opencrm/pkg/cache"
)

// DB is the database as the domains see it: tenant-scoped and platform
// transactions over one pool, and the migrations every schema gets.
type DB struct {
	Pool *pgxpool.Pool
	// Platform are the domains whose tables live in the platform schema.
	Platform []Domain
	// Tenant are the domains whose tables every tenant schema holds.
	Tenant []Domain
	// Cache keeps tenant lookups (24 hours, invalidated on change); nil: no cache.
	Cache *cache.Cache
}

// InTenant runs fn in a transaction whose search_path is the tenant's schema
// (then the shared schema), committing when fn returns nil and rolling back
// otherwise. It is the only way tenant tables are reached: the search_path is
// SET LOCAL in the statement that begins the transaction, so it can never
// outlive the transaction and leak to the pool's next borrower.
func (db *DB) InTenant(ctx context.Context, tenantID string, fn func(pgx.Tx) error) error {
	schema, err := SchemaName(tenantID)
	if err != nil {
		return err
	}
	return db.inSchema(ctx, schema, fn)
}

// InPlatform runs fn in a transaction with no tenant on its search_path:
// only schema-qualified platform tables can be reached.
func (db *DB) InPlatform(ctx context.Context, fn func(pgx.Tx) error) error {
	return runTx(ctx, db.Pool, pgx.TxOptions{}, fn)
}

func (db *DB) inSchema(ctx context.Context, schema string, fn func(pgx.Tx) error) error {
	return runTx(ctx, db.Pool, pgx.TxOptions{BeginQuery: beginIn(schema)}, fn)
}

// beginIn is the statement that begins a transaction scoped to schema. The
// schema name is quoted as an identifier; callers pass only names made by
// SchemaName or the constants of this package.
func beginIn(schema string) string {
	return fmt.Sprintf("BEGIN; SET LOCAL search_path = %s, %s",
		pgx.Identifier{schema}.Sanitize(), pgx.Identifier{SharedSchema}.Sanitize())
}

func runTx(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(pgx.Tx) error) (err error) {
	tx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil {
			err = errors.Join(err, ignoreClosed(tx.Rollback(context.WithoutCancel(ctx))))
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func ignoreClosed(err error) error {
	if errors.Is(err, pgx.ErrTxClosed) {
		return nil
	}
	return err
}
