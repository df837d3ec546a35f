// Package contact is the contact subgraph's domain: companies (a tree of
// subsidiaries) and contacts, their custom fields, filtered and ordered
// lists, typo-tolerant search, duplicates, and the batched lookups that keep
// a page of nested records at a constant number of statements. The GraphQL
// layer in graph/ only parses and calls; gqlgen's models are the types here.
package contact

import (
	"context"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/refs"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/contact/store"
)

// Service is the contact domain.
type Service struct {
	DB *tenancy.DB
	// References says whether the owners (users) a write names are users of
	// the caller's organisation (the identity subgraph's decision,
	// pkg/refs); nil checks their shape only. Companies are this domain's
	// own: their ids are checked in the write's transaction.
	References refs.Checker
}

// checkOwner checks, before a write's transaction opens, the owner an input
// names: a sales rep may name only itself (FORBIDDEN), and an owner other
// than the caller must be a user of the organisation (NOT_FOUND on
// input.ownerId). nil or "" names none.
func (s *Service) checkOwner(ctx context.Context, caller auth.Identity, owner *string) error {
	if owner == nil || *owner == "" || *owner == caller.UserID {
		return nil
	}
	if err := userID("input.ownerId", owner); err != nil {
		return err
	}
	if err := mayAssign(caller, owner); err != nil {
		return err
	}
	if s.References == nil {
		return nil
	}
	return s.References.Check(ctx, refs.To("input.ownerId", refs.User, owner))
}

// queries are the contact queries in the caller's tenant.
func (s *Service) queries() tenancy.Queries[*store.Queries] {
	return tenancy.NewQueries(s.DB, store.New)
}

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

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
