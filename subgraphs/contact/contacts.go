package contact

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/cache"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/contact/store"
)

// ContactInput creates or changes a contact. In a change nil leaves a field
// as it is and an empty string clears an optional one.
type ContactInput struct {
	FirstName, LastName, Email, Phone, JobTitle, CompanyID, OwnerID *string
	Status, Source, Notes                                           *string
	Address                                                         *Address
	CustomFields                                                    map[string]any
	// AllowDuplicate creates or changes the contact even if another has its
	// e-mail address.
	AllowDuplicate bool
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
		if !slices.Contains([]string{StatusLead, StatusProspect, StatusCustomer, StatusInactive}, *in.Status) {
			ch.err = apperr.Field("input.status", "unknown status %q", *in.Status)
		} else if *in.Status != c.Status {
			c.Status = *in.Status
			ch.mark("status")
		}
	}
	ch.optional("source", "source", &c.Source, in.Source, 100)
	ch.address(in.Address, &c.StreetAddress, &c.City, &c.State, &c.Country, &c.PostalCode)
	ch.customFields(&c.CustomFields, in.CustomFields)
	ch.optional("notes", "notes", &c.Notes, in.Notes, maxNotes)
	return ch.changed, ch.err
}

func contactKey(id string) string { return "contact:" + id }

// Contact returns a contact of the caller's organisation; another
// organisation's is NOT_FOUND, like one that does not exist. Lookups are
// cached for 15 minutes and forgotten when the contact changes.
func (s *Service) Contact(ctx context.Context, id string) (Contact, error) {
	caller, err := reader(ctx)
	if err != nil {
		return Contact{}, err
	}
	load := func(ctx context.Context) (Contact, error) {
		cs, err := s.Contacts(ctx, []string{id})
		if err == nil && cs[0] == nil {
			err = contactNotFound()
		}
		if err != nil {
			return Contact{}, err
		}
		return *cs[0], nil
	}
	if s.DB.Cache == nil {
		return load(ctx)
	}
	return cache.GetOrLoad(ctx, s.DB.Cache, caller.TenantID, contactKey(id), cache.ContactLookupTTL, load)
}

// forgetContacts drops cached lookups; call it after the change committed.
func (s *Service) forgetContacts(ctx context.Context, tenantID string, ids ...string) {
	if s.DB.Cache == nil || len(ids) == 0 {
		return
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = contactKey(id)
	}
	_ = s.DB.Cache.Invalidate(ctx, tenantID, keys...)
}

// Contacts returns the contacts of ids in one statement, in the order of
// ids; ids of no contact of the organisation give nil.
func (s *Service) Contacts(ctx context.Context, ids []string) ([]*Contact, error) {
	caller, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	var rows []Contact
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		rows, err = q.GetContacts(ctx, ids)
		return err
	})
	return byID(ids, rows, func(c *Contact) string { return c.ID }), err
}

// CreateContact creates a contact owned by the caller unless the input names
// another owner (managers and admins only). An e-mail address another
// contact has is a CONFLICT unless the input allows duplicates.
func (s *Service) CreateContact(ctx context.Context, in ContactInput) (Contact, error) {
	caller, err := auth.Require(ctx, auth.CreateCRM)
	if err != nil {
		return Contact{}, err
	}
	if in.FirstName == nil || in.LastName == nil {
		return Contact{}, apperr.Field("input.firstName", "a contact needs a first and a last name")
	}
	c := Contact{ID: tenancy.NewID(), Status: StatusLead, CustomFields: []byte("{}"), CreatedBy: &caller.UserID, OwnerID: &caller.UserID}
	if _, err := in.apply(&c); err != nil {
		return Contact{}, err
	}
	if err := mayAssign(caller, c.OwnerID); err != nil {
		return Contact{}, err
	}
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) error {
		if err := checkReferences(ctx, q, c, in.AllowDuplicate); err != nil {
			return err
		}
		if c, err = q.InsertContact(ctx, store.InsertContactParams{
			ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone, JobTitle: c.JobTitle,
			CompanyID: c.CompanyID, OwnerID: c.OwnerID, Status: c.Status, Source: c.Source,
			StreetAddress: c.StreetAddress, City: c.City, State: c.State, Country: c.Country, PostalCode: c.PostalCode,
			CustomFields: c.CustomFields, Notes: c.Notes, CreatedBy: c.CreatedBy,
		}); err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.ContactCreated, caller.TenantID, caller.UserID, contactPayload(c, nil))
	})
	return c, err
}

