package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/comms"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// seedDigest is a fingerprint of an organisation's generated data without
// its ids and timestamps: names, links (by name), values, stages, owners.
func seedDigest(t *testing.T, a *app, tenantID string) (string, map[string]int) {
	t.Helper()
	h := sha256.New()
	counts := map[string]int{}
	require.NoError(t, a.db.InTenant(context.Background(), tenantID, func(tx pgx.Tx) error {
		for _, q := range []struct{ name, sql string }{
			{"companies", `SELECT c.name || '|' || coalesce(p.name, '') || '|' || coalesce(c.industry, '') FROM companies c
				LEFT JOIN companies p ON p.id = c.parent_company_id ORDER BY 1`},
			{"contacts", `SELECT ct.first_name || ct.last_name || coalesce(ct.email, '') || co.name || split_part(u.email, '@', 1) || ct.status
				FROM contacts ct JOIN companies co ON co.id = ct.company_id JOIN users u ON u.id = ct.owner_id ORDER BY 1`},
			{"deals", `SELECT d.title || d.value::text || d.currency || s.name || co.name || ct.email || split_part(u.email, '@', 1)
				FROM deals d JOIN stages s ON s.id = d.stage_id JOIN companies co ON co.id = d.company_id
				JOIN contacts ct ON ct.id = d.primary_contact_id JOIN users u ON u.id = d.owner_id ORDER BY 1`},
			{"activities", `SELECT a.type || a.subject || d.title FROM activities a JOIN deals d ON d.id = a.deal_id ORDER BY 1`},
			{"tasks", `SELECT t.title || t.priority FROM tasks t ORDER BY 1`},
		} {
			rows, err := tx.Query(context.Background(), q.sql)
			if err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					return err
				}
				fmt.Fprintln(h, s)
				counts[q.name]++
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	}))
	return fmt.Sprintf("%x", h.Sum(nil)), counts
}

// The generator is deterministic: the same seed gives the same data in two
// organisations (whatever the writers' interleaving), another seed other
// data, and what it writes is valid through the API.
func TestSeedIsDeterministicAndValidThroughTheAPI(t *testing.T) {
	c := subgraphstest.Start(t)
	a := &app{db: c.DB, log: slog.Default(), deps: c.Deps, comms: comms.New(c.DB, comms.Config{}, nil)}
	ctx := context.Background()
	sz := seedSizes["tiny"]
	sub := "seed-" + tenancy.NewID()[18:]
	var orgs []seededOrg
	for i, s := range []uint64{7, 7, 8} {
		org, err := a.seedOrg(ctx, fmt.Sprintf("%s-%d", sub, i), seedPassword, sz, s, 4, false)
		require.NoError(t, err)
		orgs = append(orgs, org)
	}
	first, counts := seedDigest(t, a, orgs[0].TenantID)
	second, _ := seedDigest(t, a, orgs[1].TenantID)
	other, _ := seedDigest(t, a, orgs[2].TenantID)
	require.Equal(t, first, second, "the same seed gives the same data")
	require.NotEqual(t, first, other, "another seed gives other data")
	require.Equal(t, map[string]int{"companies": sz.Companies, "contacts": sz.Contacts, "deals": sz.Deals,
		"activities": sz.Deals * sz.ActivitiesPerDeal, "tasks": sz.Tasks}, counts)

	again, err := a.seedOrg(ctx, orgs[0].Subdomain, seedPassword, sz, 9, 4, false)
	require.NoError(t, err)
	require.True(t, again.Existed, "an organisation that exists is left as it is")
	unchanged, _ := seedDigest(t, a, orgs[0].TenantID)
	require.Equal(t, first, unchanged)

	// Through the API, as its admin: the board holds every deal; the
	// other organisation's admin sees only its own.
	var adminID string
	require.NoError(t, c.DB.InTenant(ctx, orgs[0].TenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "SELECT id FROM users WHERE email = $1", orgs[0].Email).Scan(&adminID)
	}))
	token := c.Token(t, auth.Identity{UserID: adminID, TenantID: orgs[0].TenantID, Email: orgs[0].Email, Role: auth.RoleAdmin})
	var board struct {
		PipelineView struct {
			Stages []struct {
				DealCount int
				Deals     []struct{ Title, Value string }
			}
		}
	}
	res := subgraphstest.Do(t, c.URLs["deal"], token, `{ pipelineView(dealsPerStage: 500) { stages { dealCount deals { title value } } } }`, nil)
	res.Decode(t, &board)
	total, listed := 0, 0
	for _, s := range board.PipelineView.Stages {
		total += s.DealCount
		listed += len(s.Deals)
	}
	require.Equal(t, sz.Deals, total)
	require.Equal(t, sz.Deals, listed)
	var contacts struct{ Contacts struct{ TotalCount int } }
	subgraphstest.Do(t, c.URLs["contact"], token, `{ contacts { totalCount } }`, nil).Decode(t, &contacts)
	require.Equal(t, sz.Contacts, contacts.Contacts.TotalCount)
}
