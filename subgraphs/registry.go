// Package subgraphs lists the product's subgraphs and builds their HTTP
// handlers. Adding a subgraph is one entry in All (plus its own folders:
// schema/<name>/, subgraphs/<name>/ and its sqlc.yaml entry, which
// registry_test.go checks).
package subgraphs

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/config"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/mail"
	"github.com/opencrm/opencrm/pkg/ratelimit"
	"github.com/opencrm/opencrm/pkg/refs"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/comms"
	commsgraph "github.com/opencrm/opencrm/subgraphs/comms/graph"
	commsmigrations "github.com/opencrm/opencrm/subgraphs/comms/migrations"
	"github.com/opencrm/opencrm/subgraphs/contact"
	contactgraph "github.com/opencrm/opencrm/subgraphs/contact/graph"
	contactmigrations "github.com/opencrm/opencrm/subgraphs/contact/migrations"
	"github.com/opencrm/opencrm/subgraphs/deal"
	dealgraph "github.com/opencrm/opencrm/subgraphs/deal/graph"
	dealmigrations "github.com/opencrm/opencrm/subgraphs/deal/migrations"
	"github.com/opencrm/opencrm/subgraphs/identity"
	identitygraph "github.com/opencrm/opencrm/subgraphs/identity/graph"
	identitymigrations "github.com/opencrm/opencrm/subgraphs/identity/migrations"
	"github.com/opencrm/opencrm/subgraphs/tenant"
	tenantgraph "github.com/opencrm/opencrm/subgraphs/tenant/graph"
	"github.com/opencrm/opencrm/subgraphs/webhooks"
	webhooksgraph "github.com/opencrm/opencrm/subgraphs/webhooks/graph"
	webhooksmigrations "github.com/opencrm/opencrm/subgraphs/webhooks/migrations"
)

// Deps are what a process builds its subgraphs from: the dependencies they
// share (one set per process), not any one subgraph's own configuration,
// which each reads in its New.
type Deps struct {
	DB            *tenancy.DB
	Keys          *auth.KeySet // signing keys: the identity subgraph needs them
	Issuer        *auth.Issuer
	Verifier      *auth.Verifier
	Mail          mail.Sender
	Limiter       *ratelimit.Limiter
	Logger        *slog.Logger
	Metrics       *gqlserver.Metrics
	Introspection bool
	Limits        gqlserver.Limits
	Health        []gqlserver.Dependency // Redis, NATS: degrade, not fail
	// Comms is the process's comms service when it already built one (its
	// platform mail is the Mail of the others); nil: the comms subgraph
	// builds its own from the environment.
	Comms *comms.Service
	// SubgraphURLs are the subgraphs' GraphQL endpoints by name, for the
	// reference checks of the writes that name another domain's records
	// (pkg/refs: users of "identity", companies and contacts of "contact",
	// deals of "deal"). Without any, ids are checked for shape only.
	SubgraphURLs map[string]string
}

// references is the client that checks the ids a write sets with the
// subgraphs that own them (pkg/refs); nil without any URL (ids are then
// checked for shape only).
func (d Deps) references() refs.Checker {
	if len(d.SubgraphURLs) == 0 {
		return nil
	}
	return &refs.Client{URLs: d.SubgraphURLs}
}

// revocations are where the identity subgraph ends a user's access tokens:
// the same store every subgraph's verifier checks.
func (d Deps) revocations() *auth.Revocations {
	if d.Verifier == nil {
		return nil
	}
	return d.Verifier.Revocations
}

// Subgraph is one subgraph of the product: everything else (the process
// configuration's ports and URLs, composition's graph.yaml, `crm sdl`, the
// tenant migrations) is derived from these entries, and registry_test.go
// checks that sqlc.yaml and schema/ agree with them.
type Subgraph struct {
	Name string
	// Port is where it listens by default (the seed's service ports).
	Port int
	// URLVar is the environment variable of its base URL (the seed's
	// *_SERVICE_URL), where the gateway and other subgraphs find it.
	URLVar string
	// Migrations are its tables' migrations, applied to every tenant schema.
	Migrations fs.FS
	// New builds the subgraph's service: once per process, shared by its
	// schema, its routes and its workers.
	New func(Deps) (Service, error)
}

