package webhooks

import (
	"crypto/sha256"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/opencrm/opencrm/pkg/egress"
)

// DefaultSchedule is the wait before each retry of a failed delivery: over
// about a day and a half, then the delivery fails (jitter is added).
var DefaultSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 14 * time.Hour,
}

// Config is the webhooks subgraph's configuration. LoadConfig reads it from
// the environment; tests set it directly (a short Schedule and
// DisableAfter, loopback allowed).
type Config struct {
	// SecretKey seals the endpoints' signing secrets in the database
	// (AES-256-GCM with its SHA-256): WEBHOOK_SECRET_KEY, every replica the
	// same. Development derives a fixed one; production requires it.
	SecretKey []byte
	// Development allows http:// endpoint URLs (ENVIRONMENT=development).
	Development bool
	// AllowedHTTPHosts may be reached over http:// even in production
	// (WEBHOOK_ALLOWED_HTTP_HOSTS, comma-separated host names).
	AllowedHTTPHosts []string
	// Egress guards the addresses deliveries reach. Loopback is allowed only
	// with WEBHOOK_ALLOW_LOOPBACK=true, never in production.
	Egress egress.Guard

	Timeout      time.Duration   // one attempt, default 10s
	Schedule     []time.Duration // retry waits, default DefaultSchedule
	DisableAfter time.Duration   // an endpoint failing this long is disabled, default 3 days
	PollInterval time.Duration   // how often the sender looks for due work, default 1s
	// Concurrency bounds the attempts in flight in a process (default 32),
	// PerEndpoint those to one endpoint (default 4): a slow endpoint holds
	// at most PerEndpoint of them, so it never delays the others.
	Concurrency, PerEndpoint int
}

func (c Config) withDefaults() Config {
	if len(c.SecretKey) == 0 {
		c.SecretKey = []byte(devSecretKey)
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Schedule == nil {
		c.Schedule = DefaultSchedule
	}
	if c.DisableAfter == 0 {
		c.DisableAfter = 72 * time.Hour
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.Concurrency == 0 {
		c.Concurrency = 32
	}
	if c.PerEndpoint == 0 {
		c.PerEndpoint = 4
	}
	return c
}

// devSecretKey seals secrets in development: the same in every process, so
// replicas read each other's endpoints. Production sets WEBHOOK_SECRET_KEY.
const devSecretKey = "opencrm-development-webhook-secret-key-not-for-production"

// aeadKey is the AES-256 key derived from SecretKey.
func (c Config) aeadKey() []byte {
	k := sha256.Sum256(c.SecretKey)
	return k[:]
}

// LoadConfig reads Config from environment variables (getenv is os.Getenv
// in production).
func LoadConfig(getenv func(string) string) (Config, error) {
	prod := getenv("ENVIRONMENT") == "production"
	c := Config{SecretKey: []byte(getenv("WEBHOOK_SECRET_KEY")), Development: !prod}
	for _, h := range strings.Split(getenv("WEBHOOK_ALLOWED_HTTP_HOSTS"), ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			c.AllowedHTTPHosts = append(c.AllowedHTTPHosts, h)
		}
	}
	c.Egress.AllowLoopback = getenv("WEBHOOK_ALLOW_LOOPBACK") == "true"
	if prod {
		if len(c.SecretKey) < 32 {
			return c, fmt.Errorf("webhooks: WEBHOOK_SECRET_KEY (32 bytes or more) is required in production")
		}
		if c.Egress.AllowLoopback {
			return c, fmt.Errorf("webhooks: WEBHOOK_ALLOW_LOOPBACK is not allowed in production")
		}
	}
	return c.withDefaults(), nil
}

// EnvConfig is LoadConfig(os.Getenv), read once per process.
var EnvConfig = sync.OnceValues(func() (Config, error) { return LoadConfig(os.Getenv) })
