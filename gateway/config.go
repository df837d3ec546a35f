package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/gqlserver"
)

// Config is everything the gateway needs, read once at start-up by the
// command that runs it. Zero values mean the documented defaults.
type Config struct {
	// Subgraphs maps a subgraph's name (as in compose/graph.yaml) to the URL
	// of its GraphQL endpoint (http://host:port/graphql). A subgraph not named
	// here keeps the routing URL it was composed with.
	Subgraphs map[string]string

	// RouterConfig is the router configuration written by `wgc router
	// compose`. When empty, RouterConfigPath is read; when that is empty too,
	// the configuration embedded at build time (compose/config.json) is used.
	RouterConfig     []byte
	RouterConfigPath string

	// Keys verifies access tokens. When nil, the gateway reads the JWKS at
	// JWKSURL (cached, fetched again on an unknown kid); when JWKSURL is
	// empty too, at the identity subgraph's auth.JWKSPath.
	Keys    auth.KeySource
	JWKSURL string
	// Issuer and Audience are the iss and aud an access token must carry.
	Issuer   string
	Audience string
	// APIKeyExchangeURL is where API keys are exchanged for access tokens;
	// empty: the identity subgraph's auth.APIKeyTokenPath.
	APIKeyExchangeURL string
	// Revocations, when set, refuses the tokens of a user whose sessions
	// were revoked (deactivated, role changed, password reset) before any
	// subgraph is called: the marks the identity subgraph writes in Redis.
	// A verified token is remembered for auth.DefaultCacheTTL, so a
	// revocation made in another process ends it here within that time.
	Revocations *auth.Revocations

	// Redis holds persisted queries, rate-limit counters and the records of
	// mutations sent with an Idempotency-Key. Nil, or a Redis that does not
	// answer, degrades: persisted queries live in process memory, requests
	// are not rate limited, and mutations with an Idempotency-Key are
	// refused (SERVICE_UNAVAILABLE, retryable).
	Redis *redis.Client

	Limits    Limits
	RateLimit RateLimit

	// SubgraphTimeout bounds each fetch from a subgraph (default 10 s,
	// shorter than Limits.Timeout): a subgraph that has not answered by then
	// gives SERVICE_UNAVAILABLE errors on its fields, and the client gets
	// the fields the others answered. SubgraphTimeouts overrides it per
	// subgraph (by name, as in compose/graph.yaml).
	SubgraphTimeout  time.Duration
	SubgraphTimeouts map[string]time.Duration
	// RequiredSubgraphs are the subgraphs without which the gateway is
	// unhealthy (/health answers 503) rather than degraded; nil means
	// DefaultRequiredSubgraphs. Every subgraph down is unhealthy too.
	RequiredSubgraphs []string

	// MetricsToken, when set, is the bearer token /metrics requires
	// (Authorization: Bearer <token>, as a Prometheus scrape config's
	// authorization sends it); empty serves /metrics to anyone, as in
	// development.
	MetricsToken string
	// APQTTL is how long a persisted query is kept in Redis (default 24 h).
	APQTTL time.Duration

	// Introspection serves __schema and __type (development). Off, the
	// default, rejects any operation that asks for them.
	Introspection bool

	// PublicFields are the root fields, as "Type.field", an operation may
	// select without an access token: an operation is public when every
	// root field it selects is. Nil means DefaultPublicFields.
	PublicFields []string

	// AllowedOrigins are the web origins ("https://app.example.com", or
	// "*") whose browser code may call /graphql (CORS). None by default:
	// same-origin only.
	AllowedOrigins []string

	// TrustForwardedFor takes the client address for per-client rate limits
	// from the last X-Forwarded-For entry (set it behind a proxy that
	// appends one) instead of the connection's address.
	TrustForwardedFor bool

	Logger *slog.Logger
}

// Limits bound what one request may ask of the gateway. Each limit that is
// exceeded is refused with its own extensions.code before any subgraph is
// called.
type Limits struct {
	// MaxBodyBytes bounds the request body (PAYLOAD_TOO_LARGE). Default 1 MiB.
	MaxBodyBytes int64
	// MaxDepth bounds how deep selections nest, fragments inlined
	// (DEPTH_LIMIT_EXCEEDED). Default 15.
	MaxDepth int
	// MaxNodes bounds the selections of object fields, a node count in the
	// manner of GitHub's (COMPLEXITY_LIMIT_EXCEEDED). Default 500.
	MaxNodes int
	// MaxFields bounds the fields selected in all, leaves included
	// (COMPLEXITY_LIMIT_EXCEEDED). Default 2000.
	MaxFields int
	// MaxAliases bounds the aliased fields (TOO_MANY_ALIASES). Default 30.
	MaxAliases int
	// MaxObjects bounds the objects the whole federated operation could
	// return, whichever subgraphs serve them: each object field counts as
	// its list size times (1 + its object fields), leaves free; a field with
	// `first` is `first` long (the variable's value, the argument's default,
	// 20 without one), the lists of ListSizes as said there, a connection's
	// edges as long as the connection, any other list DefaultListSize long
	// (COMPLEXITY_LIMIT_EXCEEDED, before any subgraph is called). Default
	// 20,000, the subgraphs' own limit (gqlserver.DefaultLimits.MaxObjects).
	MaxObjects int
	// DefaultListSize is the length the cost model gives a list without
	// `first` and not in ListSizes: the schema's plain lists are short (a
	// pipeline's stages, a deal's contacts, a company's ancestors).
	// Default 5.
	DefaultListSize int
	// ListSizes gives lists, as "Type.field", the size an argument sets
	// (DefaultListSizes when nil: a pipeline view's deals per stage).
	ListSizes map[string]ListSize
	// Timeout bounds one request, subgraph calls included (TIMEOUT).
	// Default 30 s.
	Timeout time.Duration
}

