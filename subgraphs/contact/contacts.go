package contact

import (
	"context"
	"errors"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/cache"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/contact/store"
)

func contactKey(id string) string { return "contact:" + id }

// Contact returns a contact of the caller's organisation; another
// organisation's is NOT_FOUND, like one that does not exist. Lookups are
// cached for 15 minutes and forgotten when the contact changes.
func (s *Service) Contact(ctx context.Context, id string) (Contact, error) {
	caller, err := auth.Require(ctx, auth.ReadCRM)
	if err != nil {
		return Contact{}, err
	}
	load := func(ctx context.Context) (Contact, error) {
		return one[Contact](contactNotFound)(s.Contacts(ctx, []string{id}))
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

// Contacts returns the contacts of ids in one statement, in no order; ids
// of no contact of the organisation have none.
func (s *Service) Contacts(ctx context.Context, ids []string) ([]Contact, error) {
	return read(ctx, s, ids, (*store.Queries).GetContacts, each(contactOf))
}

// ContactID is a contact's id, for loader.InOrder and loader.Index.
func ContactID(c Contact) string { return c.ID }

// CreateContact creates a contact owned by the caller unless the input names
// another owner (managers and admins only). An e-mail address another
// contact has is a CONFLICT unless the input allows duplicates.
func (s *Service) CreateContact(ctx context.Context, in ContactInput) (Contact, error) {
	caller, err := auth.Require(ctx, auth.CreateCRM)
	if err != nil {
		return Contact{}, err
	}
	if err := s.checkOwner(ctx, caller, in.OwnerID); err != nil {
		return Contact{}, err
	}
	var c Contact
	err = s.queries().As(ctx, auth.CreateCRM, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) (err error) {
		c, err = newContact(ctx, q, tx, caller, in)
		return err
	})
	return c, err
}

// newContact is CreateContact in the caller's transaction, once the owner
// is checked (checkOwner).
func newContact(ctx context.Context, q *store.Queries, tx pgx.Tx, caller auth.Identity, in ContactInput) (Contact, error) {
	if in.FirstName == nil || in.LastName == nil {
		return Contact{}, apperr.Field("input.firstName", "a contact needs a first and a last name")
	}
	c := Contact{ID: tenancy.NewID(), Status: StatusLead, CustomFields: map[string]any{}, CreatedByID: &caller.UserID, OwnerID: &caller.UserID}
	if _, err := in.apply(&c); err != nil {
		return c, err
	}
	if err := mayAssign(caller, c.OwnerID); err != nil {
		return c, err
	}
	if err := checkReferences(ctx, q, c, in.AllowDuplicate); err != nil {
		return c, err
	}
	row, err := q.InsertContact(ctx, insertContact(c))
	if err != nil {
		return c, externalIDTaken(err)
	}
	if c, err = withCompany(ctx, q, contactOf(row)); err != nil {
		return c, err
	}
	return c, events.Emit(ctx, tx, events.ContactCreated, caller.TenantID, caller.UserID, contactPayload(c, nil))
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

// change runs fn in a transaction of a caller who may change contacts and
// forgets the cached lookups of the contacts fn names once it committed.
func (s *Service) change(ctx context.Context, fn func(q *store.Queries, tx pgx.Tx, caller auth.Identity) ([]string, error)) error {
	var forget []string
	var tenantID string
	err := s.queries().As(ctx, auth.WriteOwnCRM, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) (err error) {
		tenantID = caller.TenantID
		forget, err = fn(q, tx, caller)
		return err
	})
	if err == nil {
		s.forgetContacts(ctx, tenantID, forget...)
	}
	return err
}

// UpdateContact changes a contact (managers and admins: any; sales reps:
// those they own).
func (s *Service) UpdateContact(ctx context.Context, id string, in ContactInput) (Contact, error) {
	caller, err := auth.Require(ctx, auth.WriteOwnCRM)
	if err != nil {
		return Contact{}, err
	}
	if err := s.checkOwner(ctx, caller, in.OwnerID); err != nil {
		return Contact{}, err
	}
	var c Contact
	err = s.change(ctx, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) (_ []string, err error) {
		c, err = changeContact(ctx, q, tx, caller, id, in)
		return []string{id}, err
	})
	return c, err
}

// changeContact is UpdateContact in the caller's transaction, once the
// owner is checked (checkOwner).
func changeContact(ctx context.Context, q *store.Queries, tx pgx.Tx, caller auth.Identity, id string, in ContactInput) (c Contact, err error) {
	if c, err = lockContact(ctx, q, caller, id); err != nil {
		return c, err
	}
	oldCompany := str(c.CompanyID)
	changed, err := in.apply(&c)
	if err != nil || len(changed) == 0 {
		return c, err
	}
	if slices.Contains(changed, "owner_id") {
		if err := mayAssign(caller, c.OwnerID); err != nil {
			return c, err
		}
	}
	if emailChanged := slices.Contains(changed, "email"); emailChanged || str(c.CompanyID) != oldCompany {
		if err := checkReferences(ctx, q, c, !emailChanged || in.AllowDuplicate); err != nil {
			return c, err
		}
	}
	return saveContact(ctx, q, tx, caller, c, changed)
}

