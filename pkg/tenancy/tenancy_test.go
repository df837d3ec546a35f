package tenancy_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/testenv"
)

var notes = tenancy.Domain{Name: "notes", FS: os.DirFS("testdata/notes")}

func setup(t *testing.T) *tenancy.DB {
	t.Helper()
	return testenvDB(t)
}

func testenvDB(t testing.TB) *tenancy.DB { return testenv.DB(t, "tenancy", notes) }

func uniqueSubdomain(t *testing.T) string {
	return strings.ToLower("t-" + tenancy.NewID()[16:])
}

func provision(t *testing.T, db *tenancy.DB) tenancy.Tenant {
	t.Helper()
	tn, err := db.Provision(context.Background(), "Acme", uniqueSubdomain(t), func(pgx.Tx, tenancy.Tenant) error { return nil })
	require.NoError(t, err)
	return tn
}

func TestSchemaNameAcceptsOnlyULIDs(t *testing.T) {
	t.Parallel()
	id := tenancy.NewID()
	s, err := tenancy.SchemaName(id)
	require.NoError(t, err)
	assert.Equal(t, "tenant_"+strings.ToLower(id), s)
	for _, bad := range []string{"", "x", `01H"; DROP SCHEMA platform; --`, "../../etc", id + "0"} {
		_, err := tenancy.SchemaName(bad)
		assert.Equal(t, apperr.NotFound, apperr.CodeOf(err), bad)
	}
}

func TestProvisionCreatesSchemaWithDomainTables(t *testing.T) {
	t.Parallel()
	db := setup(t)
	tn := provision(t, db)
	err := db.InTenant(context.Background(), tn.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), "INSERT INTO notes (id, body) VALUES ('1', 'hello')")
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, tenancy.StatusActive, tn.Status)
}

func TestQueryOutsideTenantTransactionFindsNoTenantTable(t *testing.T) {
	t.Parallel()
	db := setup(t)
	provision(t, db)
	_, err := db.Pool.Exec(context.Background(), "SELECT * FROM notes")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `relation "notes" does not exist`)
	// Nor does a tenant transaction leave its search_path on the connection.
	for range 30 {
		var sp string
		require.NoError(t, db.Pool.QueryRow(context.Background(), "SHOW search_path").Scan(&sp))
		assert.Empty(t, sp)
	}
}

func TestFailedSetupLeavesNoTenantAndCanBeRetried(t *testing.T) {
	t.Parallel()
	db := setup(t)
	sub := uniqueSubdomain(t)
	boom := errors.New("boom")
	_, err := db.Provision(context.Background(), "Acme", sub, func(pgx.Tx, tenancy.Tenant) error { return boom })
	require.ErrorIs(t, err, boom)
	_, err = db.LookupSubdomain(context.Background(), sub)
	assert.Equal(t, apperr.NotFound, apperr.CodeOf(err))

	tn, err := db.Provision(context.Background(), "Acme", sub, func(pgx.Tx, tenancy.Tenant) error { return nil })
	require.NoError(t, err)
	var schemas int
	require.NoError(t, db.Pool.QueryRow(context.Background(),
		"SELECT count(*) FROM pg_namespace WHERE nspname = $1", tn.SchemaName).Scan(&schemas))
	assert.Equal(t, 1, schemas)
}

func TestConcurrentProvisionOfOneSubdomainGivesOneTenantAndOneConflict(t *testing.T) {
	t.Parallel()
	db := setup(t)
	sub := uniqueSubdomain(t)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = db.Provision(context.Background(), "Acme", sub, func(pgx.Tx, tenancy.Tenant) error { return nil })
		}()
	}
	wg.Wait()
	codes := []apperr.Code{apperr.CodeOf(errs[0]), apperr.CodeOf(errs[1])}
	assert.ElementsMatch(t, []apperr.Code{"", apperr.Conflict}, codes)
	var n int
	require.NoError(t, db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM platform.tenants WHERE subdomain = $1", sub).Scan(&n))
	assert.Equal(t, 1, n)
}

func TestTwentyTenantsThroughOnePoolNeverSeeEachOthersRows(t *testing.T) {
	t.Parallel()
	db := setup(t)
	tenants := make([]tenancy.Tenant, 20)
	for i := range tenants {
		tenants[i] = provision(t, db)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, tn := range tenants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 25 {
				err := db.InTenant(ctx, tn.ID, func(tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, "INSERT INTO notes (id, body) VALUES ($1, $2)", fmt.Sprint(i), tn.ID); err != nil {
						return err
					}
					rows, err := tx.Query(ctx, "SELECT DISTINCT body FROM notes")
					if err != nil {
						return err
					}
					bodies, err := pgx.CollectRows(rows, pgx.RowTo[string])
					if err != nil {
						return err
					}
					if len(bodies) != 1 || bodies[0] != tn.ID {
						return fmt.Errorf("tenant %s saw %v", tn.ID, bodies)
					}
					return nil
				})
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
}

func TestMigrateTenantsUpgradesEverySchemaAndIsResumable(t *testing.T) {
	t.Parallel()
	// A database of its own: this test migrates every tenant in it.
	base := testenv.DB(t, "tenancy_migrate", notes)
	for range 5 {
		provision(t, base)
	}
	upgraded := &tenancy.DB{Pool: base.Pool, Platform: base.Platform,
		Tenant: []tenancy.Domain{notes, {Name: "notes", FS: os.DirFS("testdata/notes2")}}}

	// An interrupted run: cancelled before it starts, it migrates nothing.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := upgraded.MigrateTenants(ctx, 2, func(tenancy.Progress) {})
	require.ErrorIs(t, err, context.Canceled)

	var reports []tenancy.Progress
	require.NoError(t, upgraded.MigrateTenants(context.Background(), 3, func(p tenancy.Progress) { reports = append(reports, p) }))
	require.NotEmpty(t, reports)
	last := reports[len(reports)-1]
	assert.Equal(t, last.Total, last.Done)
	for _, p := range reports {
		assert.NoError(t, p.Err)
	}
	// A second run has nothing left to do.
	require.NoError(t, upgraded.MigrateTenants(context.Background(), 3, func(p tenancy.Progress) {
		assert.Zero(t, p.Applied, "tenant %s", p.TenantID)
	}))
	tn := provision(t, base)
	_, err = upgraded.MigrateTenant(context.Background(), tn.ID)
	require.NoError(t, err)
	require.NoError(t, upgraded.InTenant(context.Background(), tn.ID, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), "INSERT INTO notes (id, body, tag) VALUES ('1', 'x', 'y')")
		return err
	}))
}
