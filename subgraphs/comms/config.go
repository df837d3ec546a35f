package comms

import (
	"crypto/rand"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config is the comms subgraph's configuration: where mail goes out, where
// tracking links point, the secrets that sign them and the webhook, and the
// pace of its background workers. LoadConfig reads it from the environment.
type Config struct {
	SMTPHost     string // SMTP_HOST, default 127.0.0.1
	SMTPPort     int    // SMTP_PORT, default 25
	SMTPUsername string // SMTP_USERNAME; empty: no authentication
	SMTPPassword string // SMTP_PASSWORD
	// SMTPTLS is "opportunistic" (STARTTLS when offered, the default),
	// "starttls" (required), "tls" (implicit TLS, port 465) or "none" (SMTP_TLS).
	SMTPTLS  string
	MailFrom string // MAIL_FROM, default "OpenCRM <no-reply@opencrm.localhost>"

	// PublicURL is where recipients reach the comms HTTP server: the base of
	// open pixels and click redirects (COMMS_PUBLIC_URL).
	PublicURL string
	// AppURL is the web application's base URL, for the links of platform
	// mail: accept an invitation, reset a password, verify an address (APP_URL).
	AppURL string
	// TrackingSecret signs tracking links (COMMS_TRACKING_SECRET); every
	// replica needs the same one.
	TrackingSecret []byte
	// WebhookSecret authenticates delivery reports: the HMAC-SHA256 of the
	// body, hex, in the X-Signature header as "sha256=<hex>" (COMMS_WEBHOOK_SECRET).
	WebhookSecret []byte

	PollInterval time.Duration // how often workers look for due work, default 2s
	MaxAttempts  int           // deliveries tried before a message fails, default 8
	RetryBase    time.Duration // first retry delay, doubling, default 30s
	RetryMax     time.Duration // longest retry delay, default 1h
	SendTimeout  time.Duration // one SMTP delivery, default 30s
}

func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.SMTPHost, "127.0.0.1")
	def(&c.SMTPTLS, "opportunistic")
	def(&c.MailFrom, "OpenCRM <no-reply@opencrm.localhost>")
	def(&c.PublicURL, "http://127.0.0.1:8084")
	def(&c.AppURL, "http://localhost:4000")
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	c.AppURL = strings.TrimRight(c.AppURL, "/")
	if c.SMTPPort == 0 {
		c.SMTPPort = 25
	}
	if len(c.TrackingSecret) == 0 {
		c.TrackingSecret = devSecret()
	}
	if len(c.WebhookSecret) == 0 {
		c.WebhookSecret = devSecret()
	}
	if c.PollInterval == 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 8
	}
	if c.RetryBase == 0 {
		c.RetryBase = 30 * time.Second
	}
	if c.RetryMax == 0 {
		c.RetryMax = time.Hour
	}
	if c.SendTimeout == 0 {
		c.SendTimeout = 30 * time.Second
	}
	return c
}

// devSecret is the per-process secret of development: links signed by one
// process are refused by another. Production sets the secrets.
var devSecret = sync.OnceValue(func() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
})

// LoadConfig reads Config from environment variables (getenv is os.Getenv
// in production). With ENVIRONMENT=production the secrets are required.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		SMTPHost: getenv("SMTP_HOST"), SMTPUsername: getenv("SMTP_USERNAME"), SMTPPassword: getenv("SMTP_PASSWORD"),
		SMTPTLS: strings.ToLower(getenv("SMTP_TLS")), MailFrom: getenv("MAIL_FROM"),
		PublicURL: getenv("COMMS_PUBLIC_URL"), AppURL: getenv("APP_URL"),
		TrackingSecret: []byte(getenv("COMMS_TRACKING_SECRET")), WebhookSecret: []byte(getenv("COMMS_WEBHOOK_SECRET")),
	}
	if p := getenv("SMTP_PORT"); p != "" {
		port, err := strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return c, fmt.Errorf("comms: SMTP_PORT %q is not a port", p)
		}
		c.SMTPPort = port
	}
	switch c.SMTPTLS {
	case "", "opportunistic", "starttls", "tls", "none":
	default:
		return c, fmt.Errorf("comms: SMTP_TLS %q: want opportunistic, starttls, tls or none", c.SMTPTLS)
	}
	for _, v := range []struct{ key, val string }{{"COMMS_PUBLIC_URL", c.PublicURL}, {"APP_URL", c.AppURL}} {
		if v.val == "" {
			continue
		}
		if u, err := url.Parse(v.val); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("comms: %s must be an http:// or https:// URL with a host, not %q", v.key, v.val)
		}
	}
	if c.MailFrom != "" {
		if _, err := mail.ParseAddress(c.MailFrom); err != nil {
			return c, fmt.Errorf("comms: MAIL_FROM %q is not an address such as \"OpenCRM <no-reply@example.com>\"", c.MailFrom)
		}
	}
	if getenv("ENVIRONMENT") == "production" && (len(c.TrackingSecret) < 32 || len(c.WebhookSecret) < 32) {
		return c, fmt.Errorf("comms: COMMS_TRACKING_SECRET and COMMS_WEBHOOK_SECRET (32 bytes or more) are required in production")
	}
	return c.withDefaults(), nil
}

// EnvConfig is LoadConfig(os.Getenv), read once per process.
var EnvConfig = sync.OnceValues(func() (Config, error) { return LoadConfig(os.Getenv) })
