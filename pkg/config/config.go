// Package config reads the process configuration from the environment once,
// at start-up, into a typed and validated struct. Defaults work on a
// developer machine (the services of `make run` on 127.0.0.1); in
// production what has no safe default is required. Every variable is
// checked here, and Load reports every bad one at once, each error naming
// its variable, so a process refuses to start instead of running on a
// value it misread (docs/operations.md lists them all).
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opencrm/opencrm/pkg/auth"
)

// Config is the configuration of every process of the product.
type Config struct {
	Environment string // development or production
	LogLevel    string // debug, info, warn or error

	DatabaseURL string
	RedisURL    string // empty: no Redis (no cache, no rate limits)
	NATSURL     string // empty: events wait in the outbox

	// DatabaseDirectURL is PostgreSQL itself when DatabaseURL is a
	// transaction pooler such as PgBouncer (DATABASE_DIRECT_URL; default
	// DatabaseURL): the outbox relay LISTENs there and `crm migrate` creates
	// the database there.
	DatabaseDirectURL string

	// JWTSigningKeys is "kid:base64-seed,..." (first signs). Empty in
	// development, it is the key kept in StateDir (created on first start),
	// so a restart does not end everyone's sessions.
	JWTSigningKeys string
	JWTIssuer      string
	JWTAudience    string
	// StateDir is where development keeps what must outlive a process: its
	// signing key (STATE_DIR, default .state in the working directory).
	StateDir string
	// DevSigningKeyFile is the file JWTSigningKeys came from, when it came
	// from StateDir rather than the environment.
	DevSigningKeyFile string

	// Introspection enables __schema/__type (on by default in development).
	Introspection bool

	// Port overrides the listening port of a single subgraph or the gateway.
	Port int
	// GatewayPort is where the gateway listens in `all` mode.
	GatewayPort int
	// SubgraphURLs are the subgraphs' base URLs (the seed's *_SERVICE_URL).
	SubgraphURLs map[string]string

	MigrateParallelism int
	// ShutdownTimeout is how long a stopping process lets in-flight
	// requests finish (SHUTDOWN_TIMEOUT, default 15s); Kubernetes'
	// terminationGracePeriodSeconds must be longer.
	ShutdownTimeout time.Duration

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
// whose subgraphs are services (subgraphs.All). Its error lists every
// variable that is wrong, each by name.
func Load(services []Service) (Config, error) {
	c := Config{
		Environment:    env("ENVIRONMENT", "development"),
		LogLevel:       strings.ToLower(env("LOG_LEVEL", "info")),
		DatabaseURL:    env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/opencrm?sslmode=disable"),
		RedisURL:       env("REDIS_URL", "redis://127.0.0.1:6379/0"),
		NATSURL:        env("NATS_URL", "nats://127.0.0.1:4222"),
		JWTSigningKeys: os.Getenv("JWT_SIGNING_KEYS"),
		MetricsToken:   os.Getenv("METRICS_TOKEN"),
		JWTIssuer:      env("JWT_ISSUER", "opencrm"),
		JWTAudience:    env("JWT_AUDIENCE", "opencrm-api"),
		StateDir:       env("STATE_DIR", ".state"),
		SubgraphURLs:   map[string]string{},
	}
	c.DatabaseDirectURL = env("DATABASE_DIRECT_URL", c.DatabaseURL)
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if c.Environment != "development" && c.Environment != "production" {
		check(fmt.Errorf("ENVIRONMENT must be development or production, not %q", c.Environment))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		check(fmt.Errorf("LOG_LEVEL must be debug, info, warn or error, not %q", c.LogLevel))
	}
	c.Introspection = c.Development()
	if v := os.Getenv("INTROSPECTION"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			check(fmt.Errorf("INTROSPECTION must be true or false, not %q", v))
		}
		c.Introspection = b
	}

	c.Port = intVar("PORT", 0, 1, 65535, check)
	c.GatewayPort = intVar("GATEWAY_PORT", 4000, 1, 65535, check)
	c.MigrateParallelism = intVar("MIGRATE_PARALLELISM", 4, 1, 1000, check)
	c.APIKeyRateLimit = intVar("API_KEY_RATE_LIMIT", 0, 0, 1<<30, check)
	c.SubgraphTimeout = durationVar("SUBGRAPH_TIMEOUT", 0, check)
	c.ShutdownTimeout = durationVar("SHUTDOWN_TIMEOUT", 15*time.Second, check)

	check(databaseURL("DATABASE_URL", c.DatabaseURL))
	check(databaseURL("DATABASE_DIRECT_URL", c.DatabaseDirectURL))
	if c.RedisURL != "" {
		check(serverURL("REDIS_URL", c.RedisURL, "redis", "rediss", "unix"))
	}
	if c.NATSURL != "" {
		// nats.go takes a comma-separated list of servers (a cluster).
		for u := range strings.SplitSeq(c.NATSURL, ",") {
			check(serverURL("NATS_URL", strings.TrimSpace(u), "nats", "tls", "ws", "wss"))
		}
	}
	for _, svc := range services {
		u := strings.TrimRight(env(svc.URLVar, fmt.Sprintf("http://127.0.0.1:%d", svc.Port)), "/")
		check(serverURL(svc.URLVar, u, "http", "https"))
		c.SubgraphURLs[svc.Name] = u
	}

	if c.JWTIssuer == "" {
		check(errors.New("JWT_ISSUER must not be empty"))
	}
	if c.JWTAudience == "" {
		check(errors.New("JWT_AUDIENCE must not be empty"))
	}
	switch {
	case c.JWTSigningKeys != "":
		if _, err := auth.ParseKeySet(c.JWTSigningKeys); err != nil {
			check(fmt.Errorf("JWT_SIGNING_KEYS: %w (generate one with `crm keygen`)", err))
		}
	case !c.Development():
		check(errors.New("JWT_SIGNING_KEYS is required in production (generate one with `crm keygen`)"))
	case len(errs) == 0:
		// Only a configuration that is otherwise right touches the disk.
		spec, file, err := DevSigningKey(c.StateDir)
		check(err)
		c.JWTSigningKeys, c.DevSigningKeyFile = spec, file
	}
	if !c.Development() && c.MetricsToken == "" {
		check(errors.New("METRICS_TOKEN is required in production: the gateway's /metrics is not for everyone"))
	}
	return c, errors.Join(errs...)
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

// intVar reads an integer in [lo, hi]; unset or empty is def.
func intVar(key string, def, lo, hi int, check func(error)) int {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < lo || n > hi {
		check(fmt.Errorf("%s must be an integer from %d to %d, not %q", key, lo, hi, v))
		return def
	}
	return n
}

// durationVar reads a positive Go duration (5s, 1m30s); unset or empty is def.
func durationVar(key string, def time.Duration, check func(error)) time.Duration {
	v := os.Getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d <= 0 {
		check(fmt.Errorf("%s must be a positive duration such as 5s, not %q", key, v))
		return def
	}
	return d
}

// databaseURL checks a PostgreSQL connection string the way pgx will read
// it (a postgres:// URL or key=value pairs), without connecting.
func databaseURL(key, v string) error {
	if v == "" {
		return fmt.Errorf("%s must not be empty", key)
	}
	if strings.Contains(v, "://") {
		if err := serverURL(key, v, "postgres", "postgresql"); err != nil {
			return err
		}
	}
	if _, err := pgconn.ParseConfig(v); err != nil {
		// pgconn's message may quote the password: name the variable only.
		return fmt.Errorf("%s is not a PostgreSQL connection string (postgres://user@host:5432/db?sslmode=disable)", key)
	}
	return nil
}

// serverURL checks that v is an absolute URL with one of schemes and a
// host (unix sockets excepted). The error never repeats the URL's password.
func serverURL(key, v string, schemes ...string) error {
	want := strings.Join(schemes, "://, ") + "://"
	u, err := url.Parse(v)
	if err != nil {
		return fmt.Errorf("%s is not a URL (want %s...)", key, want)
	}
	ok := false
	for _, s := range schemes {
		ok = ok || strings.EqualFold(u.Scheme, s)
	}
	if !ok {
		return fmt.Errorf("%s must start with %s, not %q", key, want, u.Redacted())
	}
	if u.Host == "" && u.Scheme != "unix" {
		return fmt.Errorf("%s has no host: %q", key, u.Redacted())
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%s has a bad port: %q", key, u.Redacted())
		}
	}
	return nil
}