// Service is a subgraph built for a process.
type Service struct {
	// Schema is its executable schema.
	Schema graphql.ExecutableSchema
	// Domain is what it serves in the terms of API key scopes
	// (docs/integrators.md): stated here once per subgraph, checked by
	// every permission check of its requests (auth.Caller, auth.Require).
	Domain auth.Domain
	// Routes are its extra HTTP routes, if any.
	Routes map[string]http.Handler
	// Workers start its background loops (event consumers, schedulers), run
	// by every process that serves it until their context ends; any number
	// of replicas may run them at once. Nil: it has none.
	Workers func(jetstream.JetStream) ([]func(context.Context) error, error)
}

// All are the product's subgraphs.
var All = []Subgraph{
	{
		Name: "identity", Port: 8080, URLVar: "AUTH_SERVICE_URL", Migrations: identitymigrations.FS,
		New: func(d Deps) (Service, error) {
			svc := &identity.Service{DB: d.DB, Issuer: d.Issuer, Mail: d.Mail, Limiter: d.Limiter, Log: d.Logger,
				Revocations: d.revocations()}
			out := Service{
				Schema: identitygraph.NewExecutableSchema(identitygraph.Config{Resolvers: &identitygraph.Resolver{Service: svc}}),
				Domain: auth.DomainUsers,
				Routes: map[string]http.Handler{"POST " + auth.APIKeyTokenPath: auth.APIKeyTokenHandler(svc.ExchangeAPIKey, d.Logger)},
			}
			if d.Keys != nil {
				out.Routes["GET "+auth.JWKSPath] = auth.JWKSHandler(d.Keys)
			}
			return out, nil
		},
	},
	{
		Name: "tenant", Port: 8081, URLVar: "TENANT_SERVICE_URL",
		New: func(d Deps) (Service, error) {
			svc := &tenant.Service{DB: d.DB, Mail: d.Mail, Log: d.Logger}
			return Service{Schema: tenantgraph.NewExecutableSchema(tenantgraph.Config{Resolvers: &tenantgraph.Resolver{Service: svc}}), Domain: auth.DomainUsers}, nil
		},
	},
	{
		Name: "contact", Port: 8082, URLVar: "CONTACT_SERVICE_URL", Migrations: contactmigrations.FS,
		New: func(d Deps) (Service, error) {
			return Service{Schema: contactgraph.NewSchema(&contact.Service{DB: d.DB, References: d.references()}), Domain: auth.DomainContacts}, nil
		},
	},
	{
		Name: "deal", Port: 8083, URLVar: "DEAL_SERVICE_URL", Migrations: dealmigrations.FS,
		New: func(d Deps) (Service, error) {
			svc := &deal.Service{DB: d.DB, References: d.references()}
			return Service{
				Schema: dealgraph.NewSchema(svc),
				Domain: auth.DomainDeals,
				Workers: func(js jetstream.JetStream) ([]func(context.Context) error, error) {
					c, err := svc.Consumer(js, events.Stream{})
					if err != nil {
						return nil, err
					}
					return []func(context.Context) error{c.Run}, nil
				},
			}, nil
		},
	},
	{
		Name: "comms", Port: 8084, URLVar: "COMMUNICATION_SERVICE_URL", Migrations: commsmigrations.FS,
		New: func(d Deps) (Service, error) {
			svc := d.Comms
			if svc == nil {
				cfg, err := comms.EnvConfig()
				if err != nil {
					return Service{}, err
				}
				svc = comms.New(d.DB, cfg, d.Logger)
			}
			if svc.References == nil {
				svc.References = d.references()
			}
			return Service{
				Schema: commsgraph.NewSchema(svc),
				Domain: auth.DomainActivities,
				Routes: svc.Routes(),
				// The mail sender, the reminder scheduler and the event consumer.
				Workers: func(js jetstream.JetStream) ([]func(context.Context) error, error) {
					return svc.Workers(js, events.Stream{})
				},
			}, nil
		},
	},
	{
		Name: "webhooks", Port: 8085, URLVar: "WEBHOOKS_SERVICE_URL", Migrations: webhooksmigrations.FS,
		New: func(d Deps) (Service, error) {
			cfg, err := webhooks.EnvConfig()
			if err != nil {
				return Service{}, err
			}
			svc := webhooks.New(d.DB, cfg, d.Logger)
			return Service{
				Schema: webhooksgraph.NewSchema(svc),
				Domain: auth.DomainWebhooks,
				// The consumer that queues deliveries and the sender.
				Workers: func(js jetstream.JetStream) ([]func(context.Context) error, error) {
					c, err := svc.Consumer(js, events.Stream{}, "")
					if err != nil {
						return nil, err
					}
					return []func(context.Context) error{c.Run, svc.Sender().Run}, nil
				},
			}, nil
		},
	},
}

