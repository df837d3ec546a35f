package contact

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/loader"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/contact/store"
)

// Company returns a company of the caller's organisation; another
// organisation's is NOT_FOUND, like one that does not exist.
func (s *Service) Company(ctx context.Context, id string) (Company, error) {
	return one[Company](companyNotFound)(s.Companies(ctx, []string{id}))
}

// Companies returns the companies of ids in one statement, in no order;
// ids of no company of the organisation have none.
func (s *Service) Companies(ctx context.Context, ids []string) ([]Company, error) {
	return read(ctx, s, ids, (*store.Queries).GetCompanies, each(companyOf))
}

// CompanyID is a company's id, for loader.InOrder and loader.Index.
func CompanyID(c Company) string { return c.ID }

// CreateCompany creates a company created by the caller.
func (s *Service) CreateCompany(ctx context.Context, in CompanyInput) (Company, error) {
	var c Company
	err := s.queries().As(ctx, auth.CreateCRM, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) (err error) {
		c, err = newCompany(ctx, q, tx, caller, in)
		return err
	})
	return c, err
}

// newCompany is CreateCompany in the caller's transaction.
func newCompany(ctx context.Context, q *store.Queries, tx pgx.Tx, caller auth.Identity, in CompanyInput) (Company, error) {
	if in.Name == nil {
		return Company{}, apperr.Field("input.name", "a company needs a name")
	}
	c := Company{ID: tenancy.NewID(), CustomFields: map[string]any{}, CreatedByID: &caller.UserID}
	if _, err := in.apply(&c); err != nil {
		return c, err
	}
	if err := checkParent(ctx, q, c.ID, c.ParentCompanyID); err != nil {
		return c, err
	}
	row, err := q.InsertCompany(ctx, insertCompany(c))
	return written(ctx, tx, caller, events.CompanyCreated, nil)(row, externalIDTaken(err))
}

// UpdateCompany changes a company (managers and admins: any; sales reps:
// those they created). A parent must be a company of the organisation that
// is neither the company nor below it.
func (s *Service) UpdateCompany(ctx context.Context, id string, in CompanyInput) (Company, error) {
	var c Company
	err := s.queries().As(ctx, auth.WriteOwnCRM, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) (err error) {
		c, err = changeCompany(ctx, q, tx, caller, id, in)
		return err
	})
	return c, err
}

// changeCompany is UpdateCompany in the caller's transaction.
func changeCompany(ctx context.Context, q *store.Queries, tx pgx.Tx, caller auth.Identity, id string, in CompanyInput) (c Company, err error) {
	if in.ParentCompanyID != nil {
		if err := q.LockHierarchy(ctx); err != nil {
			return c, err
		}
	}
	if c, err = lockCompany(ctx, q, caller, id); err != nil {
		return c, err
	}
	before := c.ParentCompanyID
	changed, err := in.apply(&c)
	if err != nil || len(changed) == 0 {
		return c, err
	}
	if str(c.ParentCompanyID) != str(before) {
		if err := checkParent(ctx, q, c.ID, c.ParentCompanyID); err != nil {
			return c, err
		}
	}
	row, err := q.UpdateCompany(ctx, updateCompany(c))
	return written(ctx, tx, caller, events.CompanyUpdated, changed)(row, externalIDTaken(err))
}

// lockCompany returns a company locked for a change the caller may make.
func lockCompany(ctx context.Context, q *store.Queries, caller auth.Identity, id string) (Company, error) {
	row, err := q.GetCompanyForUpdate(ctx, id)
	if err != nil {
		return Company{}, found(err, companyNotFound)
	}
	return companyOf(row), mayChange(caller, nil, row.CreatedBy)
}

// written returns what a write of a company gives back, once its event is
// emitted.
func written(ctx context.Context, tx pgx.Tx, caller auth.Identity, typ events.Type, changed []string) func(store.Company, error) (Company, error) {
	return func(row store.Company, err error) (Company, error) {
		if err != nil {
			return Company{}, err
		}
		c := companyOf(row)
		return c, events.Emit(ctx, tx, typ, caller.TenantID, caller.UserID, companyPayload(c, changed))
	}
}

// checkParent answers BAD_USER_INPUT on input.parentCompanyId unless the
// parent (if any) is a company of the organisation that is not company nor
// below it. Callers hold the hierarchy lock when company already exists.
func checkParent(ctx context.Context, q *store.Queries, company string, parentID *string) error {
	const field = "input.parentCompanyId"
	if parentID == nil {
		return nil
	}
	parent := *parentID
	if parent == company {
		return apperr.Field(field, "a company cannot be its own parent")
	}
	ok, err := q.CompanyExists(ctx, parent)
	if err != nil {
		return err
	}
	if !ok {
		return noSuchCompany(field, parent)
	}
	cycle, err := q.IsAncestorOrSelf(ctx, store.IsAncestorOrSelfParams{Company: parent, Ancestor: company})
	if err != nil {
		return err
	}
	if cycle {
		return apperr.Field(field, "company %q is below this company: making it the parent would make a cycle", parent)
	}
	return nil
}

// DeleteCompany deletes a company; its subsidiaries become roots and its
// contacts lose their company.
func (s *Service) DeleteCompany(ctx context.Context, id string) error {
	var detached []string
	var tenantID string
	err := s.queries().As(ctx, auth.WriteOwnCRM, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) error {
		tenantID = caller.TenantID
		c, err := lockCompany(ctx, q, caller, id)
		if err != nil {
			return err
		}
		if detached, err = q.DetachContacts(ctx, &c.ID); err != nil {
			return err
		}
		if err := q.DeleteCompany(ctx, c.ID); err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.CompanyDeleted, caller.TenantID, caller.UserID, companyPayload(c, nil))
	})
	if err == nil {
		s.forgetContacts(ctx, tenantID, detached...)
	}
	return err
}

// ChildCompanies returns the direct subsidiaries of each company, by name,
// in one statement.
func (s *Service) ChildCompanies(ctx context.Context, ids []string) (map[string][]Company, error) {
	return read(ctx, s, ids, (*store.Queries).ChildCompanies, func(rows []store.Company) map[string][]Company {
		return loader.GroupBy(mapRows(rows, companyOf), func(c Company) string { return *c.ParentCompanyID })
	})
}

// Ancestors returns the ancestors of each company, nearest first, in one
// statement.
func (s *Service) Ancestors(ctx context.Context, ids []string) (map[string][]Company, error) {
	return read(ctx, s, ids, (*store.Queries).Ancestors, byRoot)
}

// Descendants returns every company below each company, level by level, in
// one statement.
func (s *Service) Descendants(ctx context.Context, ids []string) (map[string][]Company, error) {
	return read(ctx, s, ids, (*store.Queries).Descendants, byRoot)
}

func companyPayload(c Company, changed []string) events.CompanyPayload {
	return events.CompanyPayload{
		CompanyID: c.ID, Name: c.Name, Domain: str(c.Domain), Industry: str(c.Industry),
		ParentCompanyID: str(c.ParentCompanyID), Changed: changed,
	}
}
