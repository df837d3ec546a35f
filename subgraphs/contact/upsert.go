package contact

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/refs"
	"github.com/opencrm/opencrm/pkg/upsert"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/contact/store"
)

// Upserts create or change a record found by its external id (contacts:
// or by e-mail address), through the same domain functions as the single
// writes: the same validation, permissions, reference checks and events.
// An advisory lock of the external id (of the e-mail address) in the
// write's transaction serializes concurrent upserts of one record, so they
// make one record, never two; the unique index of the external id is the
// last line of defence (CONFLICT on input.externalId).

// UpsertMatch is what an upsert of a contact finds it by.
type UpsertMatch string

// The matches.
const (
	MatchExternalID UpsertMatch = "EXTERNAL_ID"
	MatchEmail      UpsertMatch = "EMAIL"
)

// CompanyUpsert is the result of an upsert of a company.
type CompanyUpsert struct {
	Company Company
	// Created is true when the upsert created the company.
	Created bool
}

// ContactUpsert is the result of an upsert of a contact.
type ContactUpsert struct {
	Contact Contact
	Created bool
}

// CompanyUpsertResult is the outcome of an item of a batch: the company, or
// the item's error.
type CompanyUpsertResult struct {
	Index   int
	Created bool
	Company *Company
	Error   *upsert.Error
}

// ContactUpsertResult is the outcome of an item of a batch.
type ContactUpsertResult struct {
	Index   int
	Created bool
	Contact *Contact
	Error   *upsert.Error
}

// UpsertCompaniesPayload holds a result per input, in input order.
type UpsertCompaniesPayload struct {
	Results []CompanyUpsertResult
}

// UpsertContactsPayload holds a result per input, in input order.
type UpsertContactsPayload struct {
	Results []ContactUpsertResult
}

// UpsertCompany creates the company with in.ExternalID (CreateCompany) or
// changes it (UpdateCompany: FORBIDDEN for one the caller may not change).
func (s *Service) UpsertCompany(ctx context.Context, in CompanyInput) (u CompanyUpsert, err error) {
	err = s.queries().As(ctx, auth.CreateCRM, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) (err error) {
		u, err = upsertCompany(ctx, q, tx, caller, in)
		return err
	})
	return u, err
}

func upsertCompany(ctx context.Context, q *store.Queries, tx pgx.Tx, caller auth.Identity, in CompanyInput) (CompanyUpsert, error) {
	ext, err := upsert.ExternalID("input.externalId", in.ExternalID)
	if err != nil {
		return CompanyUpsert{}, err
	}
	in.ExternalID = &ext
	if err := q.LockCompanyExternalID(ctx, ext); err != nil {
		return CompanyUpsert{}, err
	}
	id, err := q.CompanyWithExternalID(ctx, ext)
	if errors.Is(err, pgx.ErrNoRows) {
		c, err := newCompany(ctx, q, tx, caller, in)
		return CompanyUpsert{Company: c, Created: true}, err
	}
	if err != nil {
		return CompanyUpsert{}, err
	}
	c, err := changeCompany(ctx, q, tx, caller, id, in)
	return CompanyUpsert{Company: c}, err
}

// UpsertContact creates the contact with in.ExternalID (or, matching by
// EMAIL, with in.Email) or changes it; as UpsertCompany.
func (s *Service) UpsertContact(ctx context.Context, in ContactInput) (ContactUpsert, error) {
	caller, err := auth.Require(ctx, auth.CreateCRM)
	if err != nil {
		return ContactUpsert{}, err
	}
	if err := s.checkOwner(ctx, caller, in.OwnerID); err != nil {
		return ContactUpsert{}, err
	}
	return s.upsertContactIn(ctx, in)
}

// upsertContactIn runs an upsert of a contact whose owner is checked in a
// transaction of its own and forgets the cached lookup of a contact it
// changed.
func (s *Service) upsertContactIn(ctx context.Context, in ContactInput) (u ContactUpsert, err error) {
	var tenantID string
	err = s.queries().As(ctx, auth.CreateCRM, func(q *store.Queries, tx pgx.Tx, caller auth.Identity) (err error) {
		tenantID = caller.TenantID
		u, err = upsertContact(ctx, q, tx, caller, in)
		return err
	})
	if err == nil && !u.Created {
		s.forgetContacts(ctx, tenantID, u.Contact.ID)
	}
	return u, err
}

func upsertContact(ctx context.Context, q *store.Queries, tx pgx.Tx, caller auth.Identity, in ContactInput) (ContactUpsert, error) {
	id, err := matchContact(ctx, q, &in)
	if errors.Is(err, pgx.ErrNoRows) {
		c, err := newContact(ctx, q, tx, caller, in)
		return ContactUpsert{Contact: c, Created: true}, err
	}
	if err != nil {
		return ContactUpsert{}, err
	}
	c, err := changeContact(ctx, q, tx, caller, id, in)
	return ContactUpsert{Contact: c}, err
}

