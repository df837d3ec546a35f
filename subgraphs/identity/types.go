package identity

import (
	"strings"
	"time"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/page"
)

// User is a person who signs in to an organisation (the schema's User).
type User struct {
	ID            string
	TenantID      string
	Email         string
	FirstName     string
	LastName      string
	Role          auth.Role
	Status        UserStatus
	EmailVerified bool
	LastLoginAt   *time.Time
	CreatedAt     time.Time
	// passwordHash stays in the domain: no GraphQL field can reach it.
	passwordHash string
}

// FullName is the first and last names, as a person is addressed.
func (u User) FullName() string { return strings.TrimSpace(u.FirstName + " " + u.LastName) }

// Tenant is the user's organisation, an entity the tenant subgraph resolves.
func (u User) Tenant() *Tenant { return &Tenant{ID: u.TenantID} }

// IsEntity marks User a federation entity (of @key id).
func (User) IsEntity() {}

// cursor is the user's position in a list ordered by name.
func (u User) cursor() string {
	return page.Cursor(strings.ToLower(u.LastName), strings.ToLower(u.FirstName), u.ID)
}

// UserStatus is whether a user may sign in; its values are the database's.
type UserStatus string

// The user statuses.
const (
	UserActive   UserStatus = "active"
	UserInactive UserStatus = "inactive"
	UserPending  UserStatus = "pending"
)

// Tenant is a reference to an organisation, owned by the tenant subgraph.
type Tenant struct {
	ID string
}

// IsEntity marks Tenant a federation entity (of @key id).
func (Tenant) IsEntity() {}

// AuthPayload is what signing in gives: tokens and the user they are for.
type AuthPayload struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    time.Time
	User         User
}

// TokenType is how the access token is sent: `Authorization: Bearer …`.
func (AuthPayload) TokenType() string { return "Bearer" }

// UserConnection is a page of users ordered by name.
type UserConnection = page.Connection[User]

// UserEdge is a user of a page and its cursor.
type UserEdge = page.Edge[User]
