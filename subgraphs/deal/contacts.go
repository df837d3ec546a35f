package deal

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/loader"
	"github.com/opencrm/opencrm/pkg/refs"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/deal/store"
)

// DealContact is a contact's part in a deal (the schema's DealContact).
type DealContact struct {
	DealID    string
	ContactID string
	Role      DealContactRole
	CreatedAt time.Time
}

// Contact is the contact taking the part (a reference to the contact subgraph).
func (c DealContact) Contact() *Contact { return &Contact{ID: c.ContactID} }

// DealContactRole is a contact's role in a deal, spelt as stored.
type DealContactRole string

// Contact roles in a deal.
const (
	RoleDecisionMaker  DealContactRole = "decision_maker"
	RoleInfluencer     DealContactRole = "influencer"
	RoleUser           DealContactRole = "user"
	RoleChampion       DealContactRole = "champion"
	RoleEconomicBuyer  DealContactRole = "economic_buyer"
	RoleTechnicalBuyer DealContactRole = "technical_buyer"
	RoleOther          DealContactRole = "other"
)

// DealContacts returns the contacts of the given deals (one statement),
// by deal id.
func (s *Service) DealContacts(ctx context.Context, dealIDs []string) (map[string][]DealContact, error) {
	rows, err := tenancy.Get(ctx, s.store(), auth.ReadCRM, func(q *store.Queries) ([]store.DealContact, error) {
		return q.ListDealContacts(ctx, dealIDs)
	})
	return loader.GroupBy(dealContactsOf(rows), func(c DealContact) string { return c.DealID }), err
}

// dealContactsOf is the deal contacts of rows.
func dealContactsOf(rows []store.DealContact) []DealContact {
	out := make([]DealContact, len(rows))
	for i, r := range rows {
		out[i] = DealContact{DealID: r.DealID, ContactID: r.ContactID, Role: DealContactRole(r.Role), CreatedAt: r.CreatedAt}
	}
	return out
}

// AddDealContactInput gives a contact a role in a deal (the schema's
// AddDealContactInput).
type AddDealContactInput struct {
	DealID, ContactID string
	Role              DealContactRole
}

// AddDealContact gives a contact a role in a deal (or changes its role).
func (s *Service) AddDealContact(ctx context.Context, in AddDealContactInput) (Deal, error) {
	contactID, err := id("input.contactId", in.ContactID)
	if err != nil {
		return Deal{}, err
	}
	rs := []refs.Ref{refs.To("input.contactId", refs.Contact, &contactID)}
	return s.changeDealReferring(ctx, "input.dealId", in.DealID, rs, func(q *store.Queries, _ pgx.Tx, _ auth.Identity, d Deal) (Deal, error) {
		if err := q.UpsertDealContact(ctx, store.UpsertDealContactParams{DealID: d.ID, ContactID: contactID, Role: string(in.Role)}); err != nil {
			return d, err
		}
		return withRead(ctx, q, d, nil)
	})
}

// RemoveDealContactInput takes a contact off a deal (the schema's
// RemoveDealContactInput).
type RemoveDealContactInput struct {
	DealID, ContactID string
}

// RemoveDealContact takes a contact off a deal.
func (s *Service) RemoveDealContact(ctx context.Context, in RemoveDealContactInput) (Deal, error) {
	contactID, err := id("input.contactId", in.ContactID)
	if err != nil {
		return Deal{}, err
	}
	return s.changeDeal(ctx, "input.dealId", in.DealID, func(q *store.Queries, _ pgx.Tx, _ auth.Identity, d Deal) (Deal, error) {
		n, err := q.DeleteDealContact(ctx, store.DeleteDealContactParams{DealID: d.ID, ContactID: contactID})
		if err == nil && n == 0 {
			err = apperr.E(apperr.NotFound, "the contact has no role in this deal")
		}
		if err != nil {
			return d, err
		}
		return withRead(ctx, q, d, nil)
	})
}
