package comms

import (
	"time"

	"github.com/opencrm/opencrm/pkg/customfields"
	"github.com/opencrm/opencrm/pkg/page"
)

// The GraphQL layer binds the schema's types to these (schema/comms/gqlgen.yml):
// Go field names match the schema's, enums keep the database spelling and
// gqlgen's enum_values map them to the schema's names.

// ActivityType is what kind of interaction an activity is.
type ActivityType string

// Activity types.
const (
	ActivityEmail   ActivityType = "email"
	ActivityCall    ActivityType = "call"
	ActivityMeeting ActivityType = "meeting"
	ActivityNote    ActivityType = "note"
	ActivityTask    ActivityType = "task"
)

// ActivityStatus is where an activity stands.
type ActivityStatus string

// Activity statuses.
const (
	ActivityScheduled ActivityStatus = "scheduled"
	ActivityCompleted ActivityStatus = "completed"
	ActivityCancelled ActivityStatus = "cancelled"
)

// Direction is whether an activity came in or went out.
type Direction string

// Directions.
const (
	Inbound  Direction = "inbound"
	Outbound Direction = "outbound"
)

// TaskType is what kind of task a task is.
type TaskType string

// Task types.
const (
	TaskTask     TaskType = "task"
	TaskReminder TaskType = "reminder"
	TaskFollowUp TaskType = "follow_up"
)

// TaskStatus is where a task stands.
type TaskStatus string

// Task statuses.
const (
	TaskPending    TaskStatus = "pending"
	TaskInProgress TaskStatus = "in_progress"
	TaskCompleted  TaskStatus = "completed"
)

// TaskPriority is how urgent a task is.
type TaskPriority string

// Task priorities.
const (
	PriorityLow    TaskPriority = "low"
	PriorityNormal TaskPriority = "normal"
	PriorityHigh   TaskPriority = "high"
	PriorityUrgent TaskPriority = "urgent"
)

// EmailStatus is what became of a sent e-mail.
type EmailStatus string

// E-mail statuses.
const (
	EmailQueued    EmailStatus = "queued"
	EmailSent      EmailStatus = "sent"
	EmailDelivered EmailStatus = "delivered"
	EmailOpened    EmailStatus = "opened"
	EmailClicked   EmailStatus = "clicked"
	EmailBounced   EmailStatus = "bounced"
	EmailFailed    EmailStatus = "failed"
)

// Activity is an interaction on the timeline of a contact, company or deal.
type Activity struct {
	ID              string
	Type            ActivityType
	Subject         string
	Description     *string
	Status          ActivityStatus
	Direction       *Direction
	DurationMinutes *int
	ScheduledAt     *time.Time
	CompletedAt     *time.Time
	// OccurredAt is the activity's place on the timeline (see occurredAt).
	OccurredAt time.Time
	About
	OwnerID              *string
	CustomFields         customfields.Fields
	CreatedAt, UpdatedAt time.Time
	CreatedByID          *string
}

// Owner is the user the activity belongs to.
func (a Activity) Owner() *User { return stub[User](a.OwnerID) }

// CreatedBy is the user who logged the activity (nil for automation).
func (a Activity) CreatedBy() *User { return stub[User](a.CreatedByID) }

// Cursor is the activity's position on a timeline.
func (a Activity) Cursor() string { return page.Cursor(a.OccurredAt, a.ID) }

// Task is something a user has to do, with an optional reminder.
type Task struct {
	ID                              string
	Title                           string
	Description                     *string
	Type                            TaskType
	Status                          TaskStatus
	Priority                        TaskPriority
	DueDate, ReminderAt, RemindedAt *time.Time
	About
	AssignedToID         *string
	CompletedAt          *time.Time
	CreatedAt, UpdatedAt time.Time
	CreatedByID          *string
}

// AssignedTo is the user who has to do the task.
func (t Task) AssignedTo() *User { return stub[User](t.AssignedToID) }

// CreatedBy is the user who created the task (nil for automation).
func (t Task) CreatedBy() *User { return stub[User](t.CreatedByID) }

// Cursor is the task's position in a list, newest first.
func (t Task) Cursor() string { return page.Cursor(t.ID) }

// EmailTemplate is a template of e-mails with {{variable}} placeholders.
type EmailTemplate struct {
	ID, Name, Subject, BodyHTML string
	BodyText, Category          *string
	Variables                   []EmailTemplateVariable
	IsActive                    bool
	CreatedAt, UpdatedAt        time.Time
}

// EmailTemplateVariable is a variable a template declares, stored as JSON
// in the template's row.
type EmailTemplateVariable struct {
	Name         string  `json:"name"`
	Required     bool    `json:"required"`
	DefaultValue *string `json:"default,omitempty"`
}

// RenderedEmail is a template rendered with values: what a recipient gets.
type RenderedEmail struct {
	Subject, BodyHTML, BodyText string
}

// EmailMessage is an e-mail sent (or being sent) and what became of it.
type EmailMessage struct {
	ID, MessageID, To, Subject                          string
	TemplateID, ActivityID                              *string
	About                                               // no company
	Status                                              EmailStatus
	Attempts                                            int
	SentAt, DeliveredAt, OpenedAt, ClickedAt, BouncedAt *time.Time
	CreatedAt                                           time.Time

	// template and activity are what the transaction that queued the
	// message read and wrote, so sendEmail's answer needs no read after its
	// commit.
	template *EmailTemplate
	activity *Activity
}

// KnownTemplate is the message's template as sendEmail's transaction read
// it; nil when not read with it.
func (m EmailMessage) KnownTemplate() *EmailTemplate { return m.template }

// KnownActivity is the activity sendEmail's transaction recorded for the
// message; nil when not written with it.
func (m EmailMessage) KnownActivity() *Activity { return m.activity }

// About are the records an activity, task or e-mail is about, by id; the
// schema's contact, company and deal fields are their stubs.
type About struct {
	ContactID, CompanyID, DealID *string
}

// Contact is the contact it is about.
func (a About) Contact() *Contact { return stub[Contact](a.ContactID) }

// Company is the company it is about.
func (a About) Company() *Company { return stub[Company](a.CompanyID) }

// Deal is the deal it is about.
func (a About) Deal() *Deal { return stub[Deal](a.DealID) }

// Other subgraphs' entities, known by id: comms adds their timelines and tasks.
type (
	// Contact is a contact of the contact subgraph.
	Contact struct{ ID string }
	// Company is a company of the contact subgraph.
	Company struct{ ID string }
	// Deal is a deal of the deal subgraph.
	Deal struct{ ID string }
	// User is a user of the identity subgraph.
	User struct{ ID string }
)

// stub is the stub of another subgraph's entity by id (nil for no id).
func stub[E ~struct{ ID string }](id *string) *E {
	if id == nil {
		return nil
	}
	e := E{ID: *id}
	return &e
}

// Page is one page of a list: its items, whether more follow, and how many
// there are in all.
type Page[T any] struct {
	Items   []T
	HasNext bool
	Total   int
}

// The federation entities comms resolves (fedruntime.Entity).

// IsEntity marks Activity as a federation entity.
func (Activity) IsEntity() {}

// IsEntity marks Task as a federation entity.
func (Task) IsEntity() {}

// IsEntity marks Contact as a federation entity.
func (Contact) IsEntity() {}

// IsEntity marks Company as a federation entity.
func (Company) IsEntity() {}

// IsEntity marks Deal as a federation entity.
func (Deal) IsEntity() {}

// IsEntity marks User as a federation entity.
func (User) IsEntity() {}
