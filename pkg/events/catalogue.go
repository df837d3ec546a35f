package events

// Type names an event: <domain>.<event>.
type Type string

// The event catalogue. Each type's payload is the struct named beside it.
const (
	UserCreated       Type = "user.created"        // UserPayload
	UserLogin         Type = "user.login"          // UserPayload
	UserPasswordReset Type = "user.password_reset" // UserPayload
	UserDeactivated   Type = "user.deactivated"    // UserPayload

	TenantCreated     Type = "tenant.created"      // TenantPayload
	TenantUpdated     Type = "tenant.updated"      // TenantPayload
	TenantUserInvited Type = "tenant.user_invited" // InvitationPayload
	TenantUserJoined  Type = "tenant.user_joined"  // InvitationPayload
)

// UserPayload describes a user of a tenant.
type UserPayload struct {
	UserID    string `json:"user_id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Role      string `json:"role"`
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
