package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/cache"
	"github.com/opencrm/opencrm/pkg/config"
	"github.com/opencrm/opencrm/pkg/database"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/gqlserver"
	"github.com/opencrm/opencrm/pkg/logging"
	"github.com/opencrm/opencrm/pkg/mail"
	"github.com/opencrm/opencrm/pkg/platform"
	"github.com/opencrm/opencrm/pkg/ratelimit"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs"
	"github.com/opencrm/opencrm/subgraphs/comms"
)

// app is what a process builds once from its configuration.
type app struct {
	cfg   config.Config
	log   *slog.Logger
	db    *tenancy.DB
	cache *cache.Cache
	redis *redis.Client
	nats  *nats.Conn
	js    jetstream.JetStream
	keys  *auth.KeySet
	comms *comms.Service
	deps  subgraphs.Deps
}

// newApp connects to PostgreSQL (required) and Redis (optional: the
// product degrades without it), and sets up the platform schema.
func newApp(ctx context.Context) (*app, error) {
	// Every variable is checked before anything connects: a bad one stops
	// the process here, named, with exit code 1.
	cfg, err := config.Load(subgraphs.Services())
	commsCfg, commsErr := comms.EnvConfig()
	if err := errors.Join(err, commsErr); err != nil {
		return nil, fmt.Errorf("configuration:\n%w", err)
	}
	a := &app{cfg: cfg, log: logging.New(cfg.LogLevel)}
	if err := database.EnsureDatabase(ctx, cfg.DatabaseDirectURL); err != nil {
		return nil, fmt.Errorf("%w (is PostgreSQL running? `make services` starts it)", err)
	}
	pool, err := database.NewPool(ctx, cfg.DatabaseURL, database.Options{})
	if err != nil {
		return nil, err
	}
	if h := database.HealthCheck(ctx, pool); !h.Healthy {
		return nil, fmt.Errorf("PostgreSQL at DATABASE_URL does not answer (is it running? `make services` starts it)")
	}
	a.db = &tenancy.DB{Pool: pool, Platform: platform.Domains(), Tenant: subgraphs.TenantDomains()}
	if err := a.db.Setup(ctx); err != nil {
		return nil, fmt.Errorf("set up the platform schema: %w", err)
	}
	if cfg.RedisURL != "" {
		if a.cache, err = cache.New(cache.Config{URL: cfg.RedisURL, Logger: a.log}); err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		a.redis = a.cache.Client()
		a.db.Cache = a.cache
	}
	if cfg.NATSURL != "" {
		// Connect does not wait for NATS: events wait in the outbox until it answers.
		if a.nats, a.js, err = events.Connect(cfg.NATSURL, "opencrm"); err != nil {
			return nil, fmt.Errorf("NATS_URL: %w", err)
		}
	}
	if a.keys, err = signingKeys(cfg, a.log); err != nil {
		return nil, err
	}
	a.comms = comms.New(a.db, commsCfg, a.log)
	var mailer mail.Sender = mail.LogSender{Log: a.log}
	if os.Getenv("SMTP_HOST") != "" {
		// Platform mail goes through the comms queue (delivered by its sender worker).
		mailer = a.comms.PlatformMail()
	} else {
		a.log.Warn("SMTP_HOST is not set: platform mail (invitations, resets, verifications) is logged, not sent")
	}
	a.deps = subgraphs.Deps{
		DB:            a.db,
		Keys:          a.keys,
		Issuer:        &auth.Issuer{Keys: a.keys, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience},
		Verifier:      &auth.Verifier{Keys: a.keys, Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, Revocations: a.revocations()},
		Mail:          mailer,
		Comms:         a.comms,
		Limiter:       &ratelimit.Limiter{Redis: a.redis},
		Logger:        a.log,
		Metrics:       gqlserver.NewMetrics(),
		Introspection: cfg.Introspection,
		Health:        a.dependencies(),
		SubgraphURLs:  map[string]string{},
	}
	for name, url := range cfg.SubgraphURLs {
		a.deps.SubgraphURLs[name] = url + gqlserver.GraphQLPath
	}
	return a, nil
}

func signingKeys(cfg config.Config, log *slog.Logger) (*auth.KeySet, error) {
	if cfg.DevSigningKeyFile != "" {
		log.Info("JWT_SIGNING_KEYS is not set: signing with the development key kept in " + cfg.DevSigningKeyFile + " (delete it to end every session)")
	}
	ks, err := auth.ParseKeySet(cfg.JWTSigningKeys)
	if err != nil {
		return nil, fmt.Errorf("JWT_SIGNING_KEYS: %w", err)
	}
	return ks, nil
}

