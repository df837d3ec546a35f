// Package tenancy keeps tenants apart: one PostgreSQL schema per tenant, the
// one transaction helper that scopes work to a tenant's schema, the global
// platform schema (tenants, invitations), provisioning of new tenants and the
// migration of every tenant schema.
package tenancy

import (
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// PlatformSchema holds the global tables; SQL always names it explicitly.
const PlatformSchema = "platform"

// SharedSchema holds extensions and types every tenant schema may use. It is
// on every tenant transaction's search_path, after the tenant's own schema.
const SharedSchema = "shared"

const schemaPrefix = "tenant_"

// SchemaName returns the schema of the tenant with the given ULID. It is the
// only way a schema name is made, so a tenant id that is not a ULID can never
// reach SQL.
func SchemaName(tenantID string) (string, error) {
	id, err := ulid.ParseStrict(tenantID)
	if err != nil {
		return "", apperr.E(apperr.NotFound, "tenant not found")
	}
	return schemaPrefix + strings.ToLower(id.String()), nil
}

// NewID returns a new ULID string, the id of every record the product makes.
func NewID() string { return ulid.Make().String() }
