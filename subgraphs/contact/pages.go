package contact

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/page"
)

// CompanyPage is a page of companies with the cursor of each.
type CompanyPage struct {
	Companies []Company
	Cursors   []string
	HasNext   bool
	// Total counts every company of the filter (when it was asked for).
	Total int64
}

// ContactPage is a page of contacts with the cursor of each.
type ContactPage struct {
	Contacts []Contact
	Cursors  []string
	HasNext  bool
	// Total counts every contact of the filter (when it was asked for).
	Total int64
}

// ListCompanies returns a page of the organisation's companies.
func (s *Service) ListCompanies(ctx context.Context, f CompanyFilter, o Order, first *int, after *string, wantTotal bool) (CompanyPage, error) {
	caller, err := reader(ctx)
	if err != nil {
		return CompanyPage{}, err
	}
	w, err := f.where()
	if err != nil {
		return CompanyPage{}, err
	}
	lq, err := prepareList("companies", companyOrders, w, o, first, after, wantTotal)
	if err != nil {
		return CompanyPage{}, err
	}
	var p CompanyPage
	err = s.DB.InTenant(ctx, caller.TenantID, func(tx pgx.Tx) error {
		rows, cursors, next, total, err := listPage[companyRow](ctx, tx, lq)
		p = CompanyPage{Companies: make([]Company, len(rows)), Cursors: cursors, HasNext: next, Total: total}
		for i, r := range rows {
			p.Companies[i] = r.Company
		}
		return err
	})
	return p, err
}

// ListContacts returns a page of the organisation's contacts.
func (s *Service) ListContacts(ctx context.Context, f ContactFilter, o Order, first *int, after *string, wantTotal bool) (ContactPage, error) {
	caller, err := reader(ctx)
	if err != nil {
		return ContactPage{}, err
	}
	w, err := f.where()
	if err != nil {
		return ContactPage{}, err
	}
	lq, err := prepareList("contacts", contactOrders, w, o, first, after, wantTotal)
	if err != nil {
		return ContactPage{}, err
	}
	var p ContactPage
	err = s.DB.InTenant(ctx, caller.TenantID, func(tx pgx.Tx) error {
		rows, cursors, next, total, err := listPage[contactRow](ctx, tx, lq)
		p = contactPage(rows, cursors, next, total)
		return err
	})
	return p, err
}

func contactPage(rows []contactRow, cursors []string, next bool, total int64) ContactPage {
	p := ContactPage{Contacts: make([]Contact, len(rows)), Cursors: cursors, HasNext: next, Total: total}
	for i, r := range rows {
		p.Contacts[i] = r.Contact
	}
	return p
}

// Groups of contacts that FirstContacts pages.
const (
	ByCompany = "company_id"
	ByOwner   = "owner_id"
)

// FirstContacts returns the first page (by name) of the contacts of each
// company or owner, for all of them in one statement: a window function
// numbers each group's contacts and counts them.
func (s *Service) FirstContacts(ctx context.Context, group string, ids []string, first *int) (map[string]ContactPage, error) {
	caller, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	size, err := page.Size(first)
	if err != nil {
		return nil, err
	}
	if group != ByCompany && group != ByOwner {
		return nil, fmt.Errorf("contact: no contact group %q", group)
	}
	o := contactOrders["NAME"]
	pos := position{field: "NAME", dir: "ASC"}
	query := fmt.Sprintf(`SELECT * FROM (
		SELECT c.*, %[2]s::text AS k0, %[3]s::text AS k1,
		       row_number() OVER (PARTITION BY c.%[1]s ORDER BY %[2]s, %[3]s, c.id) AS rn,
		       count(*) OVER (PARTITION BY c.%[1]s) AS total
		FROM contacts c WHERE c.%[1]s = ANY($1)) ranked
	WHERE rn <= $2 ORDER BY %[1]s, rn`, group, o.keys[0], o.keys[1])
	out := make(map[string]ContactPage, len(ids))
	err = s.DB.InTenant(ctx, caller.TenantID, func(tx pgx.Tx) error {
		res, err := tx.Query(ctx, query, ids, size+1)
		if err != nil {
			return err
		}
		rows, err := pgx.CollectRows(res, pgx.RowToStructByName[struct {
			contactRow
			Rn, Total int64
		}])
		if err != nil {
			return err
		}
		groups := map[string][]contactRow{}
		totals := map[string]int64{}
		for _, r := range rows {
			k := str(r.CompanyID)
			if group == ByOwner {
				k = str(r.OwnerID)
			}
			groups[k] = append(groups[k], r.contactRow)
			totals[k] = r.Total
		}
		for k, g := range groups {
			g, next := page.Trim(g, size)
			cursors := make([]string, len(g))
			for i, r := range g {
				cursors[i] = pos.cursor(r.cursorKey())
			}
			out[k] = contactPage(g, cursors, next, totals[k])
		}
		return nil
	})
	return out, err
}
