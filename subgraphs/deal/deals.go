package deal

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/deal/store"
)

// Deal returns a deal of the caller's organisation; another organisation's
// deal is NOT_FOUND, like one that does not exist.
func (s *Service) Deal(ctx context.Context, dealID string) (Deal, error) {
	if !isID(dealID) {
		return Deal{}, apperr.Field("id", "%q is not an id", dealID)
	}
	var d Deal
	err := s.read(ctx, func(q *store.Queries) (err error) {
		d, err = q.GetDeal(ctx, dealID)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Deal{}, dealNotFound()
	}
	return d, err
}

// Deals returns the deals of the given ids in one statement, in the order of
// ids; ids of no deal of the caller's organisation give nil.
func (s *Service) Deals(ctx context.Context, ids []string) ([]*Deal, error) {
	var rows []Deal
	err := s.read(ctx, func(q *store.Queries) (err error) {
		rows, err = q.GetDeals(ctx, ids)
		return err
	})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]*Deal, len(rows))
	for i := range rows {
		byID[rows[i].ID] = &rows[i]
	}
	out := make([]*Deal, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out, nil
}

// DealInput describes a new deal.
type DealInput struct {
	Title                                string
	Description                          *string
	Value                                float64
	Currency                             string
	Probability                          *int
	PipelineID, StageID                  *string
	CompanyID, PrimaryContactID, OwnerID *string
	ExpectedCloseDate                    *time.Time
	Source                               *string
	CustomFields                         map[string]any
}

// CreateDeal creates a deal in an open stage (the first stage of the
// default pipeline unless told otherwise), owned by the caller unless a
// manager or admin names another owner.
func (s *Service) CreateDeal(ctx context.Context, in DealInput) (Deal, error) {
	caller, err := auth.Require(ctx, auth.CreateCRM)
	if err != nil {
		return Deal{}, err
	}
	p, err := newDealParams(caller, in)
	if err != nil {
		return Deal{}, err
	}
	if err := s.checkReferences(ctx, companyRef("input.companyId", p.CompanyID), contactRef("input.primaryContactId", p.PrimaryContactID)); err != nil {
		return Deal{}, err
	}
	var d Deal
	err = s.inTenant(ctx, caller, func(q *store.Queries, tx pgx.Tx) error {
		cat, err := loadCatalog(ctx, q)
		if err != nil {
			return err
		}
		st, err := placeNewDeal(cat, in.PipelineID, in.StageID)
		if err != nil {
			return err
		}
		p.PipelineID, p.StageID = st.PipelineID, st.ID
		if in.Probability == nil {
			p.Probability = st.Probability
		}
		if d, err = q.InsertDeal(ctx, p); err != nil {
			return err
		}
		if err := q.InsertStageHistory(ctx, store.InsertStageHistoryParams{
			ID: tenancy.NewID(), DealID: d.ID, ToStageID: st.ID, ChangedBy: caller.UserID,
		}); err != nil {
			return err
		}
		return events.Emit(ctx, tx, events.DealCreated, caller.TenantID, caller.UserID, payload(d, st, nil))
	})
	return d, err
}

func newDealParams(caller auth.Identity, in DealInput) (store.InsertDealParams, error) {
	p := store.InsertDealParams{ID: tenancy.NewID(), OwnerID: caller.UserID, CreatedBy: caller.UserID, CustomFields: []byte("{}")}
	var err error
	if p.Title, err = validate.Text("input.title", in.Title, 255); err != nil {
		return p, err
	}
	if p.Description, err = validate.OptionalText("input.description", in.Description, 10000); err != nil {
		return p, err
	}
	if p.Value, err = amount("input.value", in.Value); err != nil {
		return p, err
	}
	if p.Currency, err = currency("input.currency", in.Currency); err != nil {
		return p, err
	}
	if in.Probability != nil {
		if p.Probability, err = probability("input.probability", *in.Probability); err != nil {
			return p, err
		}
		p.ProbabilityManual = true
	}
	if in.PipelineID, err = optionalID("input.pipelineId", in.PipelineID); err != nil {
		return p, err
	}
	if in.StageID, err = optionalID("input.stageId", in.StageID); err != nil {
		return p, err
	}
	if p.CompanyID, err = optionalID("input.companyId", in.CompanyID); err != nil {
		return p, err
	}
	if p.PrimaryContactID, err = optionalID("input.primaryContactId", in.PrimaryContactID); err != nil {
		return p, err
	}
	if in.OwnerID != nil {
		if p.OwnerID, err = owner(caller, "input.ownerId", *in.OwnerID); err != nil {
			return p, err
		}
	}
	p.ExpectedCloseDate = in.ExpectedCloseDate
	if p.Source, err = validate.OptionalText("input.source", in.Source, 100); err != nil {
		return p, err
	}
	if in.CustomFields != nil {
		if p.CustomFields, err = json.Marshal(in.CustomFields); err != nil {
			return p, apperr.Field("input.customFields", "custom fields must be a JSON object")
		}
	}
	return p, nil
}

