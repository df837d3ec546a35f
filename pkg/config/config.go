// Package config reads the process configuration from the environment once,
// at start-up, into a typed and validated struct. Defaults work on a
// developer machine (the services of `make run` on 127.0.0.1).
package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the configuration of every process of the product.
type Config struct {
	Environment string // development or production
	LogLevel    string

	DatabaseURL string
	RedisURL    string // empty: no Redis (no cache, no rate limits)
	NATSURL     string // empty: events wait in the outbox

	// DatabaseDirectURL is PostgreSQL itself when DatabaseURL is a
	// transaction pooler such as PgBouncer (DATABASE_DIRECT_URL; default
	// DatabaseURL): the outbox relay LISTENs there and `crm migrate` creates
	// the database there.
	DatabaseDirectURL string

	// JWTSigningKeys is "kid:base64-seed,..." (first signs); empty in
	// development means a key generated at start-up (tokens die with the process).
	JWTSigningKeys string
	JWTIssuer      string
	JWTAudience    string

	// Introspection enables __schema/__type (on by default in development).
	Introspection bool

	// Port overrides the listening port of a single subgraph or the gateway.
	Port int
	// GatewayPort is where the gateway listens in `all` mode.
	GatewayPort int
	// SubgraphURLs are the subgraphs' base URLs (the seed's *_SERVICE_URL).
	SubgraphURLs map[string]string

	MigrateParallelism int
	ShutdownTimeout    time.Duration

	// MetricsToken is the bearer token the gateway's /metrics requires
	// (METRICS_TOKEN); empty leaves it open, which only development allows.
	MetricsToken string
	// SubgraphTimeout bounds each fetch of the gateway from a subgraph
	// (SUBGRAPH_TIMEOUT, a Go duration; 0: the gateway's default, 10 s).
	SubgraphTimeout time.Duration
	// APIKeyRateLimit is the gateway's requests per minute per API key for
	// tenants without their own limit (API_KEY_RATE_LIMIT; 0: 600).
	APIKeyRateLimit int
}

// Development reports whether the process runs in development mode.
func (c Config) Development() bool { return c.Environment == "development" }

// Service is a subgraph as the configuration knows it: where it listens by
// default and the variable that says where the others reach it.
type Service struct {
	Name   string
	Port   int
	URLVar string // the seed's *_SERVICE_URL
}

// Load reads and validates the configuration of a process of the product,
// whose subgraphs are services (subgraphs.All).
func Load(services []Service) (Config, error) {
	c := Config{
		Environment:        env("ENVIRONMENT", "development"),
		LogLevel:           env("LOG_LEVEL", "info"),
		DatabaseURL:        env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opencrm?sslmode=disable"),
		RedisURL:           env("REDIS_URL", "redis://127.0.0.1:6379/0"),
		NATSURL:            env("NATS_URL", "nats://127.0.0.1:4222"),
		JWTSigningKeys:     os.Getenv("JWT_SIGNING_KEYS"),
		MetricsToken:       os.Getenv("METRICS_TOKEN"),
		JWTIssuer:          env("JWT_ISSUER", "opencrm"),
		JWTAudience:        env("JWT_AUDIENCE", "opencrm-api"),
		SubgraphURLs:       map[string]string{},
		MigrateParallelism: 4,
		ShutdownTimeout:    15 * time.Second,
		GatewayPort:        4000,
	}
	c.DatabaseDirectURL = env("DATABASE_DIRECT_URL", c.DatabaseURL)
	var errs []error
	if c.Environment != "development" && c.Environment != "production" {
		errs = append(errs, fmt.Errorf("ENVIRONMENT must be development or production, not %q", c.Environment))
	}
	c.Introspection = c.Development()
	if v := os.Getenv("INTROSPECTION"); v != "" {
		b, err := strconv.ParseBool(v)
		errs = append(errs, wrap("INTROSPECTION", err))
		c.Introspection = b
	}
	c.Port, errs = intVar("PORT", 0, errs)
	c.GatewayPort, errs = intVar("GATEWAY_PORT", c.GatewayPort, errs)
	c.MigrateParallelism, errs = intVar("MIGRATE_PARALLELISM", c.MigrateParallelism, errs)
	c.APIKeyRateLimit, errs = intVar("API_KEY_RATE_LIMIT", 0, errs)
	for _, svc := range services {
		c.SubgraphURLs[svc.Name] = strings.TrimRight(env(svc.URLVar, fmt.Sprintf("http://127.0.0.1:%d", svc.Port)), "/")
	}
	if v := os.Getenv("SUBGRAPH_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("SUBGRAPH_TIMEOUT must be a positive duration such as 5s, not %q", v))
		}
		c.SubgraphTimeout = d
	}
	if !c.Development() && c.MetricsToken == "" {
		errs = append(errs, errors.New("METRICS_TOKEN is required in production: the gateway's /metrics is not for everyone"))
	}
	if !c.Development() && c.JWTSigningKeys == "" {
		errs = append(errs, errors.New("JWT_SIGNING_KEYS is required in production (generate one with `crm keygen`)"))
	}
	return c, errors.Join(errs...)
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func intVar(key string, def int, errs []error) (int, []error) {
	v := os.Getenv(key)
	if v == "" {
		return def, errs
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return def, append(errs, fmt.Errorf("%s must be a non-negative integer, not %q", key, v))
	}
	return n, errs
}

func wrap(key string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", key, err)
}
