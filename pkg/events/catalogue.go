package events

import "time"

// Type names an event: <domain>.<event>.
type Type string

// The event catalogue. Each type's payload is the struct named beside it.
const (
	UserCreated       Type = "user.created"        // UserPayload
	UserLogin         Type = "user.login"          // UserPayload
	UserPasswordReset Type = "user.password_reset" // UserPayload
	UserDeactivated   Type = "user.deactivated"    // UserPayload
	APIKeyCreated     Type = "api_key.created"     // APIKeyPayload
	APIKeyRevoked     Type = "api_key.revoked"     // APIKeyPayload

	TenantCreated     Type = "tenant.created"      // TenantPayload
	TenantUpdated     Type = "tenant.updated"      // TenantPayload
	TenantUserInvited Type = "tenant.user_invited" // InvitationPayload
	TenantUserJoined  Type = "tenant.user_joined"  // InvitationPayload

	ContactCreated Type = "contact.created" // ContactPayload
	ContactUpdated Type = "contact.updated" // ContactPayload, Changed set
	ContactDeleted Type = "contact.deleted" // ContactPayload, MergedInto set when merged
	CompanyCreated Type = "company.created" // CompanyPayload
	CompanyUpdated Type = "company.updated" // CompanyPayload, Changed set
	CompanyDeleted Type = "company.deleted" // CompanyPayload

	DealCreated      Type = "deal.created"       // DealPayload
	DealStageChanged Type = "deal.stage_changed" // DealPayload, PreviousStage set
	DealClosedWon    Type = "deal.closed_won"    // DealPayload, PreviousStage set
	DealClosedLost   Type = "deal.closed_lost"   // DealPayload, PreviousStage set
	DealUpdated      Type = "deal.updated"       // DealPayload, Changed and Changes set
	DealDeleted      Type = "deal.deleted"       // DealPayload (the deal as it was)

	EmailSent       Type = "email.sent"       // EmailPayload
	EmailOpened     Type = "email.opened"     // EmailPayload, OpenedAt set
	EmailClicked    Type = "email.clicked"    // EmailPayload, ClickedAt and URL set
	EmailDelivered  Type = "email.delivered"  // EmailPayload
	EmailBounced    Type = "email.bounced"    // EmailPayload, Reason set
	ActivityLogged  Type = "activity.logged"  // ActivityPayload
	ActivityUpdated Type = "activity.updated" // ActivityPayload, Changed and Changes set
	ActivityDeleted Type = "activity.deleted" // ActivityPayload (the activity as it was)

	TaskCreated     Type = "task.created"      // TaskPayload
	TaskCompleted   Type = "task.completed"    // TaskPayload
	TaskReminderDue Type = "task.reminder_due" // TaskPayload
	TaskUpdated     Type = "task.updated"      // TaskPayload, Changed and Changes set
)

// Catalogue maps every event type to a zero value of its payload struct.
var Catalogue = map[Type]any{
	UserCreated:       UserPayload{},
	UserLogin:         UserPayload{},
	UserPasswordReset: UserPayload{},
	UserDeactivated:   UserPayload{},
	APIKeyCreated:     APIKeyPayload{},
	APIKeyRevoked:     APIKeyPayload{},
	TenantCreated:     TenantPayload{},
	TenantUpdated:     TenantPayload{},
	TenantUserInvited: InvitationPayload{},
	TenantUserJoined:  InvitationPayload{},
	ContactCreated:    ContactPayload{},
	ContactUpdated:    ContactPayload{},
	ContactDeleted:    ContactPayload{},
	CompanyCreated:    CompanyPayload{},
	CompanyUpdated:    CompanyPayload{},
	CompanyDeleted:    CompanyPayload{},
	DealCreated:       DealPayload{},
	DealStageChanged:  DealPayload{},
	DealClosedWon:     DealPayload{},
	DealClosedLost:    DealPayload{},
	DealUpdated:       DealPayload{},
	DealDeleted:       DealPayload{},
	EmailSent:         EmailPayload{},
	EmailOpened:       EmailPayload{},
	EmailClicked:      EmailPayload{},
	EmailDelivered:    EmailPayload{},
	EmailBounced:      EmailPayload{},
	ActivityLogged:    ActivityPayload{},
	ActivityUpdated:   ActivityPayload{},
	ActivityDeleted:   ActivityPayload{},
	TaskCreated:       TaskPayload{},
	TaskCompleted:     TaskPayload{},
	TaskReminderDue:   TaskPayload{},
	TaskUpdated:       TaskPayload{},
}

