package tenant

import (
	"time"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/tenancy/platformdb"
)

// tenantOf passes on a tenant lookup as a Tenant.
func tenantOf(t tenancy.Tenant, err error) (*Tenant, error) {
	if err != nil {
		return nil, err
	}
	return &Tenant{ID: t.ID, Name: t.Name, Subdomain: t.Subdomain, SchemaName: t.SchemaName,
		Status: TenantStatus(t.Status), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}, nil
}

// invitationOf turns an invitations row into an Invitation as it stands at now.
func invitationOf(r platformdb.PlatformInvitation, now time.Time) Invitation {
	inv := Invitation{ID: r.ID, Email: r.Email, Role: auth.Role(r.Role), Status: InvitationStatus(r.Status),
		ExpiresAt: r.ExpiresAt, CreatedAt: r.CreatedAt}
	if inv.Status == InvitationPending && !inv.ExpiresAt.After(now) {
		inv.Status = InvitationExpired
	}
	if r.InvitedBy != nil {
		inv.InvitedBy = &User{ID: *r.InvitedBy}
	}
	return inv
}

// invitationsOf turns invitations rows into Invitations as they stand at now.
func invitationsOf(rows []platformdb.PlatformInvitation, now time.Time) []Invitation {
	out := make([]Invitation, len(rows))
	for i, r := range rows {
		out[i] = invitationOf(r, now)
	}
	return out
}
