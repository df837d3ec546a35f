package contact

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/page"
)

// similarityThreshold is the pg_trgm similarity from which a name counts as
// a match: low enough that two swapped letters in each word ("Jhon Smiht",
// 0.22 against "John Smith") still match; ranking puts close matches first.
const similarityThreshold = "0.2"

// Hit is one search result: a company or a contact, and its rank.
type Hit struct {
	Company *Company
	Contact *Contact
	Rank    float64
}

// The search statements: full text (prefixes of every word, e-mail
// addresses included) or trigram similarity of the name, ranked by
// full text rank plus similarity. The query is only ever a parameter.
const (
	searchCompanies = `SELECT c.*, ts_rank(c.search, to_tsquery('simple', $1)) + similarity(lower(c.name), $2) AS rank
		FROM companies c
		WHERE c.search @@ to_tsquery('simple', $1) OR lower(c.name) % $2
		ORDER BY rank DESC, c.id LIMIT $3`
	searchContacts = `SELECT c.*, ts_rank(c.search, to_tsquery('simple', $1))
			+ similarity(lower(c.first_name || ' ' || c.last_name), $2) AS rank
		FROM contacts c
		WHERE c.search @@ to_tsquery('simple', $1) OR lower(c.first_name || ' ' || c.last_name) % $2
		ORDER BY rank DESC, c.id LIMIT $3`
	// searchSettings apply to the search's transaction only. The planner
	// underestimates what the similarity operator costs per row and would
	// rather scan every contact (250 ms on 100,000) than use the indexes.
	searchSettings = `SELECT set_config('pg_trgm.similarity_threshold', ` + similarityThreshold + `::text, true),
		set_config('enable_seqscan', 'off', true)`
)

// Search returns the companies and contacts that best match query, best
// first: words match by prefix, and misspelt names by similarity.
func (s *Service) Search(ctx context.Context, query string, first *int) ([]Hit, error) {
	caller, err := reader(ctx)
	if err != nil {
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
	tsq := prefixQuery(term)
	var hits []Hit
	err = s.DB.InTenant(ctx, caller.TenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, searchSettings); err != nil {
			return err
		}
		res, err := tx.Query(ctx, searchCompanies, tsq, term, size)
		if err != nil {
			return err
		}
		companies, err := pgx.CollectRows(res, pgx.RowToStructByName[struct {
			Company
			Rank float64
		}])
		if err != nil {
			return err
		}
		if res, err = tx.Query(ctx, searchContacts, tsq, term, size); err != nil {
			return err
		}
		contacts, err := pgx.CollectRows(res, pgx.RowToStructByName[struct {
			Contact
			Rank float64
		}])
		for i := range companies {
			hits = append(hits, Hit{Company: &companies[i].Company, Rank: companies[i].Rank})
		}
		for i := range contacts {
			hits = append(hits, Hit{Contact: &contacts[i].Contact, Rank: contacts[i].Rank})
		}
		return err
	})
	slices.SortStableFunc(hits, func(a, b Hit) int {
		switch {
		case a.Rank > b.Rank:
			return -1
		case a.Rank < b.Rank:
			return 1
		}
		return 0
	})
	if len(hits) > size {
		hits = hits[:size]
	}
	return hits, err
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
	caller, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	const q = `SELECT c.* FROM contacts c, contacts t
		WHERE t.id = $1 AND c.id <> t.id AND (
			lower(c.email) = lower(t.email) OR c.phone = t.phone OR
			(lower(c.first_name || ' ' || c.last_name) % lower(t.first_name || ' ' || t.last_name)
			 AND similarity(lower(c.first_name || ' ' || c.last_name), lower(t.first_name || ' ' || t.last_name)) >= 0.6))
		ORDER BY (lower(c.email) = lower(t.email)) DESC NULLS LAST,
			similarity(lower(c.first_name || ' ' || c.last_name), lower(t.first_name || ' ' || t.last_name)) DESC, c.id
		LIMIT 20`
	var out []Contact
	err = s.DB.InTenant(ctx, caller.TenantID, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM contacts WHERE id = $1)", id).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return contactNotFound()
		}
		res, err := tx.Query(ctx, q, id)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(res, pgx.RowToStructByName[Contact])
		return err
	})
	return out, err
}
