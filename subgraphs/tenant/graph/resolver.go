// Package graph is the tenant subgraph's GraphQL layer: resolvers parse
// arguments, call the tenant service and map its values to the schema's
// types. Generated files (generated.go, federation.go, model/) are gqlgen's.
package graph

import (
	"strings"
	"time"

	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/tenant"
	"github.com/opencrm/opencrm/subgraphs/tenant/graph/model"
)

// Resolver holds the subgraph's dependencies.
type Resolver struct {
	Service *tenant.Service
}

func toTenant(t tenancy.Tenant, err error) (*model.Tenant, error) {
	if err != nil {
		return nil, err
	}
	return &model.Tenant{
		ID: t.ID, Name: t.Name, Subdomain: t.Subdomain, SchemaName: t.SchemaName,
		Status: model.TenantStatus(strings.ToUpper(t.Status)), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}, nil
}

func toInvitation(inv tenant.Invitation) *model.Invitation {
	m := &model.Invitation{
		ID: inv.ID, Email: inv.Email, Role: model.Role(strings.ToUpper(inv.Role)),
		Status:    model.InvitationStatus(strings.ToUpper(tenant.Status(inv, time.Now()))),
		ExpiresAt: inv.ExpiresAt, CreatedAt: inv.CreatedAt,
	}
	if inv.InvitedBy != nil {
		m.InvitedBy = &model.User{ID: *inv.InvitedBy}
	}
	return m
}
