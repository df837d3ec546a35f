package contact

import (
	"strings"
	"time"

	"github.com/opencrm/opencrm/pkg/customfields"
	"github.com/opencrm/opencrm/pkg/page"
)

// Company is a company of a tenant: the schema's Company, whose tree and
// contacts the GraphQL layer loads in batches.
type Company struct {
	ID, Name                                        string
	Domain, Industry, SizeCategory, ParentCompanyID *string
	Address                                         *Address
	Phone, Website                                  *string
	CustomFields                                    customfields.Fields
	CreatedAt, UpdatedAt                            time.Time
	// CreatedByID is the user who created the company (see CreatedBy).
	CreatedByID *string
	// ExternalID is the company's id in another system, unique in the
	// organisation.
	ExternalID *string
}

// CreatedBy is the federated reference to the user who created the company.
func (c Company) CreatedBy() *User { return userRef(c.CreatedByID) }

// Contact is a contact of a tenant: the schema's Contact.
type Contact struct {
	ID, FirstName, LastName           string
	Email, Phone, JobTitle, CompanyID *string
	OwnerID                           *string
	Status                            ContactStatus
	Source                            *string
	Address                           *Address
	CustomFields                      customfields.Fields
	Notes                             *string
	CreatedAt, UpdatedAt              time.Time
	// CreatedByID is the user who created the contact (see CreatedBy).
	CreatedByID *string
	// ExternalID is the contact's id in another system, unique in the
	// organisation.
	ExternalID *string

	// company is its company as read in the transaction of the write that
	// returned it, so the write's answer needs no read after its commit.
	company *Company
}

// KnownCompany is the contact's company as its write's transaction read it;
// nil when it has none or was not read with it.
func (c Contact) KnownCompany() *Company { return c.company }

// FullName is the first and the last name.
func (c Contact) FullName() string { return strings.TrimSpace(c.FirstName + " " + c.LastName) }

// Owner is the federated reference to the user responsible for the contact.
func (c Contact) Owner() *User { return userRef(c.OwnerID) }

// CreatedBy is the federated reference to the user who created the contact.
func (c Contact) CreatedBy() *User { return userRef(c.CreatedByID) }

// Address is a postal address. In an input, nil parts stay as they are and
// empty ones are cleared.
type Address struct {
	Street, City, State, Country, PostalCode *string
}

// orNil is nil for an address without any part (the schema's null).
func (a *Address) orNil() *Address {
	if a == nil || (a.Street == nil && a.City == nil && a.State == nil && a.Country == nil && a.PostalCode == nil) {
		return nil
	}
	return a
}

// User is a user of the identity subgraph, by reference: this subgraph
// adds the contacts it owns.
type User struct {
	ID string
}

func userRef(id *string) *User {
	if id == nil {
		return nil
	}
	return &User{ID: *id}
}

// ContactStatus is where a contact stands, spelt as the database stores it.
type ContactStatus string

// The contact statuses.
const (
	StatusLead     ContactStatus = "lead"
	StatusProspect ContactStatus = "prospect"
	StatusCustomer ContactStatus = "customer"
	StatusInactive ContactStatus = "inactive"
)

// SearchResult is a search hit: a Company or a Contact.
type SearchResult interface{ IsSearchResult() }

// IsSearchResult makes a company a search hit.
func (Company) IsSearchResult() {}

// IsSearchResult makes a contact a search hit.
func (Contact) IsSearchResult() {}

// CompanyConnection is a page of companies.
type CompanyConnection struct {
	Edges    []CompanyEdge
	PageInfo *page.Info
	// TotalCount counts every company of the filter.
	TotalCount int
}

// CompanyEdge is a company of a page and its cursor.
type CompanyEdge struct {
	Cursor string
	Node   Company
}

// ContactConnection is a page of contacts.
type ContactConnection struct {
	Edges    []ContactEdge
	PageInfo *page.Info
	// TotalCount counts every contact of the filter.
	TotalCount int
}

// ContactEdge is a contact of a page and its cursor.
type ContactEdge struct {
	Cursor string
	Node   Contact
}

// IsEntity makes a company a federation entity (gqlgen's _Entity union).
func (Company) IsEntity() {}

// IsEntity makes a contact a federation entity.
func (Contact) IsEntity() {}

// IsEntity makes a user a federation entity.
func (User) IsEntity() {}
