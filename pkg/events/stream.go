package events

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of Stream.
const (
	DefaultStreamName = "CRM"
	DefaultPrefix     = "crm"
	DefaultMaxAge     = 7 * 24 * time.Hour
	// DefaultDuplicates is the window in which JetStream drops a message
	// whose id it has seen: a relay that published but failed to mark the
	// rows sent republishes them within seconds.
	DefaultDuplicates = 10 * time.Minute
)

// canonicalPrefix is the first token of the subjects stored in the outbox
// (Event.Subject); a Stream with another Prefix publishes under its own.
const canonicalPrefix = "crm"

// Stream names the JetStream stream events go to. The zero value is the
// product's stream, CRM with subjects crm.>; tests use a Name and Prefix of
// their own so their streams never overlap.
type Stream struct {
	Name       string        // default "CRM"
	Prefix     string        // first subject token, default "crm"
	MaxAge     time.Duration // how long the stream keeps a message, default 7 days
	Duplicates time.Duration // dedup window of message ids, default 10 minutes
}

func (s Stream) withDefaults() Stream {
	if s.Name == "" {
		s.Name = DefaultStreamName
	}
	if s.Prefix == "" {
		s.Prefix = DefaultPrefix
	}
	if s.MaxAge == 0 {
		s.MaxAge = DefaultMaxAge
	}
	if s.Duplicates == 0 {
		s.Duplicates = DefaultDuplicates
	}
	return s
}

// subject maps an outbox subject (crm.deal.created) to the stream's.
func (s Stream) subject(canonical string) string {
	return s.Prefix + strings.TrimPrefix(canonical, canonicalPrefix)
}

// canonical maps a stream subject back to the outbox form.
func (s Stream) canonical(subject string) string {
	return canonicalPrefix + strings.TrimPrefix(subject, s.Prefix)
}

// Ensure creates the stream or updates its configuration; every process
// that relays or consumes events calls it at start-up.
func (s Stream) Ensure(ctx context.Context, js jetstream.JetStream) error {
	s = s.withDefaults()
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       s.Name,
		Subjects:   []string{s.Prefix + ".>"},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		MaxAge:     s.MaxAge,
		Duplicates: s.Duplicates,
	})
	if err != nil {
		return fmt.Errorf("events: ensure stream %s: %w", s.Name, err)
	}
	return nil
}

// Connect opens a NATS connection that never gives up: it starts even when
// the server is down and reconnects forever, so events wait in the outbox
// instead of a process failing. name shows in the server's connection list.
func Connect(url, name string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(url,
		nats.Name(name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond),
	)
	if err != nil {
		return nil, nil, fmt.Errorf("events: connect to NATS at %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("events: JetStream: %w", err)
	}
	return nc, js, nil
}

// ErrNotConnected is returned while the NATS connection is down.
var ErrNotConnected = errors.New("events: not connected to NATS")

// Ping checks that JetStream answers, for /health (a failure there means
// degraded: events wait in the outbox).
func Ping(ctx context.Context, js jetstream.JetStream) error {
	if !js.Conn().IsConnected() {
		return ErrNotConnected
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("events: JetStream: %w", err)
	}
	return nil
}

func splitTokens(subject string) []string { return strings.Split(subject, ".") }
