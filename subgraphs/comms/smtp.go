package comms

import (
	"context"
	"crypto/tls"

	gomail "github.com/wneessen/go-mail"
)

// Outgoing is a message as the SMTP server gets it.
type Outgoing struct {
	MessageID, To, Subject, HTML, Text string
}

// Deliverer hands a message to a mail server.
type Deliverer interface {
	Deliver(ctx context.Context, m Outgoing) error
}

// SMTP delivers through the SMTP server of a Config, with go-mail.
type SMTP struct{ Config Config }

// Deliver implements Deliverer: one connection per message keeps a failed
// message from holding up the others.
func (d SMTP) Deliver(ctx context.Context, m Outgoing) error {
	c := d.Config
	opts := []gomail.Option{gomail.WithPort(c.SMTPPort), gomail.WithTimeout(c.SendTimeout)}
	switch c.SMTPTLS {
	case "none":
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.NoTLS))
	case "starttls":
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSMandatory))
	case "tls":
		opts = append(opts, gomail.WithSSL())
	default:
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.TLSOpportunistic))
	}
	opts = append(opts, gomail.WithTLSConfig(&tls.Config{ServerName: c.SMTPHost, MinVersion: tls.VersionTLS12}))
	if c.SMTPUsername != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(c.SMTPUsername), gomail.WithPassword(c.SMTPPassword))
	}
	client, err := gomail.NewClient(c.SMTPHost, opts...)
	if err != nil {
		return err
	}
	msg := gomail.NewMsg()
	if err := msg.From(c.MailFrom); err != nil {
		return err
	}
	if err := msg.To(m.To); err != nil {
		return err
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(trimAngles(m.MessageID))
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return client.DialAndSendWithContext(ctx, msg)
}

func trimAngles(s string) string {
	if len(s) > 1 && s[0] == '<' && s[len(s)-1] == '>' {
		return s[1 : len(s)-1]
	}
	return s
}
