package tenancy

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Domain is one owner of tables: a subgraph, or a platform package. Its
// migrations are the .sql files at the top of FS, applied in file-name order
// (0001_users.sql, 0002_sessions.sql, ...). A domain adds a migration by
// adding a file: nothing else lists them.
//
// Migrations are additive (expand, then contract), because the fleet runs
// mixed versions while a migration rolls out.
type Domain struct {
	Name string
	FS   fs.FS
}

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	domain     text NOT NULL,
	version    text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (domain, version)
)`

// applyMigrations brings the schema on tx's search_path up to date with every
// domain's migrations, inside tx: either all of them apply or none does. It
// takes a transaction-scoped advisory lock on the schema, so two processes
// migrating the same schema at once apply each file once. It returns how many
// files it applied.
func applyMigrations(ctx context.Context, tx pgx.Tx, schema string, domains []Domain) (int, error) {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", lockKey(schema)); err != nil {
		return 0, fmt.Errorf("lock schema %s: %w", schema, err)
	}
	if _, err := tx.Exec(ctx, migrationsTable); err != nil {
		return 0, fmt.Errorf("create schema_migrations in %s: %w", schema, err)
	}
	done := map[string]bool{}
	rows, err := tx.Query(ctx, "SELECT domain || '/' || version FROM schema_migrations")
	if err != nil {
		return 0, err
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		done[k] = true
	}
	applied := 0
	for _, d := range domains {
		files, err := migrationFiles(d.FS)
		if err != nil {
			return applied, fmt.Errorf("domain %s: %w", d.Name, err)
		}
		for _, f := range files {
			version := strings.TrimSuffix(f, ".sql")
			if done[d.Name+"/"+version] {
				continue
			}
			body, err := fs.ReadFile(d.FS, f)
			if err != nil {
				return applied, err
			}
			// No arguments: pgx sends the file with the simple protocol, so a
			// file may hold several statements.
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return applied, fmt.Errorf("migration %s/%s in %s: %w", d.Name, f, schema, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (domain, version) VALUES ($1, $2)", d.Name, version); err != nil {
				return applied, err
			}
			applied++
		}
	}
	return applied, nil
}

// migrationFiles lists a domain's migration files in the order they apply.
func migrationFiles(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && path.Ext(e.Name()) == ".sql" {
			files = append(files, e.Name())
		}
	}
	sort.Strings(files)
	return files, nil
}

func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("opencrm.migrate." + schema))
	return int64(h.Sum64())
}
