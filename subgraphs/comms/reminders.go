package comms

import (
	"context"
	"fmt"
	"html"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// RunReminders fires due task reminders until ctx is cancelled.
func (s *Service) RunReminders(ctx context.Context) error {
	return s.every(ctx, queueReminders, nil, s.FireReminders)
}

// FireReminders fires a tenant's due reminders: each is claimed by one
// scheduler (FOR UPDATE SKIP LOCKED) and marked fired in the transaction
// that emits task.reminder_due and queues the e-mail to the assignee (when
// comms knows the assignee's address), so it fires once.
func (s *Service) FireReminders(ctx context.Context, tenantID string) error {
	for ctx.Err() == nil {
		n := 0
		err := s.q.In(ctx, tenantID, func(q *store.Queries, tx pgx.Tx) error {
			due, err := q.ClaimDueReminders(ctx, batchSize)
			if err != nil {
				return err
			}
			n = len(due)
			for _, t := range due {
				if err := s.remind(ctx, q, tx, tenantID, taskOf(t)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || n < batchSize {
			return err
		}
	}
	return nil
}

func (s *Service) remind(ctx context.Context, q *store.Queries, tx pgx.Tx, tenantID string, t Task) error {
	if err := events.Emit(ctx, tx, events.TaskReminderDue, tenantID, "", taskPayload(t)); err != nil {
		return err
	}
	if t.AssignedToID == nil {
		return nil
	}
	u, err := known(ctx, q, *t.AssignedToID, "user")
	if isNoRows(err) || (err == nil && deref(u.Email) == "") {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = s.enqueue(ctx, q, tenantID, outgoing{
		kind: KindTaskReminder, to: *u.Email, rendered: reminderMail(t, deref(u.FirstName)),
		contactID: t.ContactID, dealID: t.DealID,
	})
	return err
}

func reminderMail(t Task, firstName string) RenderedEmail {
	due := "soon"
	if t.DueDate != nil {
		due = "on " + t.DueDate.UTC().Format("Mon 2 Jan 2006 15:04 MST")
	}
	greeting := strings.TrimSpace("Hello " + firstName)
	text := fmt.Sprintf("%s,\n\nA reminder: your task %q is due %s.\n", greeting, t.Title, due)
	if t.Description != nil && *t.Description != "" {
		text += "\n" + *t.Description + "\n"
	}
	return RenderedEmail{
		Subject:  "Reminder: " + strings.NewReplacer("\r", " ", "\n", " ").Replace(t.Title),
		BodyText: text,
		BodyHTML: "<p>" + strings.ReplaceAll(html.EscapeString(text), "\n", "<br>") + "</p>",
	}
}