// mayAssign answers FORBIDDEN when a sales rep would give a contact to
// someone else (it could then no longer change it).
func mayAssign(caller auth.Identity, owner *string) error {
	if owner == nil || *owner == caller.UserID || caller.Role.Can(auth.WriteAnyCRM) {
		return nil
	}
	return apperr.E(apperr.Forbidden, "the %s role may not give contacts to other users", caller.Role)
}

// checkReferences checks the company of a contact and, unless
// allowDuplicate, that no other contact has its e-mail address.
func checkReferences(ctx context.Context, q *store.Queries, c Contact, allowDuplicate bool) error {
	if c.CompanyID != nil {
		ok, err := q.CompanyExists(ctx, *c.CompanyID)
		if err != nil {
			return err
		}
		if !ok {
			return noSuchCompany("input.companyId", *c.CompanyID)
		}
	}
	if c.Email == nil || allowDuplicate {
		return nil
	}
	if err := q.LockEmail(ctx, *c.Email); err != nil {
		return err
	}
	other, err := q.ContactWithEmail(ctx, store.ContactWithEmailParams{Email: *c.Email, NotID: c.ID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return &apperr.Error{Code: apperr.Conflict, Field: "input.email",
		Message: "contact " + other + " already has this e-mail address: set allowDuplicate to create another"}
}

// UpdateContact changes a contact (managers and admins: any; sales reps:
// those they own).
func (s *Service) UpdateContact(ctx context.Context, id string, in ContactInput) (Contact, error) {
	caller, err := auth.Require(ctx, auth.WriteOwnCRM)
	if err != nil {
		return Contact{}, err
	}
	var c Contact
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) error {
		if c, err = lockContact(ctx, q, caller, id); err != nil {
			return err
		}
		oldCompany := str(c.CompanyID)
		changed, err := in.apply(&c)
		if err != nil || len(changed) == 0 {
			return err
		}
		if slices.Contains(changed, "owner_id") {
			if err := mayAssign(caller, c.OwnerID); err != nil {
				return err
			}
		}
		if emailChanged := slices.Contains(changed, "email"); emailChanged || str(c.CompanyID) != oldCompany {
			if err := checkReferences(ctx, q, c, !emailChanged || in.AllowDuplicate); err != nil {
				return err
			}
		}
		c, err = s.saveContact(ctx, q, tx, caller, c, changed)
		return err
	})
	if err == nil {
		s.forgetContacts(ctx, caller.TenantID, id)
	}
	return c, err
}

// lockContact returns a contact locked for a change the caller may make.
func lockContact(ctx context.Context, q *store.Queries, caller auth.Identity, id string) (Contact, error) {
	c, err := q.GetContactForUpdate(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, contactNotFound()
	}
	if err != nil {
		return c, err
	}
	return c, mayChange(caller, c.OwnerID, c.CreatedBy)
}

func (s *Service) saveContact(ctx context.Context, q *store.Queries, tx pgx.Tx, caller auth.Identity, c Contact, changed []string) (Contact, error) {
	c, err := q.UpdateContact(ctx, store.UpdateContactParams{
		ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Phone: c.Phone, JobTitle: c.JobTitle,
		CompanyID: c.CompanyID, OwnerID: c.OwnerID, Status: c.Status, Source: c.Source,
		StreetAddress: c.StreetAddress, City: c.City, State: c.State, Country: c.Country, PostalCode: c.PostalCode,
		CustomFields: c.CustomFields, Notes: c.Notes,
	})
	if err != nil {
		return c, err
	}
	return c, events.Emit(ctx, tx, events.ContactUpdated, caller.TenantID, caller.UserID, contactPayload(c, changed))
}

