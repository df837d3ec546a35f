// Package contact is the contact subgraph's domain: companies (a tree of
// subsidiaries) and contacts, their custom fields, filtered and ordered
// lists, typo-tolerant search, duplicates, and the batched lookups that keep
// a page of nested records at a constant number of statements. The GraphQL
// layer in graph/ only parses, calls and maps.
package contact

import (
	"context"
	"embed"
	"io/fs"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/contact/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the contact tables' migrations, applied to every tenant schema.
func Migrations() fs.FS { sub, _ := fs.Sub(migrations, "migrations"); return sub }

// Company is a company of a tenant.
type Company = store.Company

// Contact is a contact of a tenant.
type Contact = store.Contact

// Contact statuses (the schema's ContactStatus, lower case).
const (
	StatusLead     = "lead"
	StatusProspect = "prospect"
	StatusCustomer = "customer"
	StatusInactive = "inactive"
)

// Service is the contact domain.
type Service struct {
	DB *tenancy.DB
}

// inTenant runs fn in a transaction of the tenant's schema with the contact
// queries bound to it.
func (s *Service) inTenant(ctx context.Context, tenantID string, fn func(q *store.Queries, tx pgx.Tx) error) error {
	return s.DB.InTenant(ctx, tenantID, func(tx pgx.Tx) error { return fn(store.New(tx), tx) })
}

// reader returns the caller if it may read CRM records.
func reader(ctx context.Context) (auth.Identity, error) { return auth.Require(ctx, auth.ReadCRM) }

// mayChange answers FORBIDDEN unless the caller may change a record with
// this owner and creator: managers and admins change anything, sales reps
// what they own (the owner, or the creator of a record without owner).
func mayChange(caller auth.Identity, owner, createdBy *string) error {
	if caller.Role.Can(auth.WriteAnyCRM) {
		return nil
	}
	if caller.Role.Can(auth.WriteOwnCRM) && owns(caller.UserID, owner, createdBy) {
		return nil
	}
	return apperr.E(apperr.Forbidden, "the %s role may change only the records it owns", caller.Role)
}

func owns(userID string, owner, createdBy *string) bool {
	if owner != nil {
		return *owner == userID
	}
	return createdBy != nil && *createdBy == userID
}

// byID orders rows fetched by id in the order of ids; missing ones are nil.
func byID[T any](ids []string, rows []T, id func(*T) string) []*T {
	m := make(map[string]*T, len(rows))
	for i := range rows {
		m[id(&rows[i])] = &rows[i]
	}
	out := make([]*T, len(ids))
	for i, k := range ids {
		out[i] = m[k]
	}
	return out
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