// matchContact locks what an upsert finds its contact by and returns the
// contact's id, or pgx.ErrNoRows when there is none. Several contacts may
// share an e-mail address (allowDuplicate): EMAIL then matches one of them.
func matchContact(ctx context.Context, q *store.Queries, in *ContactInput) (string, error) {
	if in.MatchBy != nil && *in.MatchBy == MatchEmail {
		if in.Email == nil {
			return "", apperr.Field("input.email", "an upsert matching by EMAIL needs an e-mail address")
		}
		email, err := validate.Email("input.email", *in.Email)
		if err != nil {
			return "", err
		}
		in.Email = &email
		if err := q.LockEmail(ctx, email); err != nil {
			return "", err
		}
		return q.ContactWithEmail(ctx, store.ContactWithEmailParams{Email: email})
	}
	if in.MatchBy != nil && *in.MatchBy != MatchExternalID {
		return "", apperr.Field("input.matchBy", "unknown match %q", *in.MatchBy)
	}
	ext, err := upsert.ExternalID("input.externalId", in.ExternalID)
	if err != nil {
		return "", err
	}
	in.ExternalID = &ext
	if err := q.LockContactExternalID(ctx, ext); err != nil {
		return "", err
	}
	return q.ContactWithExternalID(ctx, ext)
}

// UpsertCompanies upserts up to upsert.Max companies, each in a
// transaction of its own: an item's error is its result's and undoes no
// other item. Errors of the whole call (too many inputs, an external id
// twice) write nothing; an internal error ends the call, the items before
// it being written (upserting them again is harmless).
func (s *Service) UpsertCompanies(ctx context.Context, ins []CompanyInput) (UpsertCompaniesPayload, error) {
	if _, err := auth.Require(ctx, auth.CreateCRM); err != nil {
		return UpsertCompaniesPayload{}, err
	}
	if err := upsert.CheckBatch(len(ins), upsert.ExternalIDKey(func(i int) *string { return ins[i].ExternalID })); err != nil {
		return UpsertCompaniesPayload{}, err
	}
	rs, err := upsert.Batch(ins, func(i int, in CompanyInput) (CompanyUpsertResult, error) {
		u, err := s.UpsertCompany(ctx, in)
		return CompanyUpsertResult{Index: i, Created: u.Created, Company: &u.Company}, err
	}, func(i int, e *upsert.Error) CompanyUpsertResult { return CompanyUpsertResult{Index: i, Error: e} })
	return UpsertCompaniesPayload{Results: rs}, err
}

// UpsertContacts upserts up to upsert.Max contacts as UpsertCompanies; the
// owners the inputs name are checked in one request for the whole batch.
func (s *Service) UpsertContacts(ctx context.Context, ins []ContactInput) (UpsertContactsPayload, error) {
	caller, err := auth.Require(ctx, auth.CreateCRM)
	if err != nil {
		return UpsertContactsPayload{}, err
	}
	email := upsert.Key{Field: "email", What: "e-mail address", Normal: func(v string) string { return strings.ToLower(strings.TrimSpace(v)) },
		Of: func(i int) *string {
			if ins[i].MatchBy != nil && *ins[i].MatchBy == MatchEmail {
				return ins[i].Email
			}
			return nil
		}}
	if err := upsert.CheckBatch(len(ins), upsert.ExternalIDKey(func(i int) *string { return ins[i].ExternalID }), email); err != nil {
		return UpsertContactsPayload{}, err
	}
	failed, err := s.checkOwners(ctx, caller, ins)
	if err != nil {
		return UpsertContactsPayload{}, err
	}
	rs, err := upsert.Batch(ins, func(i int, in ContactInput) (ContactUpsertResult, error) {
		if err := failed[i]; err != nil {
			return ContactUpsertResult{}, err
		}
		u, err := s.upsertContactIn(ctx, in)
		return ContactUpsertResult{Index: i, Created: u.Created, Contact: &u.Contact}, err
	}, func(i int, e *upsert.Error) ContactUpsertResult { return ContactUpsertResult{Index: i, Error: e} })
	return UpsertContactsPayload{Results: rs}, err
}

// checkOwners checks the owners of a batch's inputs as checkOwner does, the
// references of all of them in one request (one more per owner that is not
// a user of the organisation); it returns the errors of the items whose
// owner fails.
func (s *Service) checkOwners(ctx context.Context, caller auth.Identity, ins []ContactInput) (map[int]error, error) {
	failed := map[int]error{}
	items := map[string][]int{} // the items of each owner to look up
	for i, in := range ins {
		owner := in.OwnerID
		if owner == nil || *owner == "" || *owner == caller.UserID {
			continue
		}
		if err := userID("input.ownerId", owner); err != nil {
			failed[i] = err
			continue
		}
		if err := mayAssign(caller, owner); err != nil {
			failed[i] = err
			continue
		}
		items[*owner] = append(items[*owner], i)
	}
	if s.References == nil {
		return failed, nil
	}
	for len(items) > 0 {
		var rs []refs.Ref
		byField := map[string]string{}
		for owner, is := range items {
			f := fmt.Sprintf("inputs[%d].ownerId", is[0])
			rs = append(rs, refs.To(f, refs.User, &owner))
			byField[f] = owner
		}
		err := s.References.Check(ctx, rs...)
		if err == nil {
			return failed, nil
		}
		e, ok := apperr.As(err)
		owner, known := "", false
		if ok && e.Code == apperr.NotFound {
			owner, known = byField[e.Field]
		}
		if !known {
			return failed, err
		}
		for _, i := range items[owner] {
			failed[i] = refs.NotFound(refs.To("input.ownerId", refs.User, &owner))
		}
		delete(items, owner)
	}
	return failed, nil
}