// DeleteContact deletes a contact (managers and admins: any; sales reps:
// those they own).
func (s *Service) DeleteContact(ctx context.Context, id string) error {
	caller, err := auth.Require(ctx, auth.WriteOwnCRM)
	if err != nil {
		return err
	}
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) error {
		c, err := lockContact(ctx, q, caller, id)
		if err != nil {
			return err
		}
		if err := q.DeleteContact(ctx, id); err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.ContactDeleted, caller.TenantID, caller.UserID, contactPayload(c, nil))
	})
	if err == nil {
		s.forgetContacts(ctx, caller.TenantID, id)
	}
	return err
}

// MergeContacts merges contact mergeID into keepID: the kept contact's
// empty fields take the merged one's values, its custom fields gain the
// merged one's keys it lacks, and the merged contact is deleted (its
// contact.deleted event names the kept one, so other domains can move their
// references). The caller must be allowed to change both.
func (s *Service) MergeContacts(ctx context.Context, keepID, mergeID string) (Contact, error) {
	caller, err := auth.Require(ctx, auth.WriteOwnCRM)
	if err != nil {
		return Contact{}, err
	}
	if keepID == mergeID {
		return Contact{}, apperr.Field("input.mergeId", "a contact cannot be merged into itself")
	}
	var keep Contact
	err = s.inTenant(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) error {
		locked := map[string]Contact{}
		for _, id := range slices.Sorted(slices.Values([]string{keepID, mergeID})) { // one lock order: no deadlock
			c, err := lockContact(ctx, q, caller, id)
			if err != nil {
				return err
			}
			locked[id] = c
		}
		gone := locked[mergeID]
		keep = locked[keepID]
		changed := fill(&keep, gone)
		var err error
		if keep, err = s.saveContact(ctx, q, tx, caller, keep, changed); err != nil {
			return err
		}
		if err := q.DeleteContact(ctx, gone.ID); err != nil {
			return err
		}
		p := contactPayload(gone, nil)
		p.MergedInto = keep.ID
		return events.Emit(ctx, tx, events.ContactDeleted, caller.TenantID, caller.UserID, p)
	})
	if err == nil {
		s.forgetContacts(ctx, caller.TenantID, keepID, mergeID)
	}
	return keep, err
}

// fill gives keep's empty optional fields the values of other's, and keep's
// custom fields the keys of other's it lacks; it returns what changed.
func fill(keep *Contact, other Contact) []string {
	var changed []string
	for _, f := range []struct {
		name string
		dst  **string
		v    *string
	}{
		{"email", &keep.Email, other.Email}, {"phone", &keep.Phone, other.Phone},
		{"job_title", &keep.JobTitle, other.JobTitle}, {"company_id", &keep.CompanyID, other.CompanyID},
		{"owner_id", &keep.OwnerID, other.OwnerID}, {"source", &keep.Source, other.Source},
		{"street_address", &keep.StreetAddress, other.StreetAddress}, {"city", &keep.City, other.City},
		{"state", &keep.State, other.State}, {"country", &keep.Country, other.Country},
		{"postal_code", &keep.PostalCode, other.PostalCode}, {"notes", &keep.Notes, other.Notes},
	} {
		if *f.dst == nil && f.v != nil {
			*f.dst = f.v
			changed = append(changed, f.name)
		}
	}
	var mine, theirs map[string]any
	if json.Unmarshal(keep.CustomFields, &mine) == nil && json.Unmarshal(other.CustomFields, &theirs) == nil {
		n := len(mine)
		for k, v := range theirs {
			if _, ok := mine[k]; !ok {
				mine[k] = v
			}
		}
		if len(mine) > n {
			keep.CustomFields, _ = json.Marshal(mine)
			changed = append(changed, "custom_fields")
		}
	}
	return changed
}

func contactPayload(c Contact, changed []string) events.ContactPayload {
	return events.ContactPayload{
		ContactID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: str(c.Email), Status: c.Status,
		CompanyID: str(c.CompanyID), OwnerID: str(c.OwnerID), Changed: changed,
	}
}
