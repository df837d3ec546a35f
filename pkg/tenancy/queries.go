package tenancy

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/auth"
)

// Queries binds a domain's queries (its sqlc store) to transactions of the
// caller's tenant schema, after checking the caller's permission: the one
// way a subgraph reads and writes tenant tables.
type Queries[Q any] struct {
	DB *DB
	// New binds the queries to a transaction (the sqlc store's New).
	New func(pgx.Tx) Q
}

// NewQueries returns the domain's Queries over db; bind is its sqlc store's
// constructor (store.New), whatever interface it takes.
func NewQueries[Q, D any](db *DB, bind func(D) Q) Queries[Q] {
	return Queries[Q]{DB: db, New: func(tx pgx.Tx) Q { return bind(any(tx).(D)) }}
}

// In runs fn in a transaction of the tenant's schema with the queries bound
// to it, for work done on a tenant's behalf without a caller (consumers,
// workers, sign-up).
func (s Queries[Q]) In(ctx context.Context, tenantID string, fn func(q Q, tx pgx.Tx) error) error {
	return s.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error { return fn(s.New(tx), tx) })
}

// As runs fn in a transaction of the caller's tenant once the caller is
// known to hold perm (UNAUTHENTICATED or FORBIDDEN otherwise).
func (s Queries[Q]) As(ctx context.Context, perm auth.Permission, fn func(q Q, tx pgx.Tx, caller auth.Identity) error) error {
	caller, err := auth.Require(ctx, perm)
	if err != nil {
		return err
	}
	return s.In(ctx, caller.TenantID, func(q Q, tx pgx.Tx) error { return fn(q, tx, caller) })
}

// Read runs fn, which only reads, for a caller holding perm.
func (s Queries[Q]) Read(ctx context.Context, perm auth.Permission, fn func(q Q) error) error {
	return s.As(ctx, perm, func(q Q, _ pgx.Tx, _ auth.Identity) error { return fn(q) })
}

// Get returns what fn reads for a caller holding perm.
func Get[Q, T any](ctx context.Context, s Queries[Q], perm auth.Permission, fn func(q Q) (T, error)) (T, error) {
	var out T
	err := s.Read(ctx, perm, func(q Q) (err error) {
		out, err = fn(q)
		return err
	})
	return out, err
}