// DefaultLimits suit the CRM: deep enough for deals > company > contacts >
// owner in connections, small enough to stop abuse.
var DefaultLimits = Limits{
	MaxBodyBytes:    1 << 20,
	MaxDepth:        15,
	MaxNodes:        500,
	MaxFields:       2000,
	MaxAliases:      30,
	MaxObjects:      gqlserver.DefaultLimits.MaxObjects,
	DefaultListSize: 5,
	Timeout:         30 * time.Second,
}

// RateLimit is the number of requests allowed per window, per tenant (the
// verified token's tid) and per client (the signed-in user, or the address
// of an anonymous caller), and per API key, a bucket apart from people's.
// Exceeding any answers TOO_MANY_REQUESTS (429).
type RateLimit struct {
	PerTenant int64
	PerClient int64
	// PerAPIKey is each API key's limit unless its tenant has its own
	// (platform.tenants.api_key_rate_limit, tenancy.DB.SetAPIKeyRateLimit).
	PerAPIKey int64
	Window    time.Duration
	// Disabled turns rate limiting off (tests, benchmarks).
	Disabled bool
}

// DefaultRateLimit allows a busy tenant 6000, one user or address 600 and
// one API key 600 requests a minute.
var DefaultRateLimit = RateLimit{PerTenant: 6000, PerClient: 600, PerAPIKey: 600, Window: time.Minute}

// DefaultSubgraphTimeout bounds a subgraph fetch when Config.SubgraphTimeout
// is not set.
const DefaultSubgraphTimeout = 10 * time.Second

// DefaultRequiredSubgraphs: without identity nobody signs in and no user is
// resolved; without any other subgraph the rest of the graph still serves.
var DefaultRequiredSubgraphs = []string{"identity"}

// DefaultPublicFields are the operations of docs/api.md that need no
// access token.
var DefaultPublicFields = []string{
	"Mutation.signUp",
	"Mutation.login",
	"Mutation.refreshToken",
	"Mutation.acceptInvitation",
	"Mutation.requestPasswordReset",
	"Mutation.resetPassword",
	"Mutation.verifyEmail",
	"Query.tenantBySubdomain",
}

// withDefaults returns c with every zero value replaced by its default, the
// router configuration loaded, and an error when c cannot work.
func (c Config) withDefaults() (Config, error) {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Limits = c.Limits.withDefaults()
	c.RateLimit.PerTenant = positiveOr(c.RateLimit.PerTenant, DefaultRateLimit.PerTenant)
	c.RateLimit.PerClient = positiveOr(c.RateLimit.PerClient, DefaultRateLimit.PerClient)
	c.RateLimit.PerAPIKey = positiveOr(c.RateLimit.PerAPIKey, DefaultRateLimit.PerAPIKey)
	c.RateLimit.Window = positiveOr(c.RateLimit.Window, DefaultRateLimit.Window)
	c.APQTTL = positiveOr(c.APQTTL, 24*time.Hour)
	c.SubgraphTimeout = positiveOr(c.SubgraphTimeout, DefaultSubgraphTimeout)
	if c.RequiredSubgraphs == nil {
		c.RequiredSubgraphs = DefaultRequiredSubgraphs
	}
	if c.PublicFields == nil {
		c.PublicFields = DefaultPublicFields
	}
	if len(c.RouterConfig) == 0 {
		if c.RouterConfigPath == "" {
			c.RouterConfig = embeddedRouterConfig
		} else {
			b, err := os.ReadFile(c.RouterConfigPath)
			if err != nil {
				return c, fmt.Errorf("gateway: router config: %w", err)
			}
			c.RouterConfig = b
		}
	}
	for name, u := range c.Subgraphs {
		if pu, err := url.Parse(u); err != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https") {
			return c, fmt.Errorf("gateway: subgraph %s: %q is not an http(s) URL", name, u)
		}
	}
	if c.Issuer == "" || c.Audience == "" {
		return c, errors.New("gateway: Issuer and Audience are required to verify tokens")
	}
	return c, nil
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.ListSizes == nil {
		l.ListSizes = DefaultListSizes
	}
	return Limits{
		MaxBodyBytes:    positiveOr(l.MaxBodyBytes, d.MaxBodyBytes),
		MaxDepth:        positiveOr(l.MaxDepth, d.MaxDepth),
		MaxNodes:        positiveOr(l.MaxNodes, d.MaxNodes),
		MaxFields:       positiveOr(l.MaxFields, d.MaxFields),
		MaxAliases:      positiveOr(l.MaxAliases, d.MaxAliases),
		MaxObjects:      positiveOr(l.MaxObjects, d.MaxObjects),
		DefaultListSize: positiveOr(l.DefaultListSize, d.DefaultListSize),
		ListSizes:       l.ListSizes,
		Timeout:         positiveOr(l.Timeout, d.Timeout),
	}
}

// positiveOr is v when it is set (positive), def otherwise.
func positiveOr[T int | int64 | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

// keySource returns the configured key source or a JWKS client for the
// configured (or the identity subgraph's) JWKS URL.
func (c Config) keySource(urls map[string]string) (auth.KeySource, error) {
	if c.Keys != nil {
		return c.Keys, nil
	}
	jwks := c.JWKSURL
	if jwks == "" {
		id, ok := urls["identity"]
		if !ok {
			return nil, errors.New("gateway: no Keys, no JWKSURL and no identity subgraph to read keys from")
		}
		jwks = strings.TrimSuffix(id, "/graphql") + auth.JWKSPath
	}
	return auth.NewRemoteKeys(jwks), nil
}
