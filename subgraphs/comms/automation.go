package comms

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/opencrm/opencrm/pkg/customfields"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// FollowUpDelay is when the follow-up task of a won deal is due.
const FollowUpDelay = 3 * 24 * time.Hour

// Consumer returns the comms event consumer (durable "comms_automation"):
// it logs the timeline entries of other domains' events (a contact created,
// a deal's stage changed, a deal won, with its follow-up task) and keeps
// what comms knows of contacts, deals (renamed, given to another owner or
// deleted too) and users. The consumer helper records
// each event id in the transaction that applies it, so a redelivered event
// changes nothing.
func (s *Service) Consumer(js jetstream.JetStream, stream events.Stream) (*events.Consumer, error) {
	return events.NewConsumer(s.DB, js, events.ConsumerConfig{
		Stream: stream, Subgraph: "comms", Purpose: "automation",
		Subjects: []string{"contact.>", "deal.>", "user.>"}, Logger: s.Log,
	}, s.Apply)
}

// Apply applies one event in tx, a transaction of the event's tenant.
func (s *Service) Apply(ctx context.Context, tx pgx.Tx, e events.Event) error {
	q := store.New(tx)
	switch e.Type {
	case events.ContactCreated, events.ContactUpdated, events.ContactDeleted:
		c, err := events.Decode[events.ContactPayload](e)
		if err != nil {
			return err
		}
		return s.applyContact(ctx, q, tx, e, c)
	case events.DealCreated, events.DealUpdated, events.DealDeleted, events.DealStageChanged, events.DealClosedWon, events.DealClosedLost:
		d, err := events.Decode[events.DealPayload](e)
		if err != nil {
			return err
		}
		return s.applyDeal(ctx, q, tx, e, d)
	case events.UserCreated, events.UserLogin:
		u, err := events.Decode[events.UserPayload](e)
		if err != nil || u.UserID == "" {
			return err
		}
		return q.UpsertKnownRecord(ctx, store.UpsertKnownRecordParams{ID: u.UserID, Kind: "user",
			Email: opt(u.Email), FirstName: opt(u.FirstName), LastName: opt(u.LastName)})
	}
	return nil
}

func (s *Service) applyContact(ctx context.Context, q *store.Queries, tx pgx.Tx, e events.Event, c events.ContactPayload) error {
	if c.ContactID == "" {
		return nil
	}
	deleted := e.Type == events.ContactDeleted
	err := q.UpsertKnownRecord(ctx, store.UpsertKnownRecordParams{ID: c.ContactID, Kind: "contact", Email: opt(c.Email),
		FirstName: opt(c.FirstName), LastName: opt(c.LastName), OwnerID: opt(c.OwnerID), Deleted: deleted})
	if err != nil {
		return err
	}
	switch {
	case deleted && c.MergedInto != "":
		p := store.MoveContactActivitiesParams{FromID: &c.ContactID, ToID: &c.MergedInto}
		if err := q.MoveContactActivities(ctx, p); err != nil {
			return err
		}
		return q.MoveContactTasks(ctx, store.MoveContactTasksParams(p))
	case e.Type == events.ContactCreated:
		name := strings.TrimSpace(c.FirstName + " " + c.LastName)
		return s.logFromEvent(ctx, q, tx, e, "Contact created: "+name, "",
			Activity{About: About{ContactID: &c.ContactID, CompanyID: opt(c.CompanyID)}, OwnerID: opt(c.OwnerID)})
	}
	return nil
}

func (s *Service) applyDeal(ctx context.Context, q *store.Queries, tx pgx.Tx, e events.Event, d events.DealPayload) error {
	if d.DealID == "" {
		return nil
	}
	// Every deal event keeps what comms knows of the deal (deal.updated and
	// deal.deleted only that: they log nothing on the timeline).
	err := q.UpsertKnownRecord(ctx, store.UpsertKnownRecordParams{ID: d.DealID, Kind: "deal", Title: opt(d.Title),
		OwnerID: opt(d.OwnerID), Deleted: e.Type == events.DealDeleted})
	if err != nil {
		return err
	}
	about := About{DealID: &d.DealID, ContactID: opt(d.ContactID), CompanyID: opt(d.CompanyID)}
	on := Activity{About: about, OwnerID: opt(d.OwnerID)}
	switch e.Type {
	case events.DealStageChanged:
		subject := "Deal stage changed to " + orElse(d.Stage, "a new stage")
		if d.PreviousStage != "" {
			subject = fmt.Sprintf("Deal stage changed from %s to %s", d.PreviousStage, orElse(d.Stage, "a new stage"))
		}
		return s.logFromEvent(ctx, q, tx, e, subject, d.Title, on)
	case events.DealClosedWon:
		if err := s.logFromEvent(ctx, q, tx, e, "Deal closed won", dealSummary(d), on); err != nil {
			return err
		}
		owner := opt(d.OwnerID)
		if owner == nil {
			owner = opt(e.Actor)
		}
		due := e.Timestamp.Add(FollowUpDelay)
		_, err := insertTask(ctx, q, tx, e.TenantID, "", Task{
			ID: tenancy.NewID(), Title: "Follow up on won deal: " + orElse(d.Title, d.DealID), Type: TaskFollowUp,
			Status: TaskPending, Priority: PriorityNormal, DueDate: &due, About: about,
			AssignedToID: owner, Description: ptr("Created when the deal was won."),
		})
		return err
	}
	return nil
}

// logFromEvent logs a completed note on the timeline at the event's time.
func (s *Service) logFromEvent(ctx context.Context, q *store.Queries, tx pgx.Tx, e events.Event, subject, description string, a Activity) error {
	at := e.Timestamp
	if at.IsZero() {
		at = s.clock()
	}
	a.ID, a.Type, a.Subject, a.Status = tenancy.NewID(), ActivityNote, truncate(subject, 255), ActivityCompleted
	a.CompletedAt, a.OccurredAt, a.CustomFields = &at, at, customfields.Fields{"source": string(e.Type)}
	a.Description = opt(description)
	_, err := insertActivity(ctx, q, tx, e.TenantID, "", a)
	return err
}

func dealSummary(d events.DealPayload) string {
	parts := []string{d.Title}
	if d.Value != nil {
		parts = append(parts, strings.TrimSpace(fmt.Sprintf("%.2f %s", *d.Value, d.Currency)))
	}
	return strings.Join(parts, ": ")
}

// opt is nil for "", else a pointer to s.
func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func orElse(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
