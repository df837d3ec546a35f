package comms

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/refs"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// Message kinds: CRM mail sent with sendEmail, and the platform's own.
const (
	KindCRM          = "crm"
	KindTaskReminder = "task_reminder"
)

// SendEmailInput is what sendEmail sends (the schema's SendEmailInput): a
// template, for a contact (and deal), with values for its variables (a JSON
// object). To, when set, is the recipient; otherwise the contact's address
// as comms last heard it from the contact events.
type SendEmailInput struct {
	TemplateID, ContactID string
	DealID, To            *string
	Variables             map[string]any
}

// SendEmail renders a template for a contact, logs an EMAIL activity, and
// queues the message with its tracking row, all in one transaction: once it
// returns, the message is sent even if the process stops (see Sender).
func (s *Service) SendEmail(ctx context.Context, in SendEmailInput) (EmailMessage, error) {
	caller, err := auth.Require(ctx, auth.CreateCRM)
	if err != nil {
		return EmailMessage{}, err
	}
	for _, id := range []*string{&in.TemplateID, &in.ContactID, in.DealID} {
		if id != nil && ValidID("", *id) != nil {
			return EmailMessage{}, apperr.E(apperr.NotFound, "no record has the id %q", *id)
		}
	}
	// The recipient is a contact of the organisation, and the deal a deal
	// of it, whether or not comms has heard of them yet (their owners say).
	if err := s.checkRefs(ctx, caller, refs.Ref{Field: "input.contactId", Type: refs.Contact, ID: in.ContactID},
		refs.To("input.dealId", refs.Deal, in.DealID)); err != nil {
		return EmailMessage{}, err
	}
	var m store.EmailMessage
	var r prepared
	var a Activity
	err = s.q.As(ctx, auth.CreateCRM, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) (err error) {
		r, err = s.prepare(ctx, q, in)
		if err != nil {
			return err
		}
		a, err = insertActivity(ctx, q, tx, caller.TenantID, caller.UserID, Activity{
			ID: tenancy.NewID(), Type: ActivityEmail, Subject: truncate(r.Subject, 255),
			Description: ptr(truncate(r.BodyText, 2000)), Status: ActivityCompleted, Direction: ptr(Outbound),
			CompletedAt: ptr(s.clock()), OccurredAt: s.clock(), About: About{ContactID: &in.ContactID, DealID: in.DealID},
			OwnerID: &caller.UserID,
		})
		if err != nil {
			return err
		}
		m, err = s.enqueue(ctx, q, caller.TenantID, outgoing{
			kind: KindCRM, to: r.to, rendered: r.RenderedEmail, activityID: &a.ID, templateID: &in.TemplateID,
			contactID: &in.ContactID, dealID: in.DealID, createdBy: &caller.UserID, track: true,
		})
		return err
	})
	msg := messageOf(m)
	msg.template, msg.activity = &r.template, &a
	return msg, err
}

// prepared is a rendered message, its recipient and its template.
type prepared struct {
	RenderedEmail
	to       string
	template EmailTemplate
}

