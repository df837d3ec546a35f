package contact

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/contact/store"
)

// hit is a search result and its rank.
type hit struct {
	result SearchResult
	rank   float64
}

// Search returns the companies and contacts that best match query, best
// first: words match by prefix, and misspelt names by similarity.
func (s *Service) Search(ctx context.Context, query string, first *int) ([]SearchResult, error) {
	if _, err := auth.Require(ctx, auth.ReadCRM); err != nil {
		return nil, err
	}
	size, err := page.Size(first)
	if err != nil {
		return nil, err
	}
	term := strings.ToLower(strings.Join(strings.Fields(query), " "))
	if term == "" || utf8.RuneCountInString(term) > 200 {
		return nil, apperr.Field("query", "the query must have 1 to 200 characters")
	}
	hits, err := tenancy.Get(ctx, s.queries(), auth.ReadCRM, func(q *store.Queries) ([]hit, error) {
		if err := q.SearchSettings(ctx); err != nil {
			return nil, err
		}
		companies, err := q.SearchCompanies(ctx, store.SearchCompaniesParams{Tsquery: prefixQuery(term), Term: term, MaxRows: int32(size)})
		if err != nil {
			return nil, err
		}
		contacts, err := q.SearchContacts(ctx, store.SearchContactsParams{Tsquery: prefixQuery(term), Term: term, MaxRows: int32(size)})
		hits := mapRows(companies, func(r store.SearchCompaniesRow) hit { return hit{companyOf(r.Company), r.Rank} })
		return append(hits, mapRows(contacts, func(r store.SearchContactsRow) hit { return hit{contactOf(r.Contact), r.Rank} })...), err
	})
	slices.SortStableFunc(hits, func(a, b hit) int {
		switch {
		case a.rank > b.rank:
			return -1
		case a.rank < b.rank:
			return 1
		}
		return 0
	})
	hits, _ = page.Trim(hits, size)
	return mapRows(hits, func(h hit) SearchResult { return h.result }), err
}

// prefixQuery turns words into a tsquery text that matches each word's
// prefix ("jo sm" matches John Smith). Only letters and digits survive, so
// no tsquery operator of the caller's reaches PostgreSQL; no words give an
// empty query, which matches nothing.
func prefixQuery(term string) string {
	var words []string
	for _, w := range strings.Fields(term) {
		w = strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return r
			}
			return -1
		}, w)
		if w != "" {
			words = append(words, w+":*")
		}
	}
	return strings.Join(words, " & ")
}

// FindDuplicates returns other contacts that look like the same person as
// contact id: the same e-mail address, the same phone, or a name at least
// 0.6 similar. At most 20, closest first.
func (s *Service) FindDuplicates(ctx context.Context, id string) ([]Contact, error) {
	return tenancy.Get(ctx, s.queries(), auth.ReadCRM, func(q *store.Queries) ([]Contact, error) {
		exists, err := q.ContactExists(ctx, id)
		if err != nil {
			return nil, err
		}
		if !exists {
			return nil, contactNotFound()
		}
		rows, err := q.FindDuplicates(ctx, id)
		return mapRows(rows, func(r store.FindDuplicatesRow) Contact { return contactOf(r.Contact) }), err
	})
}
