package contact_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// benchOrg is an organisation of its own with 1,000 companies and 100,000
// contacts (50 first names x 50 last names x 40 suffixes: every full name
// once), dropped when the benchmark ends.
func benchOrg(b *testing.B) *org {
	b.Helper()
	o := newOrg(b, subgraphstest.Start(b))
	ctx := context.Background()
	err := o.c.DB.InTenant(ctx, o.tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO companies (id, name, domain, industry)
			SELECT 'co' || lpad(i::text, 24, '0'), 'Company ' || i, 'company' || i || '.example.com', (ARRAY['Software','Energy','Retail','Banking'])[1 + i % 4]
			FROM generate_series(0, 999) i`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			WITH names AS (SELECT
				ARRAY['James','Mary','John','Patricia','Robert','Jennifer','Michael','Linda','William','Elizabeth','David','Barbara',
				      'Richard','Susan','Joseph','Jessica','Thomas','Sarah','Charles','Karen','Christopher','Nancy','Daniel','Lisa',
				      'Matthew','Betty','Anthony','Margaret','Mark','Sandra','Donald','Ashley','Steven','Kimberly','Paul','Emily',
				      'Andrew','Donna','Joshua','Michelle','Kenneth','Carol','Kevin','Amanda','Brian','Dorothy','George','Melissa',
				      'Edward','Deborah'] AS firsts,
				ARRAY['Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis','Rodriguez','Martinez','Hernandez',
				      'Lopez','Gonzalez','Wilson','Anderson','Thomas','Taylor','Moore','Jackson','Martin','Lee','Perez','Thompson',
				      'White','Harris','Sanchez','Clark','Ramirez','Lewis','Robinson','Walker','Young','Allen','King','Wright',
				      'Scott','Torres','Nguyen','Hill','Flores'] AS lasts,
				ARRAY['','son','ley','ton','field','ford','wood','man','er','s','well','by','worth','ham','stone','berg','dale',
				      'land','more','ridge','brook','croft','hurst','lock','mond','ney','ington','ville','bury','combe','ett','ard',
				      'ock','ick','ing','ow','ey','en','ly','ash'] AS suffixes)
			INSERT INTO contacts (id, first_name, last_name, email, company_id, status, source)
			SELECT 'ct' || lpad(i::text, 24, '0'), firsts[1 + i % 50], lasts[1 + (i / 50) % 40] || suffixes[1 + (i / 2000) % 40],
			       lower(firsts[1 + i % 50] || '.' || lasts[1 + (i / 50) % 40] || suffixes[1 + (i / 2000) % 40]) || i || '@company' || i % 1000 || '.example.com',
			       'co' || lpad((i % 1000)::text, 24, '0'), (ARRAY['lead','prospect','customer','inactive'])[1 + i % 4], 'import'
			FROM names, generate_series(0, 99999) i`)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "ANALYZE companies; ANALYZE contacts")
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		schema, _ := tenancy.SchemaName(o.tenantID)
		_ = o.c.DB.InPlatform(ctx, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			if err == nil {
				_, err = tx.Exec(ctx, "DELETE FROM platform.tenants WHERE id = $1", o.tenantID)
			}
			return err
		})
	})
	return o
}

// BenchmarkSearch measures search over 100,000 contacts and 1,000
// companies through the subgraph's HTTP endpoint, for a typo, a common last
// name and a company domain.
func BenchmarkSearch(b *testing.B) {
	o := benchOrg(b)
	for _, q := range []string{"Jhon Smiht", "Smithson", "company42", "patricia garciaford"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				var out struct{ Search []hit }
				o.data(b, o.viewer(), `query($q: String!) { search(query: $q, first: 20) { __typename ... on Contact { id fullName } ... on Company { id name } } }`,
					map[string]any{"q": q}, &out)
				if len(out.Search) == 0 {
					b.Fatalf("nothing found for %q", q)
				}
			}
		})
	}
}

// BenchmarkEntities500 measures an _entities batch of 500 contacts with
// their companies (what the gateway sends to enrich a page of deals).
func BenchmarkEntities500(b *testing.B) {
	o := benchOrg(b)
	reps := make([]any, 500)
	for i := range reps {
		reps[i] = map[string]any{"__typename": "Contact", "id": fmt.Sprintf("ct%024d", i*197)}
	}
	for b.Loop() {
		var out struct {
			Entities []*struct{ ID string } `json:"_entities"`
		}
		o.data(b, o.viewer(), `query($r: [_Any!]!) { _entities(representations: $r) { ... on Contact { id fullName email company { id name } } } }`,
			map[string]any{"r": reps}, &out)
		if len(out.Entities) != 500 || out.Entities[499] == nil {
			b.Fatal("not every contact resolved")
		}
	}
}
