package tenancy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/cache"
	"github.com/opencrm/opencrm/pkg/tenancy/platformdb"
)

// Tenant is an organisation using the product.
type Tenant = platformdb.PlatformTenant

// Tenant statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusPending   = "pending"
)

var subdomainRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// reservedSubdomains name the product's own hosts and words that would mislead.
var reservedSubdomains = map[string]bool{
	"www": true, "api": true, "admin": true, "app": true, "auth": true, "login": true,
	"mail": true, "smtp": true, "status": true, "help": true, "support": true, "docs": true,
	"static": true, "assets": true, "cdn": true, "graphql": true, "gateway": true, "dev": true,
	"staging": true, "test": true, "root": true, "system": true, "platform": true, "shared": true,
	"billing": true, "security": true, "blog": true, "dashboard": true, "console": true,
}

// ValidateSubdomain checks an RFC 1123 label of 3 to 63 lower-case
// characters that is not reserved; field names the input field in the error.
func ValidateSubdomain(field, s string) error {
	switch {
	case len(s) < 3 || len(s) > 63:
		return apperr.Field(field, "a subdomain has 3 to 63 characters")
	case !subdomainRE.MatchString(s):
		return apperr.Field(field, "a subdomain has only lower-case letters, digits and inner hyphens (RFC 1123)")
	case reservedSubdomains[s]:
		return apperr.Field(field, "the subdomain %q is reserved", s)
	}
	return nil
}

// Provision creates a tenant: its row in platform.tenants, its schema with
// every tenant domain's migrations, then whatever setup does (the first admin,
// say), all in one transaction. Either the whole tenant exists afterwards or
// nothing of it does, so a failed sign-up can simply be retried. Two
// concurrent calls for one subdomain give one tenant and one CONFLICT: the
// second insert waits on the unique index until the first commits.
func (db *DB) Provision(ctx context.Context, name, subdomain string, setup func(tx pgx.Tx, t Tenant) error) (Tenant, error) {
	id := NewID()
	schema, _ := SchemaName(id)
	var t Tenant
	err := db.InPlatform(ctx, func(tx pgx.Tx) error {
		var err error
		t, err = platformdb.New(tx).InsertTenant(ctx, platformdb.InsertTenantParams{
			ID: id, Name: name, Subdomain: subdomain, SchemaName: schema,
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return &apperr.Error{Code: apperr.Conflict, Field: "input.subdomain",
				Message: fmt.Sprintf("the subdomain %q is already taken", subdomain)}
		}
		if err != nil {
			return fmt.Errorf("insert tenant: %w", err)
		}
		if _, err := tx.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
		if _, err := tx.Exec(ctx, strings.TrimPrefix(beginIn(schema), "BEGIN; ")); err != nil {
			return err
		}
		if _, err := applyMigrations(ctx, tx, schema, db.Tenant); err != nil {
			return err
		}
		return setup(tx, t)
	})
	return t, err
}

// Lookup returns the tenant with the given id, or NOT_FOUND. Lookups are
// cached for 24 hours and invalidated when the tenant changes.
func (db *DB) Lookup(ctx context.Context, id string) (Tenant, error) {
	return db.lookup(ctx, "tenant:"+id, func(q *platformdb.Queries) (Tenant, error) { return q.GetTenant(ctx, id) })
}

// LookupSubdomain returns the tenant with the given subdomain, or NOT_FOUND.
func (db *DB) LookupSubdomain(ctx context.Context, subdomain string) (Tenant, error) {
	subdomain = strings.ToLower(subdomain)
	t, err := db.lookup(ctx, "subdomain:"+subdomain, func(q *platformdb.Queries) (Tenant, error) {
		return q.GetTenantBySubdomain(ctx, subdomain)
	})
	if apperr.CodeOf(err) == apperr.NotFound {
		return t, apperr.E(apperr.NotFound, "no organisation uses the subdomain %q", subdomain)
	}
	return t, err
}

func (db *DB) lookup(ctx context.Context, key string, get func(*platformdb.Queries) (Tenant, error)) (Tenant, error) {
	load := func(ctx context.Context) (Tenant, error) {
		t, err := get(platformdb.New(db.Pool))
		if errors.Is(err, pgx.ErrNoRows) {
			return t, apperr.E(apperr.NotFound, "tenant not found")
		}
		return t, err
	}
	if db.Cache == nil {
		return load(ctx)
	}
	return cache.GetOrLoad(ctx, db.Cache, cache.Platform, key, cache.TenantConfigTTL, load)
}

// Changed forgets the cached lookups of a tenant; call it after the
// transaction that changed the tenant committed.
func (db *DB) Changed(ctx context.Context, t Tenant) {
	if db.Cache != nil {
		_ = db.Cache.Invalidate(ctx, cache.Platform, "tenant:"+t.ID, "subdomain:"+t.Subdomain)
	}
}

// SetAPIKeyRateLimit sets the requests per window each API key of the
// tenant may make at the gateway; nil restores the gateway's default. It
// applies to a key when the gateway next exchanges it (within a minute).
func (db *DB) SetAPIKeyRateLimit(ctx context.Context, id string, perWindow *int32) (Tenant, error) {
	if perWindow != nil && *perWindow <= 0 {
		return Tenant{}, apperr.Field("apiKeyRateLimit", "the limit must be positive")
	}
	t, err := platformdb.New(db.Pool).SetTenantAPIKeyRateLimit(ctx, platformdb.SetTenantAPIKeyRateLimitParams{ID: id, ApiKeyRateLimit: perWindow})
	if errors.Is(err, pgx.ErrNoRows) {
		return t, apperr.E(apperr.NotFound, "tenant not found")
	}
	if err == nil {
		db.Changed(ctx, t)
	}
	return t, err
}

// SetStatus suspends or reactivates a tenant.
func (db *DB) SetStatus(ctx context.Context, id, status string) (Tenant, error) {
	t, err := platformdb.New(db.Pool).SetTenantStatus(ctx, platformdb.SetTenantStatusParams{ID: id, Status: status})
	if errors.Is(err, pgx.ErrNoRows) {
		return t, apperr.E(apperr.NotFound, "tenant not found")
	}
	if err == nil {
		db.Changed(ctx, t)
	}
	return t, err
}
