// Package deal is the deal subgraph's domain: pipelines and their stages,
// deals moving through them, the contacts of a deal, the pipeline board and
// the revenue forecast. Its types are the schema's: gqlgen binds the GraphQL
// types to them (schema/deal/gqlgen.yml), so the layer in graph/ only
// parses, calls and returns. Money is exact (decimal.Decimal over NUMERIC).
//
// Company, contact, owner and creator ids name records of other domains.
// Every id is checked for shape (a ULID). Company, contact and owner ids
// that a write sets (createDeal, updateDeal, addDealContact) are also
// checked for existence in the caller's organisation by asking the
// subgraphs that own them (contact, identity) through pkg/refs (the
// References of the Service), one request per owner, before the write's
// transaction opens; one that names nothing is NOT_FOUND naming its field.
//
// Why a synchronous client, not a reference table kept by the contact
// subgraph's events: the answer is strongly consistent (a company created a
// moment ago is there, with no lag of a relay and a consumer to wait out),
// nothing is copied, and tenant isolation stays where it is enforced, in
// the contact subgraph, since the caller's own token is forwarded and that
// subgraph picks the tenant from it. The cost is one small request per owner per
// such write (reads are unaffected), and such writes fail (INTERNAL) while
// an owner is down rather than accept ids nobody checked. A record deleted
// after the check is still possible: it shows as a null company, contact or
// owner through the gateway, as any reference to a deleted record does.
// Without References (nil) ids are checked for shape only.
package deal

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/refs"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/deal/store"
)

// Service is the deal domain.
type Service struct {
	DB *tenancy.DB
	// References says whether the company, contact and user ids a write
	// sets name records of the caller's organisation (the owning
	// subgraphs' decision, pkg/refs); nil checks ids for shape only.
	References refs.Checker
}

// store returns the deal queries bound to transactions of the caller's
// tenant, after a permission check.
func (s *Service) store() tenancy.Queries[*store.Queries] { return tenancy.NewQueries(s.DB, store.New) }

// mayWrite reports whether the caller may change or delete the deal:
// managers and admins any, sales reps those they own. Viewers get
// FORBIDDEN, sales reps on others' deals too.
func mayWrite(caller auth.Identity, d Deal) error {
	if caller.Role.Can(auth.WriteAnyCRM) {
		return nil
	}
	if caller.Role.Can(auth.WriteOwnCRM) && d.OwnerID == caller.UserID {
		return nil
	}
	return apperr.E(apperr.Forbidden, "the %s role may change only the deals it owns", caller.Role)
}

// changeDeal locks a deal the caller may change and hands it to fn.
func (s *Service) changeDeal(ctx context.Context, field, dealID string, fn func(q *store.Queries, tx pgx.Tx, caller auth.Identity, d Deal) (Deal, error)) (Deal, error) {
	return s.changeDealReferring(ctx, field, dealID, nil, fn)
}

// changeDealReferring is changeDeal for a change that makes the deal name
// companies or contacts: once the caller's permission and the deal id's
// shape are checked, and before the transaction opens, refs must exist.
func (s *Service) changeDealReferring(ctx context.Context, field, dealID string, rs []refs.Ref, fn func(q *store.Queries, tx pgx.Tx, caller auth.Identity, d Deal) (Deal, error)) (Deal, error) {
	caller, err := auth.Require(ctx, auth.WriteOwnCRM)
	if err != nil {
		return Deal{}, err
	}
	if !isID(dealID) {
		return Deal{}, apperr.Field(field, "%q is not an id", dealID)
	}
	if err := s.checkReferences(ctx, rs...); err != nil {
		return Deal{}, err
	}
	var out Deal
	err = s.store().In(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) error {
		d, err := lockDeal(ctx, q, dealID)
		if err != nil {
			return err
		}
		if err := mayWrite(caller, d); err != nil {
			return err
		}
		out, err = fn(q, tx, caller, d)
		return err
	})
	return out, err
}

// checkReferences asks the owners of the ids the input sets, in one call
// per owning subgraph, whether they name records of the caller's
// organisation; the first that does not is NOT_FOUND naming its field. Run
// it before a transaction opens: it calls other subgraphs.
func (s *Service) checkReferences(ctx context.Context, rs ...refs.Ref) error {
	if s.References == nil {
		return nil
	}
	return s.References.Check(ctx, rs...)
}

// ownerRef is the reference of an owner the input names; the caller itself
// needs no check.
func ownerRef(caller auth.Identity, id *string) refs.Ref {
	if id != nil && *id == caller.UserID {
		id = nil
	}
	return refs.To("input.ownerId", refs.User, id)
}

func lockDeal(ctx context.Context, q *store.Queries, dealID string) (Deal, error) {
	return oneDeal(q.GetDealForUpdate(ctx, dealID))
}

// oneDeal is the deal a statement returned; no row is NOT_FOUND.
func oneDeal(r store.Deal, err error) (Deal, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return Deal{}, dealNotFound()
	}
	return dealOf(r), err
}

// isForeignKeyViolation reports whether err is PostgreSQL's 23503.
func isForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// isUniqueViolation reports whether err is PostgreSQL's 23505.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
