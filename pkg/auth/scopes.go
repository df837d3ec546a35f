package auth

import (
	"context"
	"fmt"
	"strings"

	"github.com/opencrm/opencrm/pkg/apperr"
)

// Domain is a part of the CRM that API key scopes name. Each subgraph serves
// exactly one (subgraphs.Service.Domain, its one declaration), and every
// permission check made while serving it is a check of that domain.
type Domain string

// The domains of docs/integrators.md.
const (
	DomainContacts   Domain = "contacts"   // companies and contacts: the contact subgraph
	DomainDeals      Domain = "deals"      // deals and pipelines: the deal subgraph
	DomainActivities Domain = "activities" // activities, tasks, e-mail and templates: the comms subgraph
	DomainUsers      Domain = "users"      // users, invitations and the organisation: identity and tenant
	DomainWebhooks   Domain = "webhooks"   // webhook endpoints and deliveries: the webhooks subgraph
)

// Access is what an operation does to a domain.
type Access uint8

// The accesses. Write implies Read: a key that may change contacts may read
// them (every write answers with the record it wrote).
const (
	Read Access = iota
	Write
)

// Scope is one domain and access, written "contacts:read": the spelling of
// the scp claim and of the database. Its GraphQL name is Scope.Name.
type Scope string

// The scopes.
const (
	ScopeContactsRead    Scope = "contacts:read"
	ScopeContactsWrite   Scope = "contacts:write"
	ScopeDealsRead       Scope = "deals:read"
	ScopeDealsWrite      Scope = "deals:write"
	ScopeActivitiesRead  Scope = "activities:read"
	ScopeActivitiesWrite Scope = "activities:write"
	ScopeUsersRead       Scope = "users:read"
	ScopeUsersWrite      Scope = "users:write"
	ScopeWebhooksRead    Scope = "webhooks:read"
	ScopeWebhooksWrite   Scope = "webhooks:write"
)

// AllScopes lists every scope; a scope's place in it is its bit in a ScopeSet.
var AllScopes = []Scope{
	ScopeContactsRead, ScopeContactsWrite, ScopeDealsRead, ScopeDealsWrite,
	ScopeActivitiesRead, ScopeActivitiesWrite, ScopeUsersRead, ScopeUsersWrite,
	ScopeWebhooksRead, ScopeWebhooksWrite,
}

// ScopeOf is the scope of an access to a domain.
func ScopeOf(d Domain, a Access) Scope {
	if a == Write {
		return Scope(string(d) + ":write")
	}
	return Scope(string(d) + ":read")
}

// Valid reports whether s is one of AllScopes.
func (s Scope) Valid() bool { return s.bit() != 0 }

// Name is the scope as the GraphQL enum ApiKeyScope spells it: CONTACTS_READ.
func (s Scope) Name() string { return strings.ToUpper(strings.ReplaceAll(string(s), ":", "_")) }

func (s Scope) bit() ScopeSet {
	for i, x := range AllScopes {
		if x == s {
			return 1 << i
		}
	}
	return 0
}

// ScopeSet is a set of scopes, the form an Identity carries (comparable,
// checked in a few instructions).
type ScopeSet uint16

// NewScopeSet returns the set of the valid scopes among ss.
func NewScopeSet(ss ...Scope) ScopeSet {
	var set ScopeSet
	for _, s := range ss {
		set |= s.bit()
	}
	return set
}

// Has reports whether the set allows an access to a domain: its scope, or
// for a read the domain's write scope.
func (set ScopeSet) Has(d Domain, a Access) bool {
	if set&ScopeOf(d, a).bit() != 0 {
		return true
	}
	return a == Read && set&ScopeOf(d, Write).bit() != 0
}

// List returns the set's scopes in the order of AllScopes.
func (set ScopeSet) List() []Scope {
	out := []Scope{}
	for i, s := range AllScopes {
		if set&(1<<i) != 0 {
			out = append(out, s)
		}
	}
	return out
}

type domainKey struct{}

type accessKey struct{}

// WithDomain returns ctx saying which domain the request is served for: set
// once per subgraph by its HTTP handler (gqlserver.Subgraph.Domain).
func WithDomain(ctx context.Context, d Domain) context.Context {
	return context.WithValue(ctx, domainKey{}, d)
}

// WithAccess returns ctx saying the least access the operation needs: Write
// in a mutation (set by the GraphQL server), so that whatever a mutation
// resolver checks, an API key needs the domain's write scope for it.
func WithAccess(ctx context.Context, a Access) context.Context {
	return context.WithValue(ctx, accessKey{}, a)
}

// access is what p lets a role do: read or write.
func (p Permission) access() Access {
	switch p {
	case ReadCRM, ReadUsers, ReadWebhooks:
		return Read
	}
	return Write
}

// allowed checks an API key's scopes for an access to the request's domain
// (at least the operation's access). A person's identity is not limited by
// scopes.
func (id Identity) allowed(ctx context.Context, need Access) error {
	if id.APIKeyID == "" {
		return nil
	}
	if a, _ := ctx.Value(accessKey{}).(Access); a > need {
		need = a
	}
	d, _ := ctx.Value(domainKey{}).(Domain)
	if d == "" {
		// Fail closed: a path that does not say its domain is not for keys.
		return apperr.E(apperr.Forbidden, "API keys cannot be used for this operation")
	}
	if id.Scopes.Has(d, need) {
		return nil
	}
	s := ScopeOf(d, need)
	return &apperr.Error{Code: apperr.Forbidden, Scope: s.Name(),
		Message: fmt.Sprintf("this API key lacks the scope %s (%s)", s.Name(), s)}
}
