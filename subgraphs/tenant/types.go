package tenant

import (
	"time"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// Tenant is an organisation using the CRM (the schema's Tenant, and its
// TenantPublic, whose fewer fields the schema picks).
type Tenant struct {
	ID         string
	Name       string
	Subdomain  string
	SchemaName string
	Status     TenantStatus
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// IsEntity marks Tenant a federation entity (of @key id).
func (Tenant) IsEntity() {}

// TenantStatus is whether an organisation may be used; its values are the database's.
type TenantStatus string

// The tenant statuses.
const (
	TenantActive    TenantStatus = tenancy.StatusActive
	TenantSuspended TenantStatus = tenancy.StatusSuspended
	TenantPending   TenantStatus = tenancy.StatusPending
)

// Invitation is an invitation for a person to join the caller's
// organisation with a role.
type Invitation struct {
	ID    string
	Email string
	Role  auth.Role
	// Status is as users see it: a pending invitation past its expiry is expired.
	Status    InvitationStatus
	ExpiresAt time.Time
	CreatedAt time.Time
	// InvitedBy is the user who invited, an entity of the identity subgraph.
	InvitedBy *User
}

// cursor is the invitation's position in a list, newest first.
func (inv Invitation) cursor() string { return page.Cursor(inv.CreatedAt, inv.ID) }

// InvitationStatus is where an invitation stands; its values are the database's.
type InvitationStatus string

// The invitation statuses.
const (
	InvitationPending  InvitationStatus = "pending"
	InvitationAccepted InvitationStatus = "accepted"
	InvitationExpired  InvitationStatus = "expired"
	InvitationRevoked  InvitationStatus = "revoked"
)

// User is a reference to a user, owned by the identity subgraph.
type User struct {
	ID string
}

// IsEntity marks User a federation entity (of @key id).
func (User) IsEntity() {}

// InvitationPayload is a new invitation and its token, shown this once.
type InvitationPayload struct {
	Invitation Invitation
	Token      string
}

// InvitationConnection is a page of invitations, newest first.
type InvitationConnection = page.Connection[Invitation]

// InvitationEdge is an invitation of a page and its cursor.
type InvitationEdge = page.Edge[Invitation]

// InviteUserInput invites a person with a role.
type InviteUserInput struct {
	Email string
	Role  auth.Role
}

// UpdateTenantInput renames the organisation.
type UpdateTenantInput struct {
	Name string
}
