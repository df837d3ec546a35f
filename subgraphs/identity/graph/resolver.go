// Package graph is the identity subgraph's GraphQL layer: resolvers parse
// arguments, call the identity service and map its values to the schema's
// types. Generated files (generated.go, federation.go, model/) are gqlgen's.
package graph

import (
	"context"
	"strings"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/subgraphs/identity"
	"github.com/opencrm/opencrm/subgraphs/identity/graph/model"
)

// Resolver holds the subgraph's dependencies.
type Resolver struct {
	Service *identity.Service
}

func toUser(u *identity.User, tenantID string) *model.User {
	if u == nil {
		return nil
	}
	return &model.User{
		ID: u.ID, Email: u.Email, FirstName: u.FirstName, LastName: u.LastName,
		FullName:      strings.TrimSpace(u.FirstName + " " + u.LastName),
		Role:          model.Role(strings.ToUpper(u.Role)),
		Status:        model.UserStatus(strings.ToUpper(u.Status)),
		EmailVerified: u.EmailVerified, LastLoginAt: u.LastLoginAt, CreatedAt: u.CreatedAt,
		Tenant: &model.Tenant{ID: tenantID},
	}
}

func toAuthPayload(s identity.Session, err error) (*model.AuthPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.AuthPayload{
		AccessToken: s.AccessToken, RefreshToken: s.RefreshToken, ExpiresAt: s.ExpiresAt,
		TokenType: "Bearer", User: toUser(&s.User, s.TenantID),
	}, nil
}

func role(r *model.Role) *auth.Role {
	if r == nil {
		return nil
	}
	v := auth.Role(strings.ToLower(string(*r)))
	return &v
}

func lower[T ~string](v *T) *string {
	if v == nil {
		return nil
	}
	s := strings.ToLower(string(*v))
	return &s
}

func ok(err error) (bool, error) { return err == nil, err }

// user maps a service answer to the schema's User in the caller's tenant.
func (r *Resolver) user(ctx context.Context, u *identity.User, err error) (*model.User, error) {
	if err != nil {
		return nil, err
	}
	caller, _ := auth.Caller(ctx)
	return toUser(u, caller.TenantID), nil
}
