// Package deal is the deal subgraph's domain: pipelines and their stages,
// deals moving through them, the contacts of a deal, the pipeline board and
// the revenue forecast. The GraphQL layer in graph/ only parses, calls and
// maps.
//
// Company, contact, owner and creator ids name records of other domains.
// They are checked for shape (ULIDs) but not for existence: reading the
// contact subgraph's tables would couple the two domains' storage, and the
// contact subgraph offers no typed client or event-maintained reference yet.
// An id that names nothing shows as a null company or contact through the
// gateway. Existence checks belong to that client when it exists.
package deal

import (
	"context"
	"embed"
	"errors"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/deal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the deal tables' migrations, applied to every tenant
// schema; the first creates the tenant's default pipeline.
func Migrations() fs.FS { sub, _ := fs.Sub(migrations, "migrations"); return sub }

// Domain records, as stored.
type (
	Deal        = store.Deal
	Pipeline    = store.Pipeline
	Stage       = store.Stage
	DealContact = store.DealContact
)

// Service is the deal domain.
type Service struct {
	DB *tenancy.DB
}

// inTenant runs fn in a transaction of the caller's tenant schema with the
// deal queries bound to it.
func (s *Service) inTenant(ctx context.Context, caller auth.Identity, fn func(q *store.Queries, tx pgx.Tx) error) error {
	return s.DB.InTenant(ctx, caller.TenantID, func(tx pgx.Tx) error { return fn(store.New(tx), tx) })
}

// read runs fn for a caller who may read CRM records.
func (s *Service) read(ctx context.Context, fn func(q *store.Queries) error) error {
	caller, err := auth.Require(ctx, auth.ReadCRM)
	if err != nil {
		return err
	}
	return s.inTenant(ctx, caller, func(q *store.Queries, _ pgx.Tx) error { return fn(q) })
}

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
	caller, err := auth.Require(ctx, auth.WriteOwnCRM)
	if err != nil {
		return Deal{}, err
	}
	if !isID(dealID) {
		return Deal{}, apperr.Field(field, "%q is not an id", dealID)
	}
	var out Deal
	err = s.inTenant(ctx, caller, func(q *store.Queries, tx pgx.Tx) error {
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

func lockDeal(ctx context.Context, q *store.Queries, dealID string) (Deal, error) {
	d, err := q.GetDealForUpdate(ctx, dealID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Deal{}, dealNotFound()
	}
	return d, err
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
