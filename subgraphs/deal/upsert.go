package deal

import (
	"context"
	"errors"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/customfields"
	"github.com/opencrm/opencrm/pkg/upsert"
	"github.com/opencrm/opencrm/subgraphs/deal/store"
)

// Upserts create or change the deal found by its external id through the
// same domain functions as createDeal and updateDeal (and moveDeal for a
// stage): the same validation, permissions, reference checks and events.
// Concurrent upserts of one external id make one deal: the insert names
// the external id's unique index in ON CONFLICT DO NOTHING, so the one
// that loses the race inserts nothing, sees the winner's deal (committed:
// the insert waited for it) and changes it instead.

// UpsertDealInput creates or changes the deal with ExternalID (the
// schema's UpsertDealInput): the fields of CreateDealInput (Title is needed
// to create; Value defaults to 0, Currency to USD) with the meaning of
// UpdateDealInput's when the deal exists (nil leaves a field as it is). A
// StageID of an existing deal moves it there (moveDeal); its pipeline
// cannot change.
type UpsertDealInput struct {
	ExternalID                  string
	Title, Description          *string
	Value                       *decimal.Decimal
	Currency                    *string
	Probability                 *int
	PipelineID, StageID         *string
	CompanyID, PrimaryContactID *string
	OwnerID                     *string
	ExpectedCloseDate           *time.Time
	Source                      *string
	CustomFields                customfields.Fields
}

// DealUpsert is the result of an upsert of a deal.
type DealUpsert struct {
	Deal Deal
	// Created is true when the upsert created the deal.
	Created bool
}

// DealUpsertResult is the outcome of an item of a batch: the deal, or the
// item's error.
type DealUpsertResult struct {
	Index   int
	Created bool
	Deal    *Deal
	Error   *upsert.Error
}

// UpsertDealsPayload holds a result per input, in input order.
type UpsertDealsPayload struct {
	Results []DealUpsertResult
}

// creation is the CreateDealInput of in.
func (in UpsertDealInput) creation() (CreateDealInput, error) {
	c := CreateDealInput{Description: in.Description, Value: decimal.Zero, Currency: "USD", Probability: in.Probability,
		PipelineID: in.PipelineID, StageID: in.StageID, CompanyID: in.CompanyID, PrimaryContactID: in.PrimaryContactID,
		OwnerID: in.OwnerID, ExpectedCloseDate: in.ExpectedCloseDate, Source: in.Source, CustomFields: in.CustomFields,
		ExternalID: &in.ExternalID}
	if in.Title == nil {
		return c, apperr.Field("input.title", "creating a deal needs a title")
	}
	c.Title = *in.Title
	if in.Value != nil {
		c.Value = *in.Value
	}
	if in.Currency != nil {
		c.Currency = *in.Currency
	}
	return c, nil
}

// change is the UpdateDealInput of in.
func (in UpsertDealInput) change() UpdateDealInput {
	u := UpdateDealInput{Title: in.Title, Value: in.Value, Currency: in.Currency, Probability: in.Probability,
		OwnerID: in.OwnerID, Source: in.Source, CustomFields: in.CustomFields}
	if in.Description != nil {
		u.Description = graphql.OmittableOf(in.Description)
	}
	if in.CompanyID != nil {
		u.CompanyID = graphql.OmittableOf(in.CompanyID)
	}
	if in.PrimaryContactID != nil {
		u.PrimaryContactID = graphql.OmittableOf(in.PrimaryContactID)
	}
	if in.ExpectedCloseDate != nil {
		u.ExpectedCloseDate = graphql.OmittableOf(in.ExpectedCloseDate)
	}
	return u
}

