package deal

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/subgraphs/deal/store"
)

// Consumer returns the deal subgraph's event consumer (durable
// "deal_references"): when the contact subgraph deletes a company, deals
// forget it; when it deletes a contact, deals lose it as primary contact and
// deal contact, or move to the contact it was merged into. So a deal never
// shows a company or contact that no longer exists. Each event applies once.
func (s *Service) Consumer(js jetstream.JetStream, stream events.Stream) (*events.Consumer, error) {
	return events.NewConsumer(s.DB, js, events.ConsumerConfig{
		Stream: stream, Subgraph: "deal", Purpose: "references",
		Subjects: []string{"company.deleted", "contact.deleted"},
	}, s.ApplyReference)
}

// ApplyReference applies a company.deleted or contact.deleted event in tx, a
// transaction of the event's tenant; other events are ignored.
func (s *Service) ApplyReference(ctx context.Context, tx pgx.Tx, e events.Event) error {
	q := store.New(tx)
	switch e.Type {
	case events.CompanyDeleted:
		c, err := events.Decode[events.CompanyPayload](e)
		if err != nil || c.CompanyID == "" {
			return err
		}
		_, err = q.ForgetCompany(ctx, &c.CompanyID)
		return err
	case events.ContactDeleted:
		c, err := events.Decode[events.ContactPayload](e)
		if err != nil || c.ContactID == "" {
			return err
		}
		var replacement *string
		if c.MergedInto != "" {
			replacement = &c.MergedInto
			if err := q.ReplaceDealContact(ctx, store.ReplaceDealContactParams{Replacement: c.MergedInto, ContactID: c.ContactID}); err != nil {
				return err
			}
		}
		if _, err := q.ReplacePrimaryContact(ctx, store.ReplacePrimaryContactParams{Replacement: replacement, ContactID: &c.ContactID}); err != nil {
			return err
		}
		_, err = q.ForgetDealContact(ctx, c.ContactID)
		return err
	}
	return nil
}
