package graph

import (
	"context"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/opencrm/opencrm/subgraphs/contact"
)

// loaderWait is how long a loader gathers keys before it runs its batch.
// The statement count does not depend on it (see siblings); latency does.
const loaderWait = 2 * time.Millisecond

// pageKey asks for the first page of a group's contacts.
type pageKey struct {
	id    string
	first int
}

// loaders batch the nested lookups of one operation: each field of every
// item of a page asks its loader, and the loader asks the database once.
type loaders struct {
	company         *dataloader.Loader[string, *contact.Company]
	children        *dataloader.Loader[string, []contact.Company]
	ancestors       *dataloader.Loader[string, []contact.Company]
	descendants     *dataloader.Loader[string, []contact.Company]
	companyContacts *dataloader.Loader[pageKey, contact.ContactPage]
	ownedContacts   *dataloader.Loader[pageKey, contact.ContactPage]

	// What the loaders above fetch with, and what they expect to be asked.
	companies                              *siblings[string, *contact.Company]
	childrenOf, ancestorsOf, descendantsOf *siblings[string, []contact.Company]
	contactsOfCompanies, contactsOfOwners  *siblings[pageKey, contact.ContactPage]
}

func newLoaders(svc *contact.Service) *loaders {
	l := &loaders{}
	l.companies = byString(func(ctx context.Context, ids []string) ([]*contact.Company, error) {
		cs, err := svc.Companies(ctx, ids)
		for _, c := range cs {
			if c != nil {
				l.sawCompanies(*c)
			}
		}
		return cs, err
	})
	l.childrenOf = byString(l.sawGroups(groups(svc.ChildCompanies)))
	l.ancestorsOf = byString(l.sawGroups(groups(svc.Ancestors)))
	l.descendantsOf = byString(l.sawGroups(groups(svc.Descendants)))
	pageID := func(k pageKey) string { return k.id }
	withID := func(k pageKey, id string) pageKey { return pageKey{id, k.first} }
	l.contactsOfCompanies = newSiblings(l.firstPages(svc, contact.ByCompany), pageID, withID)
	l.contactsOfOwners = newSiblings(l.firstPages(svc, contact.ByOwner), pageID, withID)

	l.company = load(l.companies)
	l.children = load(l.childrenOf)
	l.ancestors = load(l.ancestorsOf)
	l.descendants = load(l.descendantsOf)
	l.companyContacts = load(l.contactsOfCompanies)
	l.ownedContacts = load(l.contactsOfOwners)
	return l
}

// sawCompanies registers what the fields of companies handed out may ask:
// their parents, and their children, ancestors, descendants and contacts.
func (l *loaders) sawCompanies(cs ...contact.Company) {
	ids := make([]string, 0, len(cs))
	for i := range cs {
		c := cs[i]
		l.companies.know(c.ID, &c)
		if c.ParentCompanyID != nil {
			l.companies.expect(*c.ParentCompanyID)
		}
		ids = append(ids, c.ID)
	}
	l.childrenOf.expect(ids...)
	l.ancestorsOf.expect(ids...)
	l.descendantsOf.expect(ids...)
	l.contactsOfCompanies.expect(ids...)
}

// sawContacts registers the companies of contacts handed out.
func (l *loaders) sawContacts(cs ...contact.Contact) {
	for _, c := range cs {
		if c.CompanyID != nil {
			l.companies.expect(*c.CompanyID)
		}
	}
}

// sawUsers registers users whose owned contacts may be asked for.
func (l *loaders) sawUsers(ids ...string) { l.contactsOfOwners.expect(ids...) }

func (l *loaders) sawGroups(fetch func(context.Context, []string) ([][]contact.Company, error)) func(context.Context, []string) ([][]contact.Company, error) {
	return func(ctx context.Context, ids []string) ([][]contact.Company, error) {
		gs, err := fetch(ctx, ids)
		for _, g := range gs {
			l.sawCompanies(g...)
		}
		return gs, err
	}
}

// load makes a per-request dataloader over a batch function.
func load[K comparable, V any](s *siblings[K, V]) *dataloader.Loader[K, V] {
	return dataloader.NewBatchedLoader(func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		vals, err := s.batch(ctx, keys)
		out := make([]*dataloader.Result[V], len(keys))
		for i := range keys {
			out[i] = &dataloader.Result[V]{Error: err}
			if err == nil {
				out[i].Data = vals[i]
			}
		}
		return out
	}, dataloader.WithWait[K, V](loaderWait))
}

// groups adapts a lookup that answers a map of groups.
func groups[V any](fetch func(context.Context, []string) (map[string][]V, error)) func(context.Context, []string) ([][]V, error) {
	return func(ctx context.Context, ids []string) ([][]V, error) {
		m, err := fetch(ctx, ids)
		out := make([][]V, len(ids))
		for i, id := range ids {
			out[i] = m[id]
		}
		return out, err
	}
}

// firstPages answers the first pages of groups of contacts, one statement
// per page size asked for (all the same, in practice).
func (l *loaders) firstPages(svc *contact.Service, group string) func(context.Context, []pageKey) ([]contact.ContactPage, error) {
	return func(ctx context.Context, keys []pageKey) ([]contact.ContactPage, error) {
		bySize := map[int][]string{}
		for _, k := range keys {
			bySize[k.first] = append(bySize[k.first], k.id)
		}
		pages := map[pageKey]contact.ContactPage{}
		for first, ids := range bySize {
			m, err := svc.FirstContacts(ctx, group, ids, &first)
			if err != nil {
				return nil, err
			}
			for _, id := range ids {
				pages[pageKey{id, first}] = m[id]
				l.sawContacts(m[id].Contacts...)
			}
		}
		out := make([]contact.ContactPage, len(keys))
		for i, k := range keys {
			out[i] = pages[k]
		}
		return out, nil
	}
}

type loadersKey struct{}

func loadersOf(ctx context.Context) *loaders { return ctx.Value(loadersKey{}).(*loaders) }
