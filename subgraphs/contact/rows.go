package contact

import (
	"context"
	"encoding/json"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/customfields"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/contact/store"
)

// The one place sqlc's rows become domain types and back.

func companyOf(r store.Company) Company {
	return Company{
		ID: r.ID, Name: r.Name, Domain: r.Domain, Industry: r.Industry, SizeCategory: r.SizeCategory,
		ParentCompanyID: r.ParentCompanyID,
		Address:         (&Address{r.StreetAddress, r.City, r.State, r.Country, r.PostalCode}).orNil(),
		Phone:           r.Phone, Website: r.Website, CustomFields: customfields.Decode(r.CustomFields),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, CreatedByID: r.CreatedBy, ExternalID: r.ExternalID,
	}
}

func contactOf(r store.Contact) Contact {
	return Contact{
		ID: r.ID, FirstName: r.FirstName, LastName: r.LastName, Email: r.Email, Phone: r.Phone, JobTitle: r.JobTitle,
		CompanyID: r.CompanyID, OwnerID: r.OwnerID, Status: ContactStatus(r.Status), Source: r.Source,
		Address:      (&Address{r.StreetAddress, r.City, r.State, r.Country, r.PostalCode}).orNil(),
		CustomFields: customfields.Decode(r.CustomFields), Notes: r.Notes,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, CreatedByID: r.CreatedBy, ExternalID: r.ExternalID,
	}
}

// read runs a query of the records of ids for a caller who may read them
// and turns its rows into domain values.
func read[R, T any](ctx context.Context, s *Service, ids []string, query func(*store.Queries, context.Context, []string) (R, error), of func(R) T) (T, error) {
	return tenancy.Get(ctx, s.queries(), auth.ReadCRM, func(q *store.Queries) (T, error) {
		rows, err := query(q, ctx, ids)
		return of(rows), err
	})
}

// each turns a row converter into a converter of lists of rows.
func each[R, T any](of func(R) T) func([]R) []T {
	return func(rows []R) []T { return mapRows(rows, of) }
}

func mapRows[R, T any](rows []R, of func(R) T) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = of(r)
	}
	return out
}

// rooted is a company with the company of a batch it was asked for (an
// ancestor or descendant of it).
type rooted interface {
	~struct {
		Root    string
		Company store.Company
	}
}

func byRoot[R rooted](rows []R) map[string][]Company {
	out := map[string][]Company{}
	for _, r := range rows {
		x := store.AncestorsRow(r)
		out[x.Root] = append(out[x.Root], companyOf(x.Company))
	}
	return out
}

// fieldsJSON is custom fields as stored (checked by customfields.Encode
// when they came in).
func fieldsJSON(m customfields.Fields) []byte {
	if m == nil {
		return []byte("{}")
	}
	raw, _ := json.Marshal(m)
	return raw
}

func (a *Address) parts() (street, city, state, country, postal *string) {
	if a == nil {
		return
	}
	return a.Street, a.City, a.State, a.Country, a.PostalCode
}

func insertCompany(c Company) store.InsertCompanyParams {
	street, city, state, country, postal := c.Address.parts()
	return store.InsertCompanyParams{
		ID: c.ID, Name: c.Name, Domain: c.Domain, Industry: c.Industry, SizeCategory: c.SizeCategory,
		ParentCompanyID: c.ParentCompanyID, StreetAddress: street, City: city, State: state,
		Country: country, PostalCode: postal, Phone: c.Phone, Website: c.Website,
		CustomFields: fieldsJSON(c.CustomFields), CreatedBy: c.CreatedByID, ExternalID: c.ExternalID,
	}
}

func updateCompany(c Company) store.UpdateCompanyParams {
	p := insertCompany(c)
	return store.UpdateCompanyParams{
		ID: p.ID, Name: p.Name, Domain: p.Domain, Industry: p.Industry, SizeCategory: p.SizeCategory,
		ParentCompanyID: p.ParentCompanyID, StreetAddress: p.StreetAddress, City: p.City, State: p.State,
		Country: p.Country, PostalCode: p.PostalCode, Phone: p.Phone, Website: p.Website, CustomFields: p.CustomFields,
		ExternalID: p.ExternalID,
	}
}

func insertContact(c Contact) store.InsertContactParams {
	street, city, state, country, postal := c.Address.parts()
	return store.InsertContactParams{
		ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone, JobTitle: c.JobTitle,
		CompanyID: c.CompanyID, OwnerID: c.OwnerID, Status: string(c.Status), Source: c.Source,
		StreetAddress: street, City: city, State: state, Country: country, PostalCode: postal,
		CustomFields: fieldsJSON(c.CustomFields), Notes: c.Notes, CreatedBy: c.CreatedByID,
		ExternalID: c.ExternalID,
	}
}

func updateContact(c Contact) store.UpdateContactParams {
	p := insertContact(c)
	return store.UpdateContactParams{
		ID: p.ID, FirstName: p.FirstName, LastName: p.LastName, Email: p.Email, Phone: p.Phone, JobTitle: p.JobTitle,
		CompanyID: p.CompanyID, OwnerID: p.OwnerID, Status: p.Status, Source: p.Source,
		StreetAddress: p.StreetAddress, City: p.City, State: p.State, Country: p.Country, PostalCode: p.PostalCode,
		CustomFields: p.CustomFields, Notes: p.Notes, ExternalID: p.ExternalID,
	}
}
