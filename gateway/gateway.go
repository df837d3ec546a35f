// Package gateway is the CRM's one GraphQL endpoint: it embeds WunderGraph's
// graphql-go-tools federation engine, which plans each operation across the
// subgraphs composed at build time (compose/) and batches their entity
// lookups, and it guards the edge: access tokens, request limits, persisted
// queries and rate limits, before any subgraph is called. It also serves
// GraphiQL, an aggregated health check and Prometheus metrics.
package gateway

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jensneuse/abstractlogger"
	"github.com/wundergraph/graphql-go-tools/execution/engine"
	"github.com/wundergraph/graphql-go-tools/v2/pkg/engine/resolve"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/idempotency"
	"github.com/opencrm/opencrm/pkg/logging"
	"github.com/opencrm/opencrm/pkg/ratelimit"
	"github.com/opencrm/opencrm/pkg/telemetry"
)

// Gateway is the gateway's HTTP handler. Routes:
//
//	POST, GET /graphql  the federated graph
//	GET /               GraphiQL (assets under /playground/)
//	GET /health         every subgraph's health and Redis's
//	GET /metrics        Prometheus metrics (behind Config.MetricsToken when set)
type Gateway struct {
	cfg          Config
	analyzer     *analyzer
	engine       *engine.ExecutionEngine
	verifier     *auth.Verifier
	apiKeys      *apiKeys
	public       map[string]bool
	subgraphURLs map[string]string
	redis        *redisGate
	apq          *apqStore
	limiter      *limiter
	idempotency  *idempotency.Store
	metrics      *metrics
	healthClient *http.Client
	mux          http.Handler
}

// New builds the gateway from cfg. The engine's background work stops when
// ctx is cancelled.
func New(ctx context.Context, cfg Config) (*Gateway, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	rc, urls, err := loadRouterConfig(cfg.RouterConfig, cfg.Subgraphs)
	if err != nil {
		return nil, err
	}
	for name := range cfg.Subgraphs {
		if _, ok := urls[name]; !ok {
			// A subgraph served but not composed yet: the graph works
			// without it (and compose.sh --check fails in CI).
			cfg.Logger.Warn("gateway: subgraph not in the router config, not served: run make compose (the registry, subgraphs.All, lists it)", "subgraph", name)
		}
	}
	for name := range cfg.SubgraphTimeouts {
		if _, ok := urls[name]; !ok {
			return nil, fmt.Errorf("gateway: SubgraphTimeouts: no subgraph %q in the router config", name)
		}
	}
	for _, name := range cfg.RequiredSubgraphs {
		if _, ok := urls[name]; !ok && len(urls) > 0 {
			return nil, fmt.Errorf("gateway: RequiredSubgraphs: no subgraph %q in the router config", name)
		}
	}
	keys, err := cfg.keySource(urls)
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		cfg:          cfg,
		verifier:     &auth.Verifier{Keys: keys, Issuer: cfg.Issuer, Audience: cfg.Audience, Revocations: cfg.Revocations},
		public:       map[string]bool{},
		subgraphURLs: urls,
		redis:        &redisGate{client: cfg.Redis, log: cfg.Logger},
		metrics:      newMetrics(),
		healthClient: &http.Client{Timeout: healthTimeout},
	}
	g.apiKeys = newAPIKeys(cfg, urls, g.verifier)
	for _, f := range cfg.PublicFields {
		g.public[f] = true
	}
	g.apq = newAPQStore(g.redis, cfg.APQTTL)
	g.idempotency = g.newIdempotency()
	g.limiter = &limiter{counter: &ratelimit.Limiter{Redis: cfg.Redis}, gate: g.redis, cfg: cfg.RateLimit, trustXFF: cfg.TrustForwardedFor}

	fetchClient := &http.Client{
		Timeout: cfg.Limits.Timeout,
		Transport: newFetchTransport(&http.Transport{
			Proxy:               nil, // subgraphs are internal
			MaxIdleConnsPerHost: 256,
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   true,
		}, urls, g.metrics, cfg.SubgraphTimeout, cfg.SubgraphTimeouts),
	}
	factory := engine.NewFederationEngineConfigFactory(ctx, engine.WithFederationHttpClient(fetchClient))
	ec, err := factory.BuildEngineConfiguration(rc)
	if err != nil {
		return nil, fmt.Errorf("gateway: engine configuration: %w", err)
	}
	g.analyzer = newAnalyzer(ec.Schema(), cfg.Limits)
	g.engine, err = engine.NewExecutionEngine(ctx, abstractlogger.NoopLogger, ec, resolve.ResolverOptions{
		MaxConcurrency: 1024,
		// A link to a record deleted since (an entity its subgraph answers
		// null for) reads as null without an error in errors: the engine
		// reports the fields it could not complete in extensions.valueCompletion.
		ResolvableOptions: resolve.ResolvableOptions{ApolloCompatibilityValueCompletionInExtensions: true},
		// Subgraph errors reach the client with their extensions.code.
		PropagateSubgraphErrors:      true,
		SubgraphErrorPropagationMode: resolve.SubgraphErrorPropagationModePassThrough,
		AllowedErrorExtensionFields:  []string{"code", "field", "requestId", "scope"},
		AllowedSubgraphErrorFields:   []string{"message", "path", "extensions"},
		RewriteSubgraphErrorPaths:    true,
		OmitSubgraphErrorLocations:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("gateway: engine: %w", err)
	}
	g.mux = g.routes()
	return g, nil
}

func (g *Gateway) routes() http.Handler {
	mux := http.NewServeMux()
	graphqlHandler := cors(normalizeOrigins(g.cfg.AllowedOrigins),
		gqlserver.LimitBody(g.cfg.Limits.MaxBodyBytes, http.HandlerFunc(g.serveGraphQL)))
	mux.Handle(gqlserver.GraphQLPath, graphqlHandler)
	page, assets := playground()
	mux.Handle("GET /{$}", page)
	mux.Handle("GET /playground/", assets)
	mux.Handle("GET /health", gqlserver.HealthHandler(g.health))
	mux.Handle("GET "+gqlserver.LivePath, gqlserver.LiveHandler())
	mux.Handle("GET /metrics", requireToken(g.cfg.MetricsToken, g.metrics.handler()))
	return logging.Middleware(telemetry.Middleware("gateway", mux))
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mux.ServeHTTP(w, r)
}