// Find returns the subgraph with the name.
func Find(name string) (Subgraph, error) {
	for _, s := range All {
		if s.Name == name {
			return s, nil
		}
	}
	return Subgraph{}, fmt.Errorf("no subgraph %q", name)
}

// Services are the subgraphs as the process configuration knows them.
func Services() []config.Service {
	out := make([]config.Service, len(All))
	for i, s := range All {
		out[i] = config.Service{Name: s.Name, Port: s.Port, URLVar: s.URLVar}
	}
	return out
}

// TenantDomains own tables in every tenant schema, in the order they migrate.
func TenantDomains() []tenancy.Domain {
	domains := []tenancy.Domain{{Name: "events", FS: events.TenantMigrations()}}
	for _, s := range All {
		if s.Migrations != nil {
			domains = append(domains, tenancy.Domain{Name: s.Name, FS: s.Migrations})
		}
	}
	return domains
}

// Handler builds the subgraph and returns its HTTP handler.
func (s Subgraph) Handler(d Deps) (http.Handler, error) {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	svc, err := s.New(d)
	if err != nil {
		return nil, fmt.Errorf("subgraph %s: %w", s.Name, err)
	}
	return svc.Handler(s.Name, d), nil
}

// Handler returns the HTTP handler of the built subgraph named name.
func (svc Service) Handler(name string, d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	sg := gqlserver.Subgraph{
		Name: name,
		GraphQL: gqlserver.NewHandler(svc.Schema, gqlserver.Options{
			Name: name, Introspection: d.Introspection, Limits: d.Limits, Logger: d.Logger, Metrics: d.Metrics,
		}),
		Verifier: d.Verifier, Domain: svc.Domain, Pool: d.DB.Pool, Deps: d.Health, Metrics: d.Metrics, Limits: d.Limits,
		Routes: svc.Routes,
	}
	return sg.Handler()
}

// SDL returns the subgraph's federation SDL (what `_service { sdl }` answers),
// the input of composition.
func (s Subgraph) SDL() (string, error) {
	// Built without a database or configuration: only its schema is used.
	svc, err := s.New(Deps{Comms: comms.New(nil, comms.Config{}, nil)})
	if err != nil {
		return "", err
	}
	exec := executor.New(svc.Schema)
	exec.Use(gqlserver.FederationService{}.Extension())
	ctx := graphql.StartOperationTrace(context.Background())
	params := &graphql.RawParams{Query: "{ _service { sdl } }"}
	oc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		return "", errs
	}
	h, ctx := exec.DispatchOperation(ctx, oc)
	resp := h(ctx)
	if len(resp.Errors) > 0 {
		return "", resp.Errors
	}
	var out struct {
		Service struct{ SDL string } `json:"_service"`
	}
	if err := json.Unmarshal(resp.Data, &out); err != nil {
		return "", err
	}
	return out.Service.SDL, nil
}
