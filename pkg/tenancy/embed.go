package tenancy

import (
	"embed"
	"io/fs"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the platform migrations of this package (tenants, invitations).
func Migrations() fs.FS { sub, _ := fs.Sub(migrations, "migrations"); return sub }
