// Package mail is how the platform sends e-mail it must send (invitations,
// password resets, address verification). The comms subgraph implements
// Sender with real delivery; until then the development sender logs.
package mail

import (
	"context"
	"log/slog"
)

// Kind names a platform message.
type Kind string

// The platform messages.
const (
	Invitation        Kind = "invitation"
	PasswordReset     Kind = "password_reset"
	EmailVerification Kind = "email_verification"
)

// Message is a platform e-mail: its kind, recipient and the values its
// template needs (the token, the organisation's name, ...).
type Message struct {
	Kind     Kind
	TenantID string
	To       string
	Data     map[string]string
}

// Sender delivers platform messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// LogSender is the development Sender: it logs each message, token included,
// so a developer can follow the links by hand. Never use it in production.
type LogSender struct{ Log *slog.Logger }

// Send implements Sender.
func (s LogSender) Send(ctx context.Context, m Message) error {
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "mail (development sender: not delivered)", "kind", m.Kind, "to", m.To, "data", m.Data)
	return nil
}
