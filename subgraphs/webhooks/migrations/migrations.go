// Package migrations holds the webhooks tables' migrations, plain .sql
// files applied in name order to every tenant schema (pkg/tenancy).
package migrations

import "embed"

// FS is the migrations, at its root.
//
//go:embed *.sql
var FS embed.FS
