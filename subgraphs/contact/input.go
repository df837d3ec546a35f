package contact

import (
	"bytes"
	"slices"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/customfields"
	"github.com/opencrm/opencrm/pkg/upsert"
	"github.com/opencrm/opencrm/pkg/validate"
)

const maxNotes = 10000

// CompanyInput creates or changes a company (the schema's CreateCompanyInput
// and UpdateCompanyInput). In a change nil leaves a field as it is and an
// empty string clears an optional one.
type CompanyInput struct {
	Name, Domain, Industry, SizeCategory, ParentCompanyID, Phone, Website *string
	Address                                                               *Address
	CustomFields                                                          customfields.Fields
	// ExternalID is the id in another system: nil keeps it, "" clears it.
	ExternalID *string
}

func (in CompanyInput) apply(c *Company) ([]string, error) {
	var ch changes
	ch.required("name", "name", &c.Name, in.Name, 255)
	ch.optional("domain", "domain", &c.Domain, in.Domain, 253)
	ch.optional("industry", "industry", &c.Industry, in.Industry, 100)
	ch.optional("sizeCategory", "size_category", &c.SizeCategory, in.SizeCategory, 50)
	ch.id("parent_company_id", &c.ParentCompanyID, in.ParentCompanyID)
	ch.address(in.Address, &c.Address)
	ch.optional("phone", "phone", &c.Phone, in.Phone, 50)
	ch.optional("website", "website", &c.Website, in.Website, 255)
	ch.customFields(&c.CustomFields, in.CustomFields)
	ch.optional("externalId", "external_id", &c.ExternalID, in.ExternalID, upsert.MaxExternalID)
	return ch.changed, ch.err
}

// ContactInput creates or changes a contact (the schema's CreateContactInput
// and UpdateContactInput). In a change nil leaves a field as it is and an
// empty string clears an optional one.
type ContactInput struct {
	FirstName, LastName, Email, Phone, JobTitle, CompanyID, OwnerID *string
	Status                                                          *ContactStatus
	Source, Notes                                                   *string
	Address                                                         *Address
	CustomFields                                                    customfields.Fields
	// AllowDuplicate creates or changes the contact even if another has its
	// e-mail address.
	AllowDuplicate bool
	// ExternalID is the id in another system: nil keeps it, "" clears it.
	ExternalID *string
	// MatchBy is what an upsert finds the contact by (upserts only; nil is
	// by external id).
	MatchBy *UpsertMatch
}

func (in ContactInput) apply(c *Contact) ([]string, error) {
	var ch changes
	ch.required("firstName", "first_name", &c.FirstName, in.FirstName, 100)
	ch.required("lastName", "last_name", &c.LastName, in.LastName, 100)
	ch.email("email", &c.Email, in.Email)
	ch.optional("phone", "phone", &c.Phone, in.Phone, 50)
	ch.optional("jobTitle", "job_title", &c.JobTitle, in.JobTitle, 100)
	ch.id("company_id", &c.CompanyID, in.CompanyID)
	if ch.err == nil {
		ch.err = userID("input.ownerId", in.OwnerID)
	}
	ch.id("owner_id", &c.OwnerID, in.OwnerID)
	if in.Status != nil && ch.err == nil {
		if !slices.Contains([]ContactStatus{StatusLead, StatusProspect, StatusCustomer, StatusInactive}, *in.Status) {
			ch.err = apperr.Field("input.status", "unknown status %q", *in.Status)
		} else if *in.Status != c.Status {
			c.Status = *in.Status
			ch.mark("status")
		}
	}
	ch.optional("source", "source", &c.Source, in.Source, 100)
	ch.address(in.Address, &c.Address)
	ch.customFields(&c.CustomFields, in.CustomFields)
	ch.optional("notes", "notes", &c.Notes, in.Notes, maxNotes)
	ch.optional("externalId", "external_id", &c.ExternalID, in.ExternalID, upsert.MaxExternalID)
	return ch.changed, ch.err
}

// changes applies the optional fields of an input to a record, validating
// each, and records which fields changed (their column names, for events).
// The first error wins; later calls do nothing.
type changes struct {
	changed []string
	err     error
}

func (c *changes) mark(name string) {
	if !slices.Contains(c.changed, name) {
		c.changed = append(c.changed, name)
	}
}

// required sets a mandatory text field: nil keeps it.
func (c *changes) required(field, name string, dst *string, v *string, maxLen int) {
	if c.err != nil || v == nil {
		return
	}
	s, err := validate.Text("input."+field, *v, maxLen)
	if err != nil {
		c.err = err
		return
	}
	if s != *dst {
		*dst = s
		c.mark(name)
	}
}

// optional sets a nullable text field: nil keeps it, "" clears it.
func (c *changes) optional(field, name string, dst **string, v *string, maxLen int) {
	c.nullable(name, dst, v, func(s string) (string, error) { return validate.Text("input."+field, s, maxLen) })
}

// email sets a nullable e-mail field.
func (c *changes) email(field string, dst **string, v *string) {
	c.nullable("email", dst, v, func(s string) (string, error) { return validate.Email("input."+field, s) })
}

// id sets a nullable reference: nil keeps it, "" clears it.
func (c *changes) id(name string, dst **string, v *string) {
	c.nullable(name, dst, v, func(s string) (string, error) { return strings.TrimSpace(s), nil })
}

func (c *changes) nullable(name string, dst **string, v *string, check func(string) (string, error)) {
	if c.err != nil || v == nil {
		return
	}
	var next *string
	if strings.TrimSpace(*v) != "" {
		s, err := check(*v)
		if err != nil {
			c.err = err
			return
		}
		next = &s
	}
	if str(*dst) != str(next) || (*dst == nil) != (next == nil) {
		*dst = next
		c.mark(name)
	}
}

// address applies an address input to an address.
func (c *changes) address(in *Address, dst **Address) {
	if in == nil {
		return
	}
	a := Address{}
	if *dst != nil {
		a = **dst
	}
	c.optional("address.street", "address", &a.Street, in.Street, 255)
	c.optional("address.city", "address", &a.City, in.City, 100)
	c.optional("address.state", "address", &a.State, in.State, 100)
	c.optional("address.country", "address", &a.Country, in.Country, 100)
	c.optional("address.postalCode", "address", &a.PostalCode, in.PostalCode, 20)
	*dst = a.orNil()
}

// customFields replaces custom fields: nil keeps them.
func (c *changes) customFields(dst *customfields.Fields, m customfields.Fields) {
	if c.err != nil || m == nil {
		return
	}
	raw, err := customfields.Encode("input.customFields", m)
	if err != nil {
		c.err = err
		return
	}
	if !bytes.Equal(fieldsJSON(*dst), raw) {
		*dst = customfields.Decode(raw)
		c.mark("custom_fields")
	}
}

// userID checks a user id given as input (a ULID).
func userID(field string, v *string) error {
	if v == nil || *v == "" {
		return nil
	}
	if _, err := ulid.ParseStrict(*v); err != nil {
		return apperr.Field(field, "%q is not a user id", *v)
	}
	return nil
}