// lockContact returns a contact locked for a change the caller may make.
func lockContact(ctx context.Context, q *store.Queries, caller auth.Identity, id string) (Contact, error) {
	row, err := q.GetContactForUpdate(ctx, id)
	if err != nil {
		return Contact{}, found(err, contactNotFound)
	}
	return contactOf(row), mayChange(caller, row.OwnerID, row.CreatedBy)
}

func saveContact(ctx context.Context, q *store.Queries, tx pgx.Tx, caller auth.Identity, c Contact, changed []string) (Contact, error) {
	row, err := q.UpdateContact(ctx, updateContact(c))
	if err != nil {
		return c, externalIDTaken(err)
	}
	if c, err = withCompany(ctx, q, contactOf(row)); err != nil {
		return c, err
	}
	return c, events.Emit(ctx, tx, events.ContactUpdated, caller.TenantID, caller.UserID, contactPayload(c, changed))
}

// withCompany gives a contact just written its company, read in the same
// transaction (see Contact.KnownCompany).
func withCompany(ctx context.Context, q *store.Queries, c Contact) (Contact, error) {
	if c.CompanyID == nil {
		return c, nil
	}
	rows, err := q.GetCompanies(ctx, []string{*c.CompanyID})
	if err == nil && len(rows) == 1 {
		co := companyOf(rows[0])
		c.company = &co
	}
	return c, err
}

// DeleteContact deletes a contact (managers and admins: any; sales reps:
// those they own).
func (s *Service) DeleteContact(ctx context.Context, id string) error {
	return s.change(ctx, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) ([]string, error) {
		c, err := lockContact(ctx, q, caller, id)
		if err != nil {
			return nil, err
		}
		if err := q.DeleteContact(ctx, id); err != nil {
			return nil, err
		}
		return []string{id}, events.Emit(ctx, tx, events.ContactDeleted, caller.TenantID, caller.UserID, contactPayload(c, nil))
	})
}

// MergeContacts merges contact mergeID into keepID: the kept contact's
// empty fields take the merged one's values, its custom fields gain the
// merged one's keys it lacks, and the merged contact is deleted (its
// contact.deleted event names the kept one, so other domains can move their
// references). The caller must be allowed to change both.
func (s *Service) MergeContacts(ctx context.Context, keepID, mergeID string) (Contact, error) {
	if _, err := auth.Require(ctx, auth.WriteOwnCRM); err != nil {
		return Contact{}, err
	}
	if keepID == mergeID {
		return Contact{}, apperr.Field("input.mergeId", "a contact cannot be merged into itself")
	}
	var keep Contact
	err := s.change(ctx, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) (_ []string, err error) {
		locked := map[string]Contact{}
		for _, id := range slices.Sorted(slices.Values([]string{keepID, mergeID})) { // one lock order: no deadlock
			c, err := lockContact(ctx, q, caller, id)
			if err != nil {
				return nil, err
			}
			locked[id] = c
		}
		gone := locked[mergeID]
		keep = locked[keepID]
		if keep, err = saveContact(ctx, q, tx, caller, keep, fill(&keep, gone)); err != nil {
			return nil, err
		}
		if err := q.DeleteContact(ctx, gone.ID); err != nil {
			return nil, err
		}
		p := contactPayload(gone, nil)
		p.MergedInto = keep.ID
		return []string{keepID, mergeID}, events.Emit(ctx, tx, events.ContactDeleted, caller.TenantID, caller.UserID, p)
	})
	return keep, err
}

// fill gives keep's empty optional fields the values of other's, and keep's
// custom fields the keys of other's it lacks; it returns what changed.
func fill(keep *Contact, other Contact) []string {
	var a, o Address
	if keep.Address != nil {
		a = *keep.Address
	}
	if other.Address != nil {
		o = *other.Address
	}
	var changed []string
	for _, f := range []struct {
		name string
		dst  **string
		v    *string
	}{
		{"email", &keep.Email, other.Email}, {"phone", &keep.Phone, other.Phone},
		{"job_title", &keep.JobTitle, other.JobTitle}, {"company_id", &keep.CompanyID, other.CompanyID},
		{"owner_id", &keep.OwnerID, other.OwnerID}, {"source", &keep.Source, other.Source},
		{"street_address", &a.Street, o.Street}, {"city", &a.City, o.City},
		{"state", &a.State, o.State}, {"country", &a.Country, o.Country},
		{"postal_code", &a.PostalCode, o.PostalCode}, {"notes", &keep.Notes, other.Notes},
	} {
		if *f.dst == nil && f.v != nil {
			*f.dst = f.v
			changed = append(changed, f.name)
		}
	}
	keep.Address = a.orNil()
	merged := maps.Clone(other.CustomFields)
	if merged == nil {
		merged = map[string]any{}
	}
	maps.Copy(merged, keep.CustomFields)
	if len(merged) > len(keep.CustomFields) {
		keep.CustomFields = merged
		changed = append(changed, "custom_fields")
	}
	return changed
}

func contactPayload(c Contact, changed []string) events.ContactPayload {
	return events.ContactPayload{
		ContactID: c.ID, FirstName: c.FirstName, LastName: c.LastName, Email: str(c.Email), Status: string(c.Status),
		CompanyID: str(c.CompanyID), OwnerID: str(c.OwnerID), Changed: changed,
	}
}
