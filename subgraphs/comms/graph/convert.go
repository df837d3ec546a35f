package graph

import (
	"context"
	"strings"

	"github.com/opencrm/opencrm/pkg/apperr"

	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/subgraphs/comms"
	"github.com/opencrm/opencrm/subgraphs/comms/graph/model"
)

func upper[T ~string](s string) T { return T(strings.ToUpper(s)) }

func lower[T ~string](v *T) *string {
	if v == nil {
		return nil
	}
	s := strings.ToLower(string(*v))
	return &s
}

func optUpper[T ~string](s *string) *T {
	if s == nil {
		return nil
	}
	v := upper[T](*s)
	return &v
}

func user(id *string) *model.User {
	if id == nil {
		return nil
	}
	return &model.User{ID: *id}
}

func contact(id *string) *model.Contact {
	if id == nil {
		return nil
	}
	return &model.Contact{ID: *id}
}

func company(id *string) *model.Company {
	if id == nil {
		return nil
	}
	return &model.Company{ID: *id}
}

func deal(id *string) *model.Deal {
	if id == nil {
		return nil
	}
	return &model.Deal{ID: *id}
}

func toActivity(a *comms.Activity) *model.Activity {
	if a == nil {
		return nil
	}
	var dur *int
	if a.DurationMinutes != nil {
		d := int(*a.DurationMinutes)
		dur = &d
	}
	return &model.Activity{
		ID: a.ID, Type: upper[model.ActivityType](a.Type), Subject: a.Subject, Description: a.Description,
		Status: upper[model.ActivityStatus](a.Status), Direction: optUpper[model.Direction](a.Direction),
		DurationMinutes: dur, ScheduledAt: a.ScheduledAt, CompletedAt: a.CompletedAt, OccurredAt: a.OccurredAt,
		Contact: contact(a.ContactID), Company: company(a.CompanyID), Deal: deal(a.DealID), Owner: user(a.OwnerID),
		CustomFields: comms.CustomFields(a.CustomFields), CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
		CreatedBy: user(a.CreatedBy),
	}
}

func toTask(t *comms.Task) *model.Task {
	if t == nil {
		return nil
	}
	return &model.Task{
		ID: t.ID, Title: t.Title, Description: t.Description, Type: upper[model.TaskType](t.Type),
		Status: upper[model.TaskStatus](t.Status), Priority: upper[model.TaskPriority](t.Priority),
		DueDate: t.DueDate, ReminderAt: t.ReminderAt, RemindedAt: t.RemindedAt, AssignedTo: user(t.AssignedTo),
		Contact: contact(t.ContactID), Company: company(t.CompanyID), Deal: deal(t.DealID),
		CompletedAt: t.CompletedAt, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, CreatedBy: user(t.CreatedBy),
	}
}

