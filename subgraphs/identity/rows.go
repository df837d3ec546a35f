package identity

import (
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/subgraphs/identity/store"
)

// userOf turns a users row of the tenant's schema into a User.
func userOf(tenantID string, r store.User) User {
	return User{
		ID: r.ID, TenantID: tenantID, Email: r.Email, FirstName: r.FirstName, LastName: r.LastName,
		Role: auth.Role(r.Role), Status: UserStatus(r.Status), EmailVerified: r.EmailVerified,
		LastLoginAt: r.LastLoginAt, CreatedAt: r.CreatedAt, passwordHash: r.PasswordHash,
	}
}

// usersOf turns users rows of the tenant's schema into Users.
func usersOf(tenantID string, rows []store.User) []User {
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = userOf(tenantID, r)
	}
	return out
}