// remoteVerifier verifies with the identity subgraph's published keys: what
// a process that does not hold the signing keys uses.
func (a *app) remoteVerifier() *auth.Verifier {
	url := a.cfg.SubgraphURLs["identity"] + auth.JWKSPath
	return &auth.Verifier{Keys: auth.NewRemoteKeys(url), Issuer: a.cfg.JWTIssuer, Audience: a.cfg.JWTAudience, Revocations: a.revocations()}
}

// revocations are the per-user session revocations in Redis (none without Redis).
func (a *app) revocations() *auth.Revocations {
	if a.cache == nil {
		return nil
	}
	return &auth.Revocations{Cache: a.cache}
}

func (a *app) dependencies() []gqlserver.Dependency {
	var deps []gqlserver.Dependency
	if a.cache != nil {
		deps = append(deps, gqlserver.Dependency{Name: "redis", Check: a.cache.Ping})
	}
	if a.js != nil {
		deps = append(deps, gqlserver.Dependency{Name: "nats", Check: func(ctx context.Context) error { return events.Ping(ctx, a.js) }})
	}
	return deps
}

// built is a subgraph built for this process.
type built struct {
	subgraphs.Subgraph
	svc  subgraphs.Service
	deps subgraphs.Deps
}

// build builds each served subgraph once, with deps: its handler and its
// workers share what it built.
func build(served []subgraphs.Subgraph, deps subgraphs.Deps) ([]built, error) {
	out := make([]built, 0, len(served))
	for _, sg := range served {
		svc, err := sg.New(deps)
		if err != nil {
			return nil, fmt.Errorf("subgraph %s: %w", sg.Name, err)
		}
		out = append(out, built{Subgraph: sg, svc: svc, deps: deps})
	}
	return out, nil
}

func (b built) handler() http.Handler { return b.svc.Handler(b.Name, b.deps) }

// workers starts the background loops of the subgraphs this process
// serves (event consumers, the mail sender, schedulers) until ctx ends.
func (a *app) workers(ctx context.Context, served []built) (wait func()) {
	var wg sync.WaitGroup
	for _, sg := range served {
		if sg.svc.Workers == nil {
			continue
		}
		if a.js == nil {
			a.log.Warn("NATS_URL is empty: background workers not started", "subgraph", sg.Name)
			continue
		}
		runs, err := sg.svc.Workers(a.js)
		if err != nil {
			a.log.Error("background workers not started", "subgraph", sg.Name, "err", err)
			continue
		}
		for _, run := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := run(ctx); err != nil && ctx.Err() == nil {
					a.log.Error("background worker stopped", "subgraph", sg.Name, "err", err)
				}
			}()
		}
	}
	return wg.Wait
}

// relay publishes the outbox to JetStream until ctx ends; every process
// that writes events runs one (several replicas share the work safely).
func (a *app) relay(ctx context.Context) (wait func()) {
	if a.js == nil {
		a.log.Warn("NATS_URL is empty: events stay in the outbox")
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := events.NewRelay(a.db, a.js, events.RelayConfig{ListenURL: a.cfg.DatabaseDirectURL, Logger: a.log}).Run(ctx); err != nil {
			a.log.Error("outbox relay stopped", "err", err)
		}
	}()
	return func() { <-done }
}

func (a *app) close() {
	if a.nats != nil {
		_ = a.nats.Drain()
	}
	if a.cache != nil {
		_ = a.cache.Close()
	}
	a.db.Pool.Close()
}

// serve runs the servers until ctx ends, then shuts them down gracefully:
// no new connections, in-flight requests finish (within ShutdownTimeout).
func serve(ctx context.Context, log *slog.Logger, timeout time.Duration, servers ...*http.Server) error {
	errc := make(chan error, len(servers))
	for _, s := range servers {
		log.Info("listening", "addr", s.Addr)
		go func() {
			if err := s.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("%s: %w", s.Addr, err)
			}
		}()
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	for _, s := range servers {
		_ = s.Shutdown(sctx)
	}
	return err
}

// server listens on host:port; an empty host means every interface.
func server(host string, port int, h http.Handler) *http.Server {
	return &http.Server{
		Addr: fmt.Sprintf("%s:%d", host, port), Handler: h,
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
	}
}

func names() string {
	var n []string
	for _, s := range subgraphs.All {
		n = append(n, s.Name)
	}
	return strings.Join(n, ", ")
}
