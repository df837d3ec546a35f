package comms

import (
	"context"
	"encoding/json"

	"github.com/opencrm/opencrm/pkg/customfields"
	"github.com/opencrm/opencrm/subgraphs/comms/store"
)

// The thin layer between the sqlc rows and the domain types: one function
// per row type each way. Nothing outside this package sees a store type.

func activityOf(r store.Activity) Activity {
	return Activity{
		ID: r.ID, Type: ActivityType(r.Type), Subject: r.Subject, Description: r.Description,
		Status: ActivityStatus(r.Status), Direction: (*Direction)(r.Direction), DurationMinutes: intPtr(r.DurationMinutes),
		ScheduledAt: r.ScheduledAt, CompletedAt: r.CompletedAt, OccurredAt: r.OccurredAt,
		About: About{r.ContactID, r.CompanyID, r.DealID}, OwnerID: r.OwnerID, CustomFields: customfields.Decode(r.CustomFields),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, CreatedByID: r.CreatedBy,
	}
}

// saveActivityRow inserts or updates a and returns it as stored.
func saveActivityRow(ctx context.Context, q *store.Queries, a Activity) (Activity, error) {
	raw, err := customfields.Encode("input.customFields", a.CustomFields)
	if err != nil {
		return a, err
	}
	var dur *int32
	if a.DurationMinutes != nil {
		d := int32(*a.DurationMinutes)
		dur = &d
	}
	r, err := q.SaveActivity(ctx, store.SaveActivityParams{
		ID: a.ID, Type: string(a.Type), Subject: a.Subject, Description: a.Description, Status: string(a.Status),
		Direction: (*string)(a.Direction), DurationMinutes: dur, ScheduledAt: a.ScheduledAt, CompletedAt: a.CompletedAt,
		OccurredAt: a.OccurredAt, ContactID: a.ContactID, CompanyID: a.CompanyID, DealID: a.DealID, OwnerID: a.OwnerID,
		CustomFields: raw, CreatedBy: a.CreatedByID,
	})
	return activityOf(r), err
}

func taskOf(r store.Task) Task {
	return Task{
		ID: r.ID, Title: r.Title, Description: r.Description, Type: TaskType(r.Type), Status: TaskStatus(r.Status),
		Priority: TaskPriority(r.Priority), DueDate: r.DueDate, ReminderAt: r.ReminderAt, RemindedAt: r.RemindedAt,
		AssignedToID: r.AssignedTo, About: About{r.ContactID, r.CompanyID, r.DealID},
		CompletedAt: r.CompletedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, CreatedByID: r.CreatedBy,
	}
}

// saveTaskRow inserts or updates t and returns it as stored.
func saveTaskRow(ctx context.Context, q *store.Queries, t Task) (Task, error) {
	r, err := q.SaveTask(ctx, store.SaveTaskParams{
		ID: t.ID, Title: t.Title, Description: t.Description, Type: string(t.Type), Status: string(t.Status),
		Priority: string(t.Priority), DueDate: t.DueDate, ReminderAt: t.ReminderAt, RemindedAt: t.RemindedAt,
		ContactID: t.ContactID, CompanyID: t.CompanyID, DealID: t.DealID, AssignedTo: t.AssignedToID,
		CompletedAt: t.CompletedAt, CreatedBy: t.CreatedByID,
	})
	return taskOf(r), err
}

func templateOf(r store.EmailTemplate) EmailTemplate {
	vars := []EmailTemplateVariable{}
	_ = json.Unmarshal(r.Variables, &vars)
	return EmailTemplate{
		ID: r.ID, Name: r.Name, Subject: r.Subject, BodyHTML: r.BodyHtml, BodyText: r.BodyText, Category: r.Category,
		Variables: vars, IsActive: r.IsActive, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

// saveTemplateRow inserts or updates t and returns it as stored;
// createdBy is stored for a new template only.
func saveTemplateRow(ctx context.Context, q *store.Queries, t EmailTemplate, createdBy *string) (EmailTemplate, error) {
	vars := t.Variables
	if vars == nil {
		vars = []EmailTemplateVariable{}
	}
	raw, err := json.Marshal(vars)
	if err != nil {
		return t, err
	}
	r, err := q.SaveEmailTemplate(ctx, store.SaveEmailTemplateParams{
		ID: t.ID, Name: t.Name, Subject: t.Subject, BodyHtml: t.BodyHTML, BodyText: t.BodyText, Category: t.Category,
		Variables: raw, IsActive: t.IsActive, CreatedBy: createdBy,
	})
	return templateOf(r), err
}

func messageOf(r store.EmailMessage) EmailMessage {
	return EmailMessage{
		ID: r.ID, MessageID: r.MessageID, To: r.EmailAddress, Subject: r.Subject, TemplateID: r.TemplateID,
		ActivityID: r.ActivityID, About: About{ContactID: r.ContactID, DealID: r.DealID}, Status: EmailStatus(r.Status),
		Attempts: int(r.Attempts), SentAt: r.SentAt, DeliveredAt: r.DeliveredAt, OpenedAt: r.OpenedAt,
		ClickedAt: r.ClickedAt, BouncedAt: r.BouncedAt, CreatedAt: r.CreatedAt,
	}
}

func intPtr(v *int32) *int {
	if v == nil {
		return nil
	}
	i := int(*v)
	return &i
}