// owner checks a new owner: sales reps may only own deals themselves.
func owner(caller auth.Identity, field, ownerID string) (string, error) {
	v, err := id(field, ownerID)
	if err != nil {
		return "", err
	}
	if v != caller.UserID && !caller.Role.Can(auth.WriteAnyCRM) {
		return "", apperr.E(apperr.Forbidden, "the %s role may not give deals to other users", caller.Role)
	}
	return v, nil
}

// placeNewDeal picks the stage a new deal starts in.
func placeNewDeal(cat Catalog, pipelineID, stageID *string) (Stage, error) {
	var pl PipelineStages
	switch {
	case pipelineID != nil:
		var ok bool
		if pl, ok = cat.Pipeline(*pipelineID); !ok {
			return Stage{}, pipelineNotFound()
		}
	case stageID != nil:
		st, ok := cat.Stage(*stageID)
		if !ok {
			return Stage{}, stageNotFound()
		}
		pl, _ = cat.Pipeline(st.PipelineID)
	default:
		for _, p := range cat.Pipelines {
			if p.IsDefault {
				pl = p
			}
		}
	}
	if stageID == nil {
		for _, st := range pl.Stages {
			if !st.IsClosed {
				return st, nil
			}
		}
		return Stage{}, apperr.E(apperr.Conflict, "the pipeline has no open stage")
	}
	st, ok := cat.Stage(*stageID)
	switch {
	case !ok:
		return Stage{}, stageNotFound()
	case st.PipelineID != pl.ID:
		return Stage{}, apperr.Field("input.stageId", "the stage is not a stage of the deal's pipeline")
	case st.IsClosed:
		return Stage{}, apperr.Field("input.stageId", "a deal starts in an open stage: close it with closeDeal")
	}
	return st, nil
}

// DealChanges are the changes of UpdateDeal; nil leaves a field as it is,
// Clear* set an optional one to null.
type DealChanges struct {
	Title, Description, Currency, Source, OwnerID *string
	Value                                         *float64
	Probability                                   *int
	CompanyID, PrimaryContactID                   *string
	ExpectedCloseDate                             *time.Time
	CustomFields                                  map[string]any
	ClearDescription, ClearCompany, ClearContact  bool
	ClearExpectedCloseDate                        bool
}

// UpdateDeal changes a deal: its owner (sales reps), managers and admins.
// Only managers and admins give it to another owner.
func (s *Service) UpdateDeal(ctx context.Context, dealID string, c DealChanges) (Deal, error) {
	caller, err := auth.Caller(ctx)
	if err != nil {
		return Deal{}, err
	}
	p, err := changeParams(caller, dealID, c)
	if err != nil {
		return Deal{}, err
	}
	refs := []reference{companyRef("input.companyId", p.CompanyID), contactRef("input.primaryContactId", p.PrimaryContactID)}
	return s.changeDealReferring(ctx, "id", dealID, refs, func(q *store.Queries, _ pgx.Tx, _ auth.Identity, _ Deal) (Deal, error) {
		return q.UpdateDeal(ctx, p)
	})
}