// UserPayload describes a user of a tenant.
type UserPayload struct {
	UserID    string `json:"user_id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Role      string `json:"role"`
}

// APIKeyPayload describes an API key (never its secret).
type APIKeyPayload struct {
	APIKeyID  string   `json:"api_key_id"`
	Name      string   `json:"name"`
	Prefix    string   `json:"prefix"`
	Role      string   `json:"role"`
	Scopes    []string `json:"scopes"`
	CreatedBy string   `json:"created_by"`
}

// TenantPayload describes a tenant.
type TenantPayload struct {
	TenantID  string `json:"tenant_id"`
	Name      string `json:"name"`
	Subdomain string `json:"subdomain"`
}

// InvitationPayload describes an invitation; UserID is set once it is accepted.
type InvitationPayload struct {
	InvitationID string `json:"invitation_id"`
	Email        string `json:"email"`
	Role         string `json:"role"`
	InvitedBy    string `json:"invited_by,omitempty"`
	UserID       string `json:"user_id,omitempty"`
}

// ContactPayload describes a contact; ids are ULIDs, optional ones empty
// when unset. Changed lists the fields (JSON names) a contact.updated changed;
// MergedInto is the contact that a contact.deleted was merged into, if any
// (references to the deleted contact should move to it).
type ContactPayload struct {
	ContactID  string   `json:"contact_id"`
	FirstName  string   `json:"first_name"`
	LastName   string   `json:"last_name"`
	Email      string   `json:"email"`
	Status     string   `json:"status"`
	CompanyID  string   `json:"company_id,omitempty"`
	OwnerID    string   `json:"owner_id,omitempty"`
	Changed    []string `json:"changed,omitempty"`
	MergedInto string   `json:"merged_into,omitempty"`
}

// CompanyPayload describes a company. Changed lists the fields (JSON names)
// a company.updated changed.
type CompanyPayload struct {
	CompanyID       string   `json:"company_id"`
	Name            string   `json:"name"`
	Domain          string   `json:"domain,omitempty"`
	Industry        string   `json:"industry,omitempty"`
	OwnerID         string   `json:"owner_id,omitempty"`
	ParentCompanyID string   `json:"parent_company_id,omitempty"`
	Changed         []string `json:"changed,omitempty"`
}

// DealPayload describes a deal after the change, with enough for a consumer
// to act without calling back: its value, parties, pipeline and stage (name
// and id), and for stage changes and closures the stage it left
// (PreviousStage, PreviousStageID). Ids are ULIDs, optional ones empty when
// unset; dates are YYYY-MM-DD. A deal.updated lists the fields it changed
// (Changed: JSON names, also of fields the payload does not carry, such as
// description, source, custom_fields, external_id) with their old and new
// values (Changes).
type DealPayload struct {
	DealID            string            `json:"deal_id"`
	Title             string            `json:"title"`
	Value             *float64          `json:"value,omitempty"`
	Currency          string            `json:"currency,omitempty"`
	Stage             string            `json:"stage"`
	StageID           string            `json:"stage_id,omitempty"`
	PreviousStage     string            `json:"previous_stage,omitempty"`
	PreviousStageID   string            `json:"previous_stage_id,omitempty"`
	PipelineID        string            `json:"pipeline_id,omitempty"`
	Closed            bool              `json:"closed,omitempty"` // the stage is closed (won or lost)
	Won               bool              `json:"won,omitempty"`    // the stage is a won one
	Probability       *float64          `json:"probability,omitempty"`
	ContactID         string            `json:"primary_contact_id,omitempty"`
	CompanyID         string            `json:"company_id,omitempty"`
	OwnerID           string            `json:"owner_id,omitempty"`
	ExpectedCloseDate string            `json:"expected_close_date,omitempty"` // YYYY-MM-DD
	ActualCloseDate   string            `json:"actual_close_date,omitempty"`   // YYYY-MM-DD
	CloseReason       string            `json:"close_reason,omitempty"`
	Changed           []string          `json:"changed,omitempty"`
	Changes           map[string]Change `json:"changes,omitempty"`
}

// EmailPayload describes an email the comms subgraph sent or saw opened.
type EmailPayload struct {
	EmailID    string     `json:"email_id"`
	ActivityID string     `json:"activity_id,omitempty"`
	TemplateID string     `json:"template_id,omitempty"`
	To         string     `json:"to"`
	Subject    string     `json:"subject"`
	ContactID  string     `json:"contact_id,omitempty"`
	DealID     string     `json:"deal_id,omitempty"`
	OpenedAt   *time.Time `json:"opened_at,omitempty"`
	ClickedAt  *time.Time `json:"clicked_at,omitempty"`
	URL        string     `json:"url,omitempty"`    // the link clicked
	Reason     string     `json:"reason,omitempty"` // why it bounced
}

// ActivityPayload describes a logged customer interaction; Type is one of
// email, call, meeting, note, task. An activity.updated lists the fields it
// changed (Changed: JSON names) with their old and new values (Changes).
type ActivityPayload struct {
	ActivityID string            `json:"activity_id"`
	Type       string            `json:"type"`
	Subject    string            `json:"subject"`
	ContactID  string            `json:"contact_id,omitempty"`
	CompanyID  string            `json:"company_id,omitempty"`
	DealID     string            `json:"deal_id,omitempty"`
	OwnerID    string            `json:"owner_id,omitempty"`
	Changed    []string          `json:"changed,omitempty"`
	Changes    map[string]Change `json:"changes,omitempty"`
}

// TaskPayload describes a task; AssignedTo is the user id of its assignee.
// A task.updated lists the fields it changed (Changed: JSON names) with
// their old and new values (Changes).
type TaskPayload struct {
	TaskID     string            `json:"task_id"`
	Title      string            `json:"title"`
	Type       string            `json:"type"`     // task, reminder, follow_up
	Status     string            `json:"status"`   // pending, in_progress, completed
	Priority   string            `json:"priority"` // low, normal, high, urgent
	DueDate    *time.Time        `json:"due_date,omitempty"`
	ReminderAt *time.Time        `json:"reminder_at,omitempty"`
	AssignedTo string            `json:"assigned_to,omitempty"`
	ContactID  string            `json:"contact_id,omitempty"`
	CompanyID  string            `json:"company_id,omitempty"`
	DealID     string            `json:"deal_id,omitempty"`
	Changed    []string          `json:"changed,omitempty"`
	Changes    map[string]Change `json:"changes,omitempty"`
}
