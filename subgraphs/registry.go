// Package subgraphs lists the product's subgraphs and builds their HTTP
// handlers. Adding a subgraph is one entry in All.
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
	"github.com/opencrm/opencrm/pkg/contactclient"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/mail"
	"github.com/opencrm/opencrm/pkg/ratelimit"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/comms"
	commsgraph "github.com/opencrm/opencrm/subgraphs/comms/graph"
	"github.com/opencrm/opencrm/subgraphs/contact"
	contactgraph "github.com/opencrm/opencrm/subgraphs/contact/graph"
	"github.com/opencrm/opencrm/subgraphs/deal"
	dealgraph "github.com/opencrm/opencrm/subgraphs/deal/graph"
	"github.com/opencrm/opencrm/subgraphs/identity"
	identitygraph "github.com/opencrm/opencrm/subgraphs/identity/graph"
	"github.com/opencrm/opencrm/subgraphs/tenant"
	tenantgraph "github.com/opencrm/opencrm/subgraphs/tenant/graph"
)

// Deps are what subgraphs are built from: one set per process.
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
	// Comms is the comms service, shared by its schema, its HTTP routes and
	// its workers; nil builds one from the environment.
	Comms *comms.Service
	// SubgraphURLs are the subgraphs' GraphQL endpoints by name, for the
	// typed clients of the writes that need another domain's decision (the
	// deal subgraph asks "contact" whether companies and contacts exist).
	// Without a subgraph's URL its client is left out.
	SubgraphURLs map[string]string
}

// revocations are where the identity subgraph ends a user's access tokens:
// the same store every subgraph's verifier checks.
func (d Deps) revocations() *auth.Revocations {
	if d.Verifier == nil {
		return nil
	}
	return d.Verifier.Revocations
}

// comms is the process's comms service; without one (composition's SDL
// export) a service is built from the environment.
func (d Deps) comms() *comms.Service {
	if d.Comms != nil {
		return d.Comms
	}
	return comms.NewFromEnv(d.DB, d.Logger)
}

// Subgraph is one subgraph of the product.
type Subgraph struct {
	Name string
	// Port is where it listens by default (the seed's service ports).
	Port int
	// Migrations are its tables' migrations, applied to every tenant schema.
	Migrations fs.FS
	// Schema builds its executable schema.
	Schema func(Deps) graphql.ExecutableSchema
	// Routes are its extra HTTP routes, if any.
	Routes func(Deps) map[string]http.Handler
	// Workers are its background loops (event consumers, schedulers), run
	// by every process that serves it until their context ends; any number
	// of replicas may run them at once.
	Workers func(Deps, jetstream.JetStream) ([]func(context.Context) error, error)
}

// All are the product's subgraphs.
var All = []Subgraph{
	{
		Name: "identity", Port: 8080, Migrations: identity.Migrations(),
		Schema: func(d Deps) graphql.ExecutableSchema {
			svc := &identity.Service{DB: d.DB, Issuer: d.Issuer, Mail: d.Mail, Limiter: d.Limiter, Log: d.Logger,
				Revocations: d.revocations()}
			return identitygraph.NewExecutableSchema(identitygraph.Config{Resolvers: &identitygraph.Resolver{Service: svc}})
		},
		Routes: func(d Deps) map[string]http.Handler {
			return map[string]http.Handler{"GET " + auth.JWKSPath: auth.JWKSHandler(d.Keys)}
		},
	},
	{
		Name: "tenant", Port: 8081,
		Schema: func(d Deps) graphql.ExecutableSchema {
			svc := &tenant.Service{DB: d.DB, Mail: d.Mail, Log: d.Logger}
			return tenantgraph.NewExecutableSchema(tenantgraph.Config{Resolvers: &tenantgraph.Resolver{Service: svc}})
		},
	},
	{
		Name: "contact", Port: 8082, Migrations: contact.Migrations(),
		Schema: func(d Deps) graphql.ExecutableSchema {
			return contactgraph.NewSchema(&contact.Service{DB: d.DB})
		},
	},
	{
		Name: "deal", Port: 8083, Migrations: deal.Migrations(),
		Schema: func(d Deps) graphql.ExecutableSchema {
			svc := &deal.Service{DB: d.DB}
			if url := d.SubgraphURLs["contact"]; url != "" {
				svc.References = &contactclient.Client{URL: url}
			}
			return dealgraph.NewSchema(svc)
		},
		Workers: func(d Deps, js jetstream.JetStream) ([]func(context.Context) error, error) {
			c, err := (&deal.Service{DB: d.DB}).Consumer(js, events.Stream{})
			if err != nil {
				return nil, err
			}
			return []func(context.Context) error{c.Run}, nil
		},
	},
	{
		Name: "comms", Port: 8084, Migrations: comms.Migrations(),
		Schema: func(d Deps) graphql.ExecutableSchema { return commsgraph.NewSchema(d.comms()) },
		Routes: func(d Deps) map[string]http.Handler { return d.comms().Routes() },
		// The mail sender, the reminder scheduler and the event consumer.
		Workers: func(d Deps, js jetstream.JetStream) ([]func(context.Context) error, error) {
			return d.comms().Workers(js, events.Stream{})
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

// Handler returns the subgraph's HTTP handler.
func (s Subgraph) Handler(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	sg := gqlserver.Subgraph{
		GraphQL: gqlserver.NewHandler(s.Schema(d), gqlserver.Options{
			Name: s.Name, Introspection: d.Introspection, Limits: d.Limits, Logger: d.Logger, Metrics: d.Metrics,
		}),
		Verifier: d.Verifier, Pool: d.DB.Pool, Deps: d.Health, Metrics: d.Metrics, Limits: d.Limits,
	}
	if s.Routes != nil {
		sg.Routes = s.Routes(d)
	}
	return sg.Handler()
}

// SDL returns the subgraph's federation SDL (what `_service { sdl }` answers),
// the input of composition.
func (s Subgraph) SDL() (string, error) {
	exec := executor.New(s.Schema(Deps{}))
	exec.Use(gqlserver.FederationService{})
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
