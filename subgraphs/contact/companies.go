package contact

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/contact/store"
)

// CompanyInput creates or changes a company. In a change nil leaves a field
// as it is and an empty string clears an optional one.
type CompanyInput struct {
	Name, Domain, Industry, SizeCategory, ParentCompanyID, Phone, Website *string
	Address                                                               *Address
	CustomFields                                                          map[string]any
}

func (in CompanyInput) apply(c *Company) ([]string, error) {
	var ch changes
	ch.required("name", "name", &c.Name, in.Name, 255)
	ch.optional("domain", "domain", &c.Domain, in.Domain, 253)
	ch.optional("industry", "industry", &c.Industry, in.Industry, 100)
	ch.optional("sizeCategory", "size_category", &c.SizeCategory, in.SizeCategory, 50)
	ch.id("parent_company_id", &c.ParentCompanyID, in.ParentCompanyID)
	ch.address(in.Address, &c.StreetAddress, &c.City, &c.State, &c.Country, &c.PostalCode)
	ch.optional("phone", "phone", &c.Phone, in.Phone, 50)
	ch.optional("website", "website", &c.Website, in.Website, 255)
	ch.customFields(&c.CustomFields, in.CustomFields)
	return ch.changed, ch.err
}

// Company returns a company of the caller's organisation; another
// organisation's is NOT_FOUND, like one that does not exist.
func (s *Service) Company(ctx context.Context, id string) (Company, error) {
	cs, err := s.Companies(ctx, []string{id})
	if err != nil {
		return Company{}, err
	}
	if cs[0] == nil {
		return Company{}, companyNotFound()
	}
	return *cs[0], nil
}

// Companies returns the companies of ids in one statement, in the order of
// ids; ids of no company of the organisation give nil.
func (s *Service) Companies(ctx context.Context, ids []string) ([]*Company, error) {
	caller, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	var rows []Company
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		rows, err = q.GetCompanies(ctx, ids)
		return err
	})
	return byID(ids, rows, func(c *Company) string { return c.ID }), err
}

// CreateCompany creates a company created by the caller.
func (s *Service) CreateCompany(ctx context.Context, in CompanyInput) (Company, error) {
	caller, err := auth.Require(ctx, auth.CreateCRM)
	if err != nil {
		return Company{}, err
	}
	if in.Name == nil {
		return Company{}, apperr.Field("input.name", "a company needs a name")
	}
	c := Company{ID: tenancy.NewID(), CustomFields: []byte("{}"), CreatedBy: &caller.UserID}
	if _, err := in.apply(&c); err != nil {
		return Company{}, err
	}
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) error {
		if c.ParentCompanyID != nil {
			if err := checkParent(ctx, q, c.ID, *c.ParentCompanyID); err != nil {
				return err
			}
		}
		if c, err = q.InsertCompany(ctx, store.InsertCompanyParams{
			ID: c.ID, Name: c.Name, Domain: c.Domain, Industry: c.Industry, SizeCategory: c.SizeCategory,
			ParentCompanyID: c.ParentCompanyID, StreetAddress: c.StreetAddress, City: c.City, State: c.State,
			Country: c.Country, PostalCode: c.PostalCode, Phone: c.Phone, Website: c.Website,
			CustomFields: c.CustomFields, CreatedBy: c.CreatedBy,
		}); err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.CompanyCreated, caller.TenantID, caller.UserID, companyPayload(c, nil))
	})
	return c, err
}

// UpdateCompany changes a company (managers and admins: any; sales reps:
// those they created). A parent must be a company of the organisation that
// is neither the company nor below it.
func (s *Service) UpdateCompany(ctx context.Context, id string, in CompanyInput) (Company, error) {
	caller, err := auth.Require(ctx, auth.WriteOwnCRM)
	if err != nil {
		return Company{}, err
	}
	var c Company
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) error {
		if in.ParentCompanyID != nil {
			if err := q.LockHierarchy(ctx); err != nil {
				return err
			}
		}
		c, err = q.GetCompanyForUpdate(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return companyNotFound()
		}
		if err != nil {
			return err
		}
		if err := mayChange(caller, nil, c.CreatedBy); err != nil {
			return err
		}
		before := c.ParentCompanyID
		changed, err := in.apply(&c)
		if err != nil || len(changed) == 0 {
			return err
		}
		if c.ParentCompanyID != nil && str(c.ParentCompanyID) != str(before) {
			if err := checkParent(ctx, q, c.ID, *c.ParentCompanyID); err != nil {
				return err
			}
		}
		if c, err = q.UpdateCompany(ctx, store.UpdateCompanyParams{
			ID: c.ID, Name: c.Name, Domain: c.Domain, Industry: c.Industry, SizeCategory: c.SizeCategory,
			ParentCompanyID: c.ParentCompanyID, StreetAddress: c.StreetAddress, City: c.City, State: c.State,
			Country: c.Country, PostalCode: c.PostalCode, Phone: c.Phone, Website: c.Website, CustomFields: c.CustomFields,
		}); err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.CompanyUpdated, caller.TenantID, caller.UserID, companyPayload(c, changed))
	})
	return c, err
}

// checkParent answers BAD_USER_INPUT on input.parentCompanyId unless parent
// is a company of the organisation that is not company nor below it.
// Callers hold the hierarchy lock when company already exists.
func checkParent(ctx context.Context, q *store.Queries, company, parent string) error {
	const field = "input.parentCompanyId"
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
	caller, err := auth.Require(ctx, auth.WriteOwnCRM)
	if err != nil {
		return err
	}
	var detached []string
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) error {
		c, err := q.GetCompanyForUpdate(ctx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return companyNotFound()
		}
		if err != nil {
			return err
		}
		if err := mayChange(caller, nil, c.CreatedBy); err != nil {
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
		s.forgetContacts(ctx, caller.TenantID, detached...)
	}
	return err
}

// ChildCompanies returns the direct subsidiaries of each company, by name,
// in one statement.
func (s *Service) ChildCompanies(ctx context.Context, ids []string) (map[string][]Company, error) {
	caller, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Company, len(ids))
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		rows, err := q.ChildCompanies(ctx, ids)
		for _, c := range rows {
			out[*c.ParentCompanyID] = append(out[*c.ParentCompanyID], c)
		}
		return err
	})
	return out, err
}

// Ancestors returns the ancestors of each company, nearest first, in one
// statement.
func (s *Service) Ancestors(ctx context.Context, ids []string) (map[string][]Company, error) {
	caller, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Company, len(ids))
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		rows, err := q.Ancestors(ctx, ids)
		for _, r := range rows {
			out[r.Root] = append(out[r.Root], r.Company)
		}
		return err
	})
	return out, err
}

// Descendants returns every company below each company, level by level, in
// one statement.
func (s *Service) Descendants(ctx context.Context, ids []string) (map[string][]Company, error) {
	caller, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]Company, len(ids))
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		rows, err := q.Descendants(ctx, ids)
		for _, r := range rows {
			out[r.Root] = append(out[r.Root], r.Company)
		}
		return err
	})
	return out, err
}

func companyPayload(c Company, changed []string) events.CompanyPayload {
	return events.CompanyPayload{
		CompanyID: c.ID, Name: c.Name, Domain: str(c.Domain), Industry: str(c.Industry),
		ParentCompanyID: str(c.ParentCompanyID), Changed: changed,
	}
}
