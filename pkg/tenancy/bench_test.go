package tenancy_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/tenancy"
)

// BenchmarkTenantTransaction is the cost of the one way tenant tables are
// reached: BEGIN + SET LOCAL search_path (one round trip), a scoped query,
// COMMIT.
func BenchmarkTenantTransaction(b *testing.B) {
	db, tn := benchTenant(b)
	ctx := context.Background()
	for b.Loop() {
		err := db.InTenant(ctx, tn.ID, func(tx pgx.Tx) error {
			var n int
			return tx.QueryRow(ctx, "SELECT count(*) FROM notes WHERE id = $1", "1").Scan(&n)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSchemaQualifiedQuery is the same query without a transaction,
// naming the schema: the floor the helper is measured against.
func BenchmarkSchemaQualifiedQuery(b *testing.B) {
	db, tn := benchTenant(b)
	ctx := context.Background()
	q := "SELECT count(*) FROM " + pgx.Identifier{tn.SchemaName, "notes"}.Sanitize() + " WHERE id = $1"
	for b.Loop() {
		var n int
		if err := db.Pool.QueryRow(ctx, q, "1").Scan(&n); err != nil {
			b.Fatal(err)
		}
	}
}

func benchTenant(b *testing.B) (*tenancy.DB, tenancy.Tenant) {
	db := testenvDB(b)
	tn, err := db.Provision(context.Background(), "Bench", strings.ToLower("b-"+tenancy.NewID()[16:]), func(pgx.Tx, tenancy.Tenant) error { return nil })
	if err != nil {
		b.Fatal(err)
	}
	return db, tn
}
