package auth

// Role is what a user may do in its tenant (docs/architecture.md section 3).
type Role string

// The roles, from most to least powerful.
const (
	RoleAdmin    Role = "admin"
	RoleManager  Role = "manager"
	RoleSalesRep Role = "sales_rep"
	RoleViewer   Role = "viewer"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleManager, RoleSalesRep, RoleViewer}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleManager, RoleSalesRep, RoleViewer:
		return true
	}
	return false
}

// Permission names an action that only some roles may take.
type Permission string

// The permissions. "Own" permissions apply to records the user owns; the
// domain checks ownership, this table only says whether the role may try.
const (
	ManageTenant   Permission = "tenant.manage"   // rename the tenant
	ManageUsers    Permission = "users.manage"    // invite, change roles, deactivate
	ReadCRM        Permission = "crm.read"        // read every CRM record
	CreateCRM      Permission = "crm.create"      // create CRM records
	WriteAnyCRM    Permission = "crm.write.any"   // change or delete any CRM record
	WriteOwnCRM    Permission = "crm.write.own"   // change or delete records one owns
	ManageSettings Permission = "crm.settings"    // pipelines, e-mail templates
	ReadUsers      Permission = "users.read"      // list the tenant's users
	ManageAPIKeys  Permission = "apikeys.manage"  // create, list and revoke API keys (people only)
	ReadWebhooks   Permission = "webhooks.read"   // list webhook endpoints and their deliveries
	ManageWebhooks Permission = "webhooks.manage" // create, change, delete endpoints; rotate secrets; replay and test
)

// permissions is the one table of who may do what.
var permissions = map[Role][]Permission{
	RoleAdmin:    {ManageTenant, ManageUsers, ManageAPIKeys, ReadUsers, ReadCRM, CreateCRM, WriteAnyCRM, WriteOwnCRM, ManageSettings, ReadWebhooks, ManageWebhooks},
	RoleManager:  {ReadUsers, ReadCRM, CreateCRM, WriteAnyCRM, WriteOwnCRM, ManageSettings},
	RoleSalesRep: {ReadUsers, ReadCRM, CreateCRM, WriteOwnCRM},
	RoleViewer:   {ReadUsers, ReadCRM},
}

// Can reports whether the role has the permission.
func (r Role) Can(p Permission) bool {
	for _, q := range permissions[r] {
		if q == p {
			return true
		}
	}
	return false
}

// AtMost reports whether r is o or a less powerful role (the order of
// Roles): what a key's role must be to its creator's.
func (r Role) AtMost(o Role) bool {
	return r.Valid() && o.Valid() && rank(r) >= rank(o)
}

// Lesser returns the less powerful of r and o.
func (r Role) Lesser(o Role) Role {
	if r.AtMost(o) {
		return r
	}
	return o
}

func rank(r Role) int {
	for i, x := range Roles {
		if x == r {
			return i
		}
	}
	return -1
}
