package tenancy

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/opencrm/opencrm/pkg/tenancy/platformdb"
)

// Setup creates the platform and shared schemas, the extensions tenant
// schemas use, and applies the platform domains' migrations. It is safe to
// run from several processes at once and again at every start.
func (db *DB) Setup(ctx context.Context) error {
	err := db.InPlatform(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey("setup")); err != nil {
			return err
		}
		for _, stmt := range []string{
			"CREATE SCHEMA IF NOT EXISTS " + PlatformSchema,
			"CREATE SCHEMA IF NOT EXISTS " + SharedSchema,
			"CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA " + SharedSchema,
		} {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("setup: %s: %w", stmt, err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return db.inSchema(ctx, PlatformSchema, func(tx pgx.Tx) error {
		_, err := applyMigrations(ctx, tx, PlatformSchema, db.Platform)
		return err
	})
}

// Progress reports the migration of one tenant schema.
type Progress struct {
	Done, Total int    // tenants finished (migrated or failed) and in all
	TenantID    string // the tenant just finished
	Applied     int    // migration files applied to it
	Err         error  // why it failed, if it did
}

// MigrateTenants upgrades every tenant schema, at most parallel at a time,
// each in its own transaction: an interrupted run leaves every schema either
// migrated or untouched, and running it again finishes the work. report is
// called after each tenant, from one goroutine at a time.
func (db *DB) MigrateTenants(ctx context.Context, parallel int, report func(Progress)) error {
	ids, err := platformdb.New(db.Pool).ListTenantIDs(ctx)
	if err != nil {
		return fmt.Errorf("list tenants: %w", err)
	}
	parallel = max(1, parallel)
	jobs := make(chan string)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		done     int
		failures atomic.Int64
	)
	for range min(parallel, max(1, len(ids))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range jobs {
				applied, err := db.MigrateTenant(ctx, id)
				if err != nil {
					failures.Add(1)
				}
				mu.Lock()
				done++
				report(Progress{Done: done, Total: len(ids), TenantID: id, Applied: applied, Err: err})
				mu.Unlock()
			}
		}()
	}
feed:
	for _, id := range ids {
		select {
		case jobs <- id:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("migration interrupted after %d of %d tenants (run it again to finish): %w", done, len(ids), err)
	}
	if n := failures.Load(); n > 0 {
		return fmt.Errorf("%d of %d tenant schemas failed to migrate", n, len(ids))
	}
	return nil
}

// MigrateTenant applies the pending tenant migrations to one tenant schema
// and returns how many files it applied.
func (db *DB) MigrateTenant(ctx context.Context, tenantID string) (int, error) {
	applied := 0
	err := db.InTenant(ctx, tenantID, func(tx pgx.Tx) error {
		schema, _ := SchemaName(tenantID)
		var err error
		applied, err = applyMigrations(ctx, tx, schema, db.Tenant)
		return err
	})
	return applied, err
}