func changeParams(caller auth.Identity, dealID string, c DealChanges) (store.UpdateDealParams, error) {
	p := store.UpdateDealParams{ID: dealID, ClearDescription: c.ClearDescription, ClearCompany: c.ClearCompany,
		ClearContact: c.ClearContact, ClearExpectedClose: c.ClearExpectedCloseDate, ExpectedCloseDate: c.ExpectedCloseDate}
	var err error
	if p.Title, err = validate.OptionalText("input.title", c.Title, 255); err != nil {
		return p, err
	}
	if p.Description, err = validate.OptionalText("input.description", c.Description, 10000); err != nil {
		return p, err
	}
	if c.Value != nil {
		v, err := amount("input.value", *c.Value)
		if err != nil {
			return p, err
		}
		p.Value = &v
	}
	if c.Currency != nil {
		v, err := currency("input.currency", *c.Currency)
		if err != nil {
			return p, err
		}
		p.Currency = &v
	}
	if c.Probability != nil {
		v, err := probability("input.probability", *c.Probability)
		if err != nil {
			return p, err
		}
		p.Probability = &v
	}
	if p.CompanyID, err = optionalID("input.companyId", c.CompanyID); err != nil {
		return p, err
	}
	if p.PrimaryContactID, err = optionalID("input.primaryContactId", c.PrimaryContactID); err != nil {
		return p, err
	}
	if c.OwnerID != nil {
		v, err := owner(caller, "input.ownerId", *c.OwnerID)
		if err != nil {
			return p, err
		}
		p.OwnerID = &v
	}
	if p.Source, err = validate.OptionalText("input.source", c.Source, 100); err != nil {
		return p, err
	}
	if c.CustomFields != nil {
		if p.CustomFields, err = json.Marshal(c.CustomFields); err != nil {
			return p, apperr.Field("input.customFields", "custom fields must be a JSON object")
		}
	}
	return p, nil
}

// DeleteDeal deletes a deal with its contacts and history.
func (s *Service) DeleteDeal(ctx context.Context, dealID string) error {
	_, err := s.changeDeal(ctx, "id", dealID, func(q *store.Queries, _ pgx.Tx, _ auth.Identity, d Deal) (Deal, error) {
		_, err := q.DeleteDeal(ctx, d.ID)
		return d, err
	})
	return err
}

// DealContacts returns the contacts of the given deals (one statement),
// by deal id.
func (s *Service) DealContacts(ctx context.Context, dealIDs []string) (map[string][]DealContact, error) {
	var rows []DealContact
	err := s.read(ctx, func(q *store.Queries) (err error) {
		rows, err = q.ListDealContacts(ctx, dealIDs)
		return err
	})
	out := make(map[string][]DealContact, len(dealIDs))
	for _, r := range rows {
		out[r.DealID] = append(out[r.DealID], r)
	}
	return out, err
}

// Contact roles in a deal.
var contactRoles = map[string]bool{"decision_maker": true, "influencer": true, "user": true, "champion": true,
	"economic_buyer": true, "technical_buyer": true, "other": true}

// AddDealContact gives a contact a role in a deal (or changes its role).
func (s *Service) AddDealContact(ctx context.Context, dealID, contactID, role string) (Deal, error) {
	contactID, err := id("input.contactId", contactID)
	if err != nil {
		return Deal{}, err
	}
	role = strings.ToLower(role)
	if !contactRoles[role] {
		return Deal{}, apperr.Field("input.role", "unknown role %q", role)
	}
	refs := []reference{contactRef("input.contactId", &contactID)}
	return s.changeDealReferring(ctx, "input.dealId", dealID, refs, func(q *store.Queries, _ pgx.Tx, _ auth.Identity, d Deal) (Deal, error) {
		return d, q.UpsertDealContact(ctx, store.UpsertDealContactParams{DealID: d.ID, ContactID: contactID, Role: role})
	})
}

// RemoveDealContact takes a contact off a deal.
func (s *Service) RemoveDealContact(ctx context.Context, dealID, contactID string) (Deal, error) {
	contactID, err := id("input.contactId", contactID)
	if err != nil {
		return Deal{}, err
	}
	return s.changeDeal(ctx, "input.dealId", dealID, func(q *store.Queries, _ pgx.Tx, _ auth.Identity, d Deal) (Deal, error) {
		n, err := q.DeleteDealContact(ctx, store.DeleteDealContactParams{DealID: d.ID, ContactID: contactID})
		if err == nil && n == 0 {
			err = apperr.E(apperr.NotFound, "the contact has no role in this deal")
		}
		return d, err
	})
}
