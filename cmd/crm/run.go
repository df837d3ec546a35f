package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/identity"
)

func runSubgraph(ctx context.Context, name string) error {
	sg, err := subgraphs.Find(name)
	if err != nil {
		return fmt.Errorf("%w (subgraphs: %s)", err, names())
	}
	a, err := newApp(ctx)
	if err != nil {
		return err
	}
	defer a.close()
	deps := a.deps
	if name != "identity" {
		deps.Verifier = a.remoteVerifier()
	}
	port := sg.Port
	if a.cfg.Port != 0 {
		port = a.cfg.Port
	}
	served, err := build([]subgraphs.Subgraph{sg}, deps)
	if err != nil {
		return err
	}
	defer a.relay(ctx)()
	defer a.workers(ctx, served)()
	return serve(ctx, a.log, a.cfg.ShutdownTimeout, server("", port, served[0].handler()))
}

func runMigrate(ctx context.Context) error {
	a, err := newApp(ctx)
	if err != nil {
		return err
	}
	defer a.close()
	a.log.Info("migrating tenant schemas", "parallel", a.cfg.MigrateParallelism)
	return a.db.MigrateTenants(ctx, a.cfg.MigrateParallelism, func(p tenancy.Progress) {
		if p.Err != nil {
			a.log.Error("tenant migration failed", "tenant_id", p.TenantID, "done", p.Done, "total", p.Total, "err", p.Err)
			return
		}
		a.log.Info("tenant migrated", "tenant_id", p.TenantID, "applied", p.Applied, "done", p.Done, "total", p.Total)
	})
}

// The demo organisation `make run` creates.
const (
	demoSubdomain = "demo"
	demoEmail     = "admin@demo.example.com"
)

func runDemo(ctx context.Context) error {
	a, err := newApp(ctx)
	if err != nil {
		return err
	}
	defer a.close()
	password := os.Getenv("DEMO_PASSWORD")
	if password == "" {
		password = "demo-password-1"
	}
	svc := &identity.Service{DB: a.db, Issuer: a.deps.Issuer, Mail: a.deps.Mail, Limiter: a.deps.Limiter, Log: a.log}
	if _, err := a.db.LookupSubdomain(ctx, demoSubdomain); err == nil {
		fmt.Printf("Demo organisation %q exists: sign in as %s (password %q unless you changed it)\n", demoSubdomain, demoEmail, password)
		return nil
	}
	admin, err := svc.SignUp(ctx, identity.SignUpInput{
		OrganizationName: "Demo Inc.", Subdomain: demoSubdomain, Email: demoEmail, Password: password,
		FirstName: "Demo", LastName: "Admin",
	})
	if err != nil {
		return err
	}
	if err := a.seedDemo(ctx, admin, password); err != nil {
		return fmt.Errorf("fill the demo organisation: %w", err)
	}
	fmt.Printf("Demo organisation %q created with its team, companies, contacts, deals, activities and tasks:\n"+
		"sign in as %s with password %q (or as maria@, james@, aisha@ or tom@%s.example.com, the same password)\n",
		demoSubdomain, demoEmail, password, demoSubdomain)
	return nil
}

// writeSDL writes each subgraph's federation SDL to dir/<name>.graphql and
// the composition's list of them, from subgraphs.All, to dir/graph.yaml.
func writeSDL(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	graph := "# The subgraphs the gateway composes, written by `crm sdl` from subgraphs.All\n" +
		"# (subgraphs/registry.go): edit that, not this. routing_url is the development\n" +
		"# default; the gateway's configuration overrides it at run time.\nversion: 1\nsubgraphs:\n"
	for _, sg := range subgraphs.All {
		graph += fmt.Sprintf("  - name: %s\n    routing_url: http://127.0.0.1:%d/graphql\n    schema:\n      file: ./subgraphs/%s.graphql\n",
			sg.Name, sg.Port, sg.Name)
	}
	if err := os.WriteFile(filepath.Join(dir, "graph.yaml"), []byte(graph), 0o644); err != nil {
		return err
	}
	for _, sg := range subgraphs.All {
		sdl, err := sg.SDL()
		if err != nil {
			return fmt.Errorf("%s: %w", sg.Name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, sg.Name+".graphql"), []byte(sdl), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func keygen(kid string) error {
	spec := auth.GenerateKeySpec(kid)
	if _, err := auth.ParseKeySet(spec); err != nil {
		return err
	}
	fmt.Printf("JWT_SIGNING_KEYS=%s\n# (Ed25519, %d-byte seed; put the new key first and keep the old one until its tokens expire)\n", spec, ed25519.SeedSize)
	return nil
}
