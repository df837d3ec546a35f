// Package migrations holds the deal tables' migrations, plain .sql files
// applied in name order to every tenant schema (pkg/tenancy); the first
// creates the tenant's default pipeline.
package migrations

import "embed"

// FS is the migrations, at its root.
//
//go:embed *.sql
var FS embed.FS