// UpsertDeal creates the deal with in.ExternalID (as CreateDeal) or
// changes it (as UpdateDeal: FORBIDDEN for one the caller may not change).
func (s *Service) UpsertDeal(ctx context.Context, in UpsertDealInput) (u DealUpsert, err error) {
	caller, err := auth.Require(ctx, auth.CreateCRM)
	if err != nil {
		return u, err
	}
	if in.ExternalID, err = upsert.ExternalID("input.externalId", &in.ExternalID); err != nil {
		return u, err
	}
	if in.PipelineID, err = optionalID("input.pipelineId", in.PipelineID); err != nil {
		return u, err
	}
	if in.StageID, err = optionalID("input.stageId", in.StageID); err != nil {
		return u, err
	}
	// The change's checks are the creation's but for the title: a field
	// either would refuse is refused whichever happens.
	cp, err := changeParams(caller, "", in.change())
	if err != nil {
		return u, err
	}
	create, noCreate := in.creation()
	var p store.InsertDealParams
	if noCreate == nil {
		if p, err = newDealParams(caller, &create); err != nil {
			return u, err
		}
	}
	if err := s.checkReferences(ctx, changeRefs(caller, cp)...); err != nil {
		return u, err
	}
	err = s.store().In(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) error {
		dealID, err := q.DealWithExternalID(ctx, in.ExternalID)
		if errors.Is(err, pgx.ErrNoRows) {
			if noCreate != nil {
				return noCreate
			}
			d, created := newDeal(ctx, q, tx, caller, p, create)
			if !errors.Is(created, errExternalIDTaken) {
				u = DealUpsert{Deal: d, Created: true}
				return created
			}
			// A concurrent upsert created the deal since: change it.
			dealID, err = q.DealWithExternalID(ctx, in.ExternalID)
		}
		if err != nil {
			return err
		}
		cp.ID = dealID
		d, err := changeUpserted(ctx, q, tx, caller, cp, in)
		u = DealUpsert{Deal: d}
		return err
	})
	return u, err
}

// changeUpserted changes the deal an upsert found (cp.ID), in the
// upsert's transaction: as UpdateDeal, then as MoveDeal to in.StageID.
func changeUpserted(ctx context.Context, q *store.Queries, tx pgx.Tx, caller auth.Identity, cp store.UpdateDealParams, in UpsertDealInput) (Deal, error) {
	d, err := lockDeal(ctx, q, cp.ID)
	if err != nil {
		return d, err
	}
	if err := mayWrite(caller, d); err != nil {
		return d, err
	}
	if in.PipelineID != nil && *in.PipelineID != d.PipelineID {
		return d, apperr.Field("input.pipelineId", "a deal stays in its pipeline")
	}
	if d, err = changeDealRow(ctx, q, tx, caller, d, cp); err != nil || in.StageID == nil || *in.StageID == d.StageID {
		return d, err
	}
	cat, _ := d.TransactionCatalog()
	to, ok := cat.Stage(*in.StageID)
	if !ok {
		return d, stageNotFound()
	}
	if to.PipelineID != d.PipelineID {
		return d, apperr.Field("input.stageId", "the stage is not a stage of the deal's pipeline")
	}
	return moveTo(ctx, q, tx, caller, cat, d, to, d.CloseReason)
}

// UpsertDeals upserts up to upsert.Max deals, each in a transaction of its
// own: an item's error is its result's and undoes no other item. Errors of
// the whole call (too many inputs, an external id twice) write nothing.
func (s *Service) UpsertDeals(ctx context.Context, ins []UpsertDealInput) (UpsertDealsPayload, error) {
	if _, err := auth.Require(ctx, auth.CreateCRM); err != nil {
		return UpsertDealsPayload{}, err
	}
	if err := upsert.CheckBatch(len(ins), upsert.ExternalIDKey(func(i int) *string { return &ins[i].ExternalID })); err != nil {
		return UpsertDealsPayload{}, err
	}
	rs, err := upsert.Batch(ins, func(i int, in UpsertDealInput) (DealUpsertResult, error) {
		u, err := s.UpsertDeal(ctx, in)
		return DealUpsertResult{Index: i, Created: u.Created, Deal: &u.Deal}, err
	}, func(i int, e *upsert.Error) DealUpsertResult { return DealUpsertResult{Index: i, Error: e} })
	return UpsertDealsPayload{Results: rs}, err
}
