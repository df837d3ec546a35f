package graph

import (
	"context"

	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/loader"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/subgraphs/contact"
)

// loaders batch the nested lookups of one operation: each field of every
// item of a page asks its loader, and the loader asks the database once.
// Whoever hands out records registers what their fields may ask (saw*), so
// the first batch fetches it all however the resolvers are scheduled.
type loaders struct {
	company                          *loader.Loader[loader.None, *contact.Company]
	children, ancestors, descendants *loader.Loader[loader.None, []contact.Company]
	// The first pages of contacts, by page size.
	companyContacts, ownedContacts *loader.Loader[int, *contact.ContactConnection]
}

func newLoaders(svc *contact.Service) *loaders {
	l := &loaders{}
	l.company = loader.ByID(func(ctx context.Context, ids []string) (map[string]*contact.Company, error) {
		cs, err := svc.Companies(ctx, ids)
		l.sawCompanies(cs...)
		return loader.Index(cs, contact.CompanyID), err
	})
	tree := func(fetch func(context.Context, []string) (map[string][]contact.Company, error)) *loader.Loader[loader.None, []contact.Company] {
		return loader.ByID(func(ctx context.Context, ids []string) (map[string][]contact.Company, error) {
			m, err := fetch(ctx, ids)
			for _, cs := range m {
				l.sawCompanies(cs...)
			}
			return m, err
		})
	}
	l.children, l.ancestors, l.descendants = tree(svc.ChildCompanies), tree(svc.Ancestors), tree(svc.Descendants)
	firstPages := func(byOwner bool) *loader.Loader[int, *contact.ContactConnection] {
		return loader.New(func(ctx context.Context, size int, ids []string) (map[string]*contact.ContactConnection, error) {
			m, err := svc.FirstContacts(ctx, byOwner, ids, size)
			for _, c := range m {
				l.sawEdges(c)
			}
			return m, err
		})
	}
	l.companyContacts, l.ownedContacts = firstPages(false), firstPages(true)
	return l
}

// sawCompanies registers what the fields of companies handed out may ask:
// their parents, and their children, ancestors, descendants and contacts.
func (l *loaders) sawCompanies(cs ...contact.Company) {
	ids := make([]string, 0, len(cs))
	for i := range cs {
		c := cs[i]
		l.company.Prime(loader.None{}, c.ID, &c)
		if c.ParentCompanyID != nil {
			l.company.Expect(*c.ParentCompanyID)
		}
		ids = append(ids, c.ID)
	}
	l.children.Expect(ids...)
	l.ancestors.Expect(ids...)
	l.descendants.Expect(ids...)
	l.companyContacts.Expect(ids...)
}

// sawContacts registers the companies of contacts handed out.
func (l *loaders) sawContacts(cs ...contact.Contact) {
	for _, c := range cs {
		if c.CompanyID != nil {
			l.company.Expect(*c.CompanyID)
		}
	}
}

// sawEdges registers the contacts of a page.
func (l *loaders) sawEdges(c *contact.ContactConnection) {
	for _, e := range c.Edges {
		l.sawContacts(e.Node)
	}
}

// sawUsers registers users whose owned contacts may be asked for.
func (l *loaders) sawUsers(ids ...string) { l.ownedContacts.Expect(ids...) }

// contactsOf is a group's contacts: a page after a cursor is a list of its
// own, the first page comes through the group's loader.
func (r *Resolver) contactsOf(ctx context.Context, l *loader.Loader[int, *contact.ContactConnection], f contact.ContactFilter, id string, first *int, after *string) (*contact.ContactConnection, error) {
	if page.After(after) {
		c, err := ptr(r.Service.ListContacts(ctx, &f, nil, first, after, wantsTotal(ctx)))
		if err == nil {
			loadersOf(ctx).sawEdges(c)
		}
		return c, err
	}
	size, err := page.Size(first)
	if err != nil {
		return nil, err
	}
	c, err := l.Load(ctx, size, id)
	if c == nil && err == nil {
		c = &contact.ContactConnection{Edges: []contact.ContactEdge{}, PageInfo: page.NewInfo(nil, false, nil)}
	}
	return c, err
}

// loadersOf returns the operation's loaders (NewSchema puts them there).
func loadersOf(ctx context.Context) *loaders { return gqlserver.OperationValue[*loaders](ctx) }
