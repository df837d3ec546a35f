package main

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/comms"
	"github.com/opencrm/opencrm/subgraphs/identity"
	"github.com/opencrm/opencrm/subgraphs/subgraphstest"
)

// The demo organisation `make run` creates has something to explore at
// every stage: a team, companies (two with subsidiaries), contacts, deals in
// every stage of the default pipeline, timelines and open tasks.
func TestTheDemoOrganisationIsFullOfData(t *testing.T) {
	c := subgraphstest.Start(t)
	a := &app{db: c.DB, log: slog.Default(), deps: c.Deps, comms: comms.New(c.DB, comms.Config{}, nil)}
	ctx := context.Background()
	svc := &identity.Service{DB: a.db, Issuer: a.deps.Issuer, Mail: a.deps.Mail, Limiter: a.deps.Limiter, Log: a.log}
	sub := "demo-" + tenancy.NewID()[20:]
	admin, err := svc.SignUp(ctx, identity.SignUpInput{OrganizationName: "Demo Inc.", Subdomain: sub,
		Email: "admin@demo.example.com", Password: "demo-password-1", FirstName: "Demo", LastName: "Admin"})
	require.NoError(t, err)
	require.NoError(t, a.seedDemo(ctx, admin, "demo-password-1"))

	counts := map[string]int{}
	require.NoError(t, a.db.InTenant(ctx, admin.User.TenantID, func(tx pgx.Tx) error {
		for _, q := range []string{
			"SELECT 'users', count(*) FROM users WHERE status = 'active'",
			"SELECT 'companies', count(*) FROM companies",
			"SELECT 'subsidiaries', count(*) FROM companies WHERE parent_company_id IS NOT NULL",
			"SELECT 'contacts', count(*) FROM contacts WHERE company_id IS NOT NULL",
			"SELECT 'stages with deals', count(DISTINCT stage_id) FROM deals",
			"SELECT 'deals without company', count(*) FROM deals WHERE company_id IS NULL",
			"SELECT 'activities', count(*) FROM activities WHERE deal_id IS NOT NULL",
			"SELECT 'open tasks', count(*) FROM tasks WHERE status <> 'completed'",
		} {
			var name string
			var n int
			if err := tx.QueryRow(ctx, q).Scan(&name, &n); err != nil {
				return err
			}
			counts[name] = n
		}
		return nil
	}))
	require.Equal(t, 5, counts["users"], "the admin and a team of four")
	require.Equal(t, len(demoCompanies), counts["companies"])
	require.Equal(t, 2, counts["subsidiaries"])
	require.GreaterOrEqual(t, counts["contacts"], 2*len(demoCompanies))
	require.Equal(t, 6, counts["stages with deals"], "every stage of the default pipeline, won and lost included")
	require.Zero(t, counts["deals without company"])
	require.GreaterOrEqual(t, counts["activities"], 2*counts["stages with deals"])
	require.Positive(t, counts["open tasks"])
}
