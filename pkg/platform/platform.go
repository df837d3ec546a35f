// Package platform names the owners of the platform schema's tables, so the
// processes and the tests set up the same platform.
package platform

import (
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
)

// Domains own the platform schema's tables, in the order they migrate.
func Domains() []tenancy.Domain {
	return []tenancy.Domain{
		{Name: "tenancy", FS: tenancy.Migrations()},
		{Name: "events", FS: events.Migrations()},
	}
}