// prepare finds the template, contact and deal, and renders the message;
// the contact's names and address and the deal's title are variables the
// caller's values may override.
func (s *Service) prepare(ctx context.Context, q *store.Queries, in SendEmailInput) (prepared, error) {
	row, err := q.GetEmailTemplate(ctx, in.TemplateID)
	if err != nil {
		return prepared{}, notFound(err, "e-mail template")
	}
	t := templateOf(row)
	if !t.IsActive {
		return prepared{}, apperr.Field("input.templateId", "the template %q is not active", t.Name)
	}
	vals := map[string]string{}
	// What comms heard of the contact and deal (their names, the address)
	// fills variables. With References, SendEmail checked that they exist
	// with their owners, so a record comms has not heard of yet only lacks
	// those values; without, comms' copy is all there is to go by.
	unheard := func(err error, field, what string) error {
		if !isNoRows(err) {
			return err
		}
		if s.References == nil {
			return &apperr.Error{Code: apperr.NotFound, Field: field, Message: what + " not found"}
		}
		return nil
	}
	contact, err := known(ctx, q, in.ContactID, "contact")
	switch {
	case err != nil && in.To == nil:
		if err := unheard(err, "input.contactId", "contact"); err != nil {
			return prepared{}, err
		}
	case err != nil && !isNoRows(err):
		return prepared{}, err
	case err == nil:
		first, last := deref(contact.FirstName), deref(contact.LastName)
		vals["first_name"], vals["last_name"] = first, last
		vals["full_name"], vals["email"] = strings.TrimSpace(first+" "+last), deref(contact.Email)
	}
	if in.DealID != nil {
		deal, err := known(ctx, q, *in.DealID, "deal")
		switch {
		case err != nil:
			if err := unheard(err, "input.dealId", "deal"); err != nil {
				return prepared{}, err
			}
		default:
			vals["deal_title"] = deref(deal.Title)
		}
	}
	to := vals["email"]
	if in.To != nil {
		to = *in.To
	}
	if to == "" {
		return prepared{}, apperr.Field("input.contactId", "no e-mail address of the contact is known: give one in input.to")
	}
	if to, err = validate.Email("input.to", to); err != nil {
		return prepared{}, err
	}
	for k, v := range Values(in.Variables) {
		vals[k] = v
	}
	c, err := compiled(t)
	if err != nil {
		return prepared{}, err
	}
	r, err := c.render(vals)
	return prepared{RenderedEmail: r, to: to, template: t}, err
}

// known returns what comms knows of another domain's record; a deleted
// record is no row.
func known(ctx context.Context, q *store.Queries, id, kind string) (store.KnownRecord, error) {
	r, err := q.GetKnownRecord(ctx, store.GetKnownRecordParams{ID: id, Kind: kind})
	if err == nil && r.Deleted {
		err = pgx.ErrNoRows
	}
	return r, err
}

// outgoing is a message to queue.
type outgoing struct {
	kind, to                                             string
	rendered                                             RenderedEmail
	activityID, templateID, contactID, dealID, createdBy *string
	track                                                bool // add the open pixel and click redirects
}

// enqueue stores a message as due for delivery, in the caller's transaction.
func (s *Service) enqueue(ctx context.Context, q *store.Queries, tenantID string, o outgoing) (store.EmailMessage, error) {
	id := tenancy.NewID()
	html := o.rendered.BodyHTML
	if o.track {
		html = s.tracked(tenantID, id, html)
	}
	return q.InsertEmailMessage(ctx, store.InsertEmailMessageParams{
		ID: id, MessageID: s.messageID(tenantID, id), Kind: o.kind, ActivityID: o.activityID, TemplateID: o.templateID,
		ContactID: o.contactID, DealID: o.dealID, EmailAddress: o.to, Subject: o.rendered.Subject,
		BodyHtml: html, BodyText: o.rendered.BodyText, CreatedBy: o.createdBy,
	})
}

// messageID is the RFC 5322 Message-ID of a message: it names the message
// and its tenant, so delivery reports find their way back.
func (s *Service) messageID(tenantID, id string) string {
	domain := "opencrm.localhost"
	if a, err := mail.ParseAddress(s.Config.MailFrom); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok {
			domain = d
		}
	}
	return fmt.Sprintf("<%s.%s@%s>", id, tenantID, domain)
}

// parseMessageID returns the tenant and message of a Message-ID made by messageID.
func parseMessageID(mid string) (tenantID, id string, ok bool) {
	local, _, ok := strings.Cut(strings.Trim(strings.TrimSpace(mid), "<>"), "@")
	if !ok {
		return "", "", false
	}
	id, tenantID, ok = strings.Cut(local, ".")
	return tenantID, id, ok && ValidID("", id) == nil && ValidID("", tenantID) == nil
}

// EmailMessage returns a message of the caller's organisation.
func (s *Service) EmailMessage(ctx context.Context, id string) (EmailMessage, error) {
	return get(ctx, s, "e-mail message", (*store.Queries).GetEmailMessage, messageOf, id)
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
