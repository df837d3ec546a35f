// Package graph is the contact subgraph's GraphQL layer: resolvers parse
// arguments, call the contact service and map its values to the schema's
// types; nested records go through per-request dataloaders (loaders.go).
// Generated files (generated.go, federation.go, model/) are gqlgen's.
package graph

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/opencrm/opencrm/pkg/page"

	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/subgraphs/contact"
	"github.com/opencrm/opencrm/subgraphs/contact/graph/model"
)

// Resolver holds the subgraph's dependencies.
type Resolver struct {
	Service *contact.Service
}

// NewSchema returns the subgraph's executable schema: gqlgen's, with a fresh
// set of dataloaders for every operation.
func NewSchema(svc *contact.Service) graphql.ExecutableSchema {
	es := NewExecutableSchema(Config{Resolvers: &Resolver{Service: svc}})
	return gqlserver.PerOperation(es, func(ctx context.Context) context.Context {
		return context.WithValue(ctx, loadersKey{}, newLoaders(svc))
	})
}

func toAddress(street, city, state, country, postal *string) *model.Address {
	if street == nil && city == nil && state == nil && country == nil && postal == nil {
		return nil
	}
	return &model.Address{Street: street, City: city, State: state, Country: country, PostalCode: postal}
}

func fromAddress(a *model.AddressInput) *contact.Address {
	if a == nil {
		return nil
	}
	return &contact.Address{Street: a.Street, City: a.City, State: a.State, Country: a.Country, PostalCode: a.PostalCode}
}

func customFields(raw []byte) map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(raw, &m)
	return m
}

func user(id *string) *model.User {
	if id == nil {
		return nil
	}
	return &model.User{ID: *id}
}

func toCompany(c *contact.Company) *model.Company {
	if c == nil {
		return nil
	}
	return &model.Company{
		ID: c.ID, Name: c.Name, Domain: c.Domain, Industry: c.Industry, SizeCategory: c.SizeCategory,
		ParentCompanyID: c.ParentCompanyID, Address: toAddress(c.StreetAddress, c.City, c.State, c.Country, c.PostalCode),
		Phone: c.Phone, Website: c.Website, CustomFields: customFields(c.CustomFields),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, CreatedBy: user(c.CreatedBy),
	}
}

func toCompanies(cs []contact.Company) []*model.Company {
	out := make([]*model.Company, len(cs))
	for i := range cs {
		out[i] = toCompany(&cs[i])
	}
	return out
}

func toContact(c *contact.Contact) *model.Contact {
	if c == nil {
		return nil
	}
	return &model.Contact{
		ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, FullName: strings.TrimSpace(c.FirstName + " " + c.LastName),
		Email: c.Email, Phone: c.Phone, JobTitle: c.JobTitle, CompanyID: c.CompanyID, Owner: user(c.OwnerID),
		Status: model.ContactStatus(strings.ToUpper(c.Status)), Source: c.Source,
		Address:      toAddress(c.StreetAddress, c.City, c.State, c.Country, c.PostalCode),
		CustomFields: customFields(c.CustomFields), Notes: c.Notes,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, CreatedBy: user(c.CreatedBy),
	}
}

func company(c contact.Company, err error) (*model.Company, error) {
	if err != nil {
		return nil, err
	}
	return toCompany(&c), nil
}

func contactOf(c contact.Contact, err error) (*model.Contact, error) {
	if err != nil {
		return nil, err
	}
	return toContact(&c), nil
}

func pageInfo(cursors []string, next bool, after *string) *page.Info {
	p := &page.Info{HasNextPage: next, HasPreviousPage: after != nil && *after != ""}
	if n := len(cursors); n > 0 {
		p.StartCursor, p.EndCursor = &cursors[0], &cursors[n-1]
	}
	return p
}

func contactConnection(p contact.ContactPage, after *string) *model.ContactConnection {
	conn := &model.ContactConnection{Edges: make([]*model.ContactEdge, len(p.Contacts)), TotalCount: int(p.Total),
		PageInfo: pageInfo(p.Cursors, p.HasNext, after)}
	for i := range p.Contacts {
		conn.Edges[i] = &model.ContactEdge{Cursor: p.Cursors[i], Node: toContact(&p.Contacts[i])}
	}
	return conn
}

func companyConnection(p contact.CompanyPage, after *string) *model.CompanyConnection {
	conn := &model.CompanyConnection{Edges: make([]*model.CompanyEdge, len(p.Companies)), TotalCount: int(p.Total),
		PageInfo: pageInfo(p.Cursors, p.HasNext, after)}
	for i := range p.Companies {
		conn.Edges[i] = &model.CompanyEdge{Cursor: p.Cursors[i], Node: toCompany(&p.Companies[i])}
	}
	return conn
}

// wantsTotal reports whether the connection being resolved selects
// totalCount, which costs a count of every matching row.
func wantsTotal(ctx context.Context) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == "totalCount" {
			return true
		}
	}
	return false
}

func lower[T ~string](v *T) *string {
	if v == nil {
		return nil
	}
	s := strings.ToLower(string(*v))
	return &s
}

func order[F ~string](field *F, dir *model.OrderDirection) contact.Order {
	if field == nil {
		return contact.Order{}
	}
	return contact.Order{Field: string(*field), Desc: dir != nil && *dir == model.OrderDirectionDesc}
}

func customFieldFilter(ms []*model.CustomFieldMatch, present []string) contact.CustomFieldFilter {
	f := contact.CustomFieldFilter{Present: present}
	for _, m := range ms {
		f.Matches = append(f.Matches, contact.CustomFieldMatch{Key: m.Key, Value: m.Value})
	}
	return f
}

func companyFilter(f *model.CompanyFilter) contact.CompanyFilter {
	if f == nil {
		return contact.CompanyFilter{}
	}
	return contact.CompanyFilter{
		Name: f.Name, Domain: f.Domain, Industry: f.Industry, SizeCategory: f.SizeCategory,
		ParentCompanyID: f.ParentCompanyID, CreatedBy: f.CreatedBy, CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore,
		CustomFields: customFieldFilter(f.CustomFields, f.HasCustomFields),
	}
}

func contactFilter(f *model.ContactFilter) contact.ContactFilter {
	if f == nil {
		return contact.ContactFilter{}
	}
	return contact.ContactFilter{
		Name: f.Name, Email: f.Email, Status: lower(f.Status), Source: f.Source, OwnerID: f.OwnerID,
		CompanyID: f.CompanyID, Industry: f.Industry, CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore,
		CustomFields: customFieldFilter(f.CustomFields, f.HasCustomFields),
	}
}

// firstPage loads the first page of a group of contacts through a loader.
func (r *Resolver) firstPage(ctx context.Context, l *dataloader.Loader[pageKey, contact.ContactPage], id string, first *int) (*model.ContactConnection, error) {
	size, err := page.Size(first)
	if err != nil {
		return nil, err
	}
	p, err := l.Load(ctx, pageKey{id: id, first: size})()
	return contactConnection(p, nil), err
}