func toTemplate(t *comms.EmailTemplate) *model.EmailTemplate {
	if t == nil {
		return nil
	}
	vars := []*model.EmailTemplateVariable{}
	for _, v := range comms.TemplateVariables(*t) {
		vars = append(vars, &model.EmailTemplateVariable{Name: v.Name, Required: v.Required, DefaultValue: v.Default})
	}
	return &model.EmailTemplate{
		ID: t.ID, Name: t.Name, Subject: t.Subject, BodyHTML: t.BodyHtml, BodyText: t.BodyText,
		Category: t.Category, Variables: vars, IsActive: t.IsActive, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
}

func toMessage(m *comms.EmailMessage) *model.EmailMessage {
	if m == nil {
		return nil
	}
	out := &model.EmailMessage{
		ID: m.ID, MessageID: m.MessageID, To: m.EmailAddress, Subject: m.Subject,
		Contact: contact(m.ContactID), Deal: deal(m.DealID), Status: upper[model.EmailStatus](m.Status),
		Attempts: int(m.Attempts), SentAt: m.SentAt, DeliveredAt: m.DeliveredAt, OpenedAt: m.OpenedAt,
		ClickedAt: m.ClickedAt, BouncedAt: m.BouncedAt, CreatedAt: m.CreatedAt,
	}
	// Resolved on demand from these.
	if m.TemplateID != nil {
		out.Template = &model.EmailTemplate{ID: *m.TemplateID}
	}
	if m.ActivityID != nil {
		out.Activity = &model.Activity{ID: *m.ActivityID}
	}
	return out
}

func pageInfo(after *string, hasNext bool, start, end *string) *page.Info {
	return &page.Info{HasNextPage: hasNext, HasPreviousPage: page.After(after), StartCursor: start, EndCursor: end}
}

func activityConnection(p comms.PageOf[comms.Activity], after *string) *model.ActivityConnection {
	edges, start, end := page.Edges(p.Items, comms.ActivityCursor, func(c string, a comms.Activity) *model.ActivityEdge {
		return &model.ActivityEdge{Cursor: c, Node: toActivity(&a)}
	})
	return &model.ActivityConnection{Edges: edges, PageInfo: pageInfo(after, p.HasNext, start, end), TotalCount: int(p.Total)}
}

func taskConnection(p comms.PageOf[comms.Task], after *string) *model.TaskConnection {
	edges, start, end := page.Edges(p.Items, comms.TaskCursor, func(c string, t comms.Task) *model.TaskEdge {
		return &model.TaskEdge{Cursor: c, Node: toTask(&t)}
	})
	return &model.TaskConnection{Edges: edges, PageInfo: pageInfo(after, p.HasNext, start, end), TotalCount: int(p.Total)}
}

func activityFields(in model.UpdateActivityInput) comms.ActivityFields {
	return comms.ActivityFields{
		Subject: in.Subject, Description: in.Description, Status: lower(in.Status), Direction: lower(in.Direction),
		DurationMinutes: in.DurationMinutes, ScheduledAt: in.ScheduledAt, CompletedAt: in.CompletedAt,
		ContactID: in.ContactID, CompanyID: in.CompanyID, DealID: in.DealID, OwnerID: in.OwnerID,
		CustomFields: in.CustomFields,
	}
}

func taskFields(in model.UpdateTaskInput) comms.TaskFields {
	return comms.TaskFields{
		Title: in.Title, Description: in.Description, Type: lower(in.Type), Status: lower(in.Status),
		Priority: lower(in.Priority), DueDate: in.DueDate, ReminderAt: in.ReminderAt, AssignedTo: in.AssignedTo,
		ContactID: in.ContactID, CompanyID: in.CompanyID, DealID: in.DealID,
	}
}

func variables(in []*model.EmailTemplateVariableInput) []comms.Variable {
	if in == nil {
		return nil
	}
	out := make([]comms.Variable, len(in))
	for i, v := range in {
		out[i] = comms.Variable{Name: v.Name, Required: v.Required == nil || *v.Required, Default: v.DefaultValue}
	}
	return out
}

func templateFields(in model.UpdateEmailTemplateInput) comms.TemplateFields {
	return comms.TemplateFields{
		Name: in.Name, Subject: in.Subject, BodyHTML: in.BodyHTML, BodyText: in.BodyText, Category: in.Category,
		Variables: variables(in.Variables), IsActive: in.IsActive,
	}
}

func mapErr[T, M any](v T, err error, f func(*T) *M) (*M, error) {
	if err != nil {
		return nil, err
	}
	return f(&v), nil
}

func mapTask(t comms.Task, err error) (*model.Task, error) { return mapErr(t, err, toTask) }

func mapTemplate(t comms.EmailTemplate, err error) (*model.EmailTemplate, error) {
	return mapErr(t, err, toTemplate)
}

// orNull answers NOT_FOUND as null, for the single-record queries.
func orNull[M any](v *M, err error) (*M, error) {
	if apperr.CodeOf(err) == apperr.NotFound {
		return nil, nil
	}
	return v, err
}

// timeline resolves a contact's, company's or deal's timeline through the
// operation's loader.
func (r *Resolver) timeline(ctx context.Context, k listKey, after *string) (*model.ActivityConnection, error) {
	p, err := timeline(ctx, r.Service, k)
	if err != nil {
		return nil, err
	}
	return activityConnection(p, after), nil
}

func (r *Resolver) tasks(ctx context.Context, k listKey, after *string) (*model.TaskConnection, error) {
	p, err := tasksOf(ctx, r.Service, k)
	if err != nil {
		return nil, err
	}
	return taskConnection(p, after), nil
}

func mapActivity(a comms.Activity, err error) (*model.Activity, error) {
	return mapErr(a, err, toActivity)
}

func ids[R any](reps []R, id func(R) string) []string {
	out := make([]string, len(reps))
	for i, r := range reps {
		out[i] = id(r)
	}
	return out
}

// stubs answers other subgraphs' entities by id: the fields comms adds to
// them are resolved from the id, in batches (loaders.go).
func stubs[R, E any](reps []R, stub func(R) *E) []*E {
	out := make([]*E, len(reps))
	for i, r := range reps {
		out[i] = stub(r)
	}
	return out
}
