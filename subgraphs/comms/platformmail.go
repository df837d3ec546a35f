package comms

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/mail"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// PlatformMail is the platform's mail.Sender: invitations, password resets
// and address verifications go into the tenant's outgoing queue, and the
// Sender delivers them like any other message (retried, once). Their bodies
// carry tokens, so they are not tracked and are blanked once delivered.
type PlatformMail struct{ s *Service }

// PlatformMail returns the platform's mail.Sender.
func (s *Service) PlatformMail() PlatformMail { return PlatformMail{s: s} }

var _ mail.Sender = PlatformMail{}

// Send implements mail.Sender: it queues the message and returns.
func (p PlatformMail) Send(ctx context.Context, m mail.Message) error {
	to, err := validate.Email("to", m.To)
	if err != nil {
		return err
	}
	r, err := p.s.platformMessage(m)
	if err != nil {
		return err
	}
	return p.s.q.In(ctx, m.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		_, err := p.s.enqueue(ctx, q, m.TenantID, outgoing{kind: string(m.Kind), to: to, rendered: r})
		return err
	})
}

// platformMessage writes a platform message; its link carries the token.
func (s *Service) platformMessage(m mail.Message) (RenderedEmail, error) {
	d := func(k string) string { return m.Data[k] }
	org := d("organization")
	if org == "" {
		org = "OpenCRM"
	}
	link := func(path string) string { return s.Config.AppURL + path + "?token=" + url.QueryEscape(d("token")) }
	var subject, intro, action, href string
	switch m.Kind {
	case mail.Invitation:
		subject = "You are invited to " + org + " on OpenCRM"
		intro = fmt.Sprintf("%s invited you to join %s as %s.", orElse(d("invited_by"), "A colleague"), org, orElse(d("role"), "a member"))
		action, href = "Accept the invitation", link("/accept-invitation")
	case mail.PasswordReset:
		subject = "Reset your " + org + " password"
		intro = "Someone (we hope you) asked to reset your password. The link works once, for an hour."
		action, href = "Choose a new password", link("/reset-password")
	case mail.EmailVerification:
		subject = "Confirm your e-mail address for " + org
		intro = "Please confirm that this address is yours."
		action, href = "Confirm the address", link("/verify-email")
	default:
		return RenderedEmail{}, fmt.Errorf("comms: unknown platform mail kind %q", m.Kind)
	}
	if d("token") == "" {
		return RenderedEmail{}, fmt.Errorf("comms: %s mail without a token", m.Kind)
	}
	greeting := strings.TrimSpace("Hello " + d("first_name"))
	text := fmt.Sprintf("%s,\n\n%s\n\n%s: %s\n\nYour token: %s\n", greeting, intro, action, href, d("token"))
	body := fmt.Sprintf(`<p>%s,</p><p>%s</p><p><a href="%s">%s</a></p><p>Your token: <code>%s</code></p>`,
		html.EscapeString(greeting), html.EscapeString(intro), html.EscapeString(href), html.EscapeString(action),
		html.EscapeString(d("token")))
	return RenderedEmail{Subject: subject, BodyHTML: body, BodyText: text}, nil
}
