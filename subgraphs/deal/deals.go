package deal

import (
	"context"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/customfields"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/refs"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/upsert"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/deal/store"
)

// Deal is a sales opportunity moving through the stages of a pipeline (the
// schema's Deal). Its references to other domains are ids; the schema's
// company, primaryContact, owner and createdBy are the methods of the same
// names, and stage, pipeline and contacts are resolved through the
// operation's loaders.
type Deal struct {
	ID          string
	Title       string
	Description *string
	Value       decimal.Decimal
	Currency    string
	Probability int
	// ProbabilityManual says the probability was set by hand, so it no
	// longer follows the stage.
	ProbabilityManual bool
	PipelineID        string
	StageID           string
	CompanyID         *string
	PrimaryContactID  *string
	OwnerID           string
	ExpectedCloseDate *time.Time
	ActualCloseDate   *time.Time
	Source            *string
	CloseReason       *string
	CustomFields      customfields.Fields
	CreatedAt         time.Time
	UpdatedAt         time.Time
	CreatedByID       string
	// ExternalID is the deal's id in another system, unique in the
	// organisation.
	ExternalID *string
	// read is what the transaction of the mutation that returns the deal
	// read of its stage, pipeline and contacts, so the response needs no
	// read after the commit (nil: a deal a query read).
	read *txRead
}

// txRead is what a mutation's transaction read for its response.
type txRead struct {
	catalog  Catalog
	contacts []DealContact
}

// TransactionCatalog is the catalog the transaction of the mutation that
// returned the deal read (ok false for a deal a query read): the stage and
// pipeline of its response, so a read failing after the commit cannot turn
// a committed write into an error.
func (d Deal) TransactionCatalog() (cat Catalog, ok bool) {
	if d.read == nil {
		return Catalog{}, false
	}
	return d.read.catalog, true
}

// TransactionContacts are the deal's contacts as the transaction of the
// mutation that returned it left them (ok false for a deal a query read).
func (d Deal) TransactionContacts() (contacts []DealContact, ok bool) {
	if d.read == nil {
		return nil, false
	}
	return d.read.contacts, true
}

// withRead gives d what its mutation's response shows, read in q's
// transaction: the catalog (cat, when the mutation read it already) and the
// deal's contacts.
func withRead(ctx context.Context, q *store.Queries, d Deal, cat *Catalog) (Deal, error) {
	if cat == nil {
		c, err := loadCatalog(ctx, q)
		if err != nil {
			return d, err
		}
		cat = &c
	}
	rows, err := q.ListDealContacts(ctx, []string{d.ID})
	if err != nil {
		return d, err
	}
	d.read = &txRead{catalog: *cat, contacts: dealContactsOf(rows)}
	return d, nil
}

// dealOf is the deal a row holds.
func dealOf(r store.Deal) Deal {
	return Deal{
		ID: r.ID, Title: r.Title, Description: r.Description, Value: inCents(r.Value), Currency: r.Currency,
		Probability: r.Probability, ProbabilityManual: r.ProbabilityManual, PipelineID: r.PipelineID,
		StageID: r.StageID, CompanyID: r.CompanyID, PrimaryContactID: r.PrimaryContactID, OwnerID: r.OwnerID,
		ExpectedCloseDate: r.ExpectedCloseDate, ActualCloseDate: r.ActualCloseDate, Source: r.Source,
		CloseReason: r.CloseReason, CustomFields: customfields.Decode(r.CustomFields),
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, CreatedByID: r.CreatedBy, ExternalID: r.ExternalID,
	}
}

// now is the clock of the computed fields.
var now = time.Now

// WeightedValue is value × probability / 100, rounded to the currency's
// minor unit (cents: two decimals for every currency) half away from zero.
// Sums of weighted values (pipeline view, forecast) add these rounded
// values, so they match the deals they sum.
func (d Deal) WeightedValue() decimal.Decimal {
	return weighted(d.Value, d.Probability)
}

// weighted is value × probability / 100 in cents, half away from zero, as
// PostgreSQL's round(numeric, 2) computes it in the sums.
func weighted(value decimal.Decimal, probability int) decimal.Decimal {
	return value.Mul(decimal.NewFromInt(int64(probability))).Shift(-2).Round(2)
}

// DealAgeDays is the number of whole days since the deal was created.
func (d Deal) DealAgeDays() int { return int(now().Sub(d.CreatedAt).Hours() / 24) }

// DaysUntilClose is the number of whole days from today to the expected
// close date (negative when overdue); nil without one.
func (d Deal) DaysUntilClose() *int {
	if d.ExpectedCloseDate == nil {
		return nil
	}
	today := now().UTC().Truncate(24 * time.Hour)
	days := int(math.Round(d.ExpectedCloseDate.Sub(today).Hours() / 24))
	return &days
}

// Company is the deal's company (a reference to the contact subgraph), if any.
func (d Deal) Company() *Company { return ref[Company](d.CompanyID) }

// PrimaryContact is the deal's primary contact (a reference to the contact
// subgraph), if any.
func (d Deal) PrimaryContact() *Contact { return ref[Contact](d.PrimaryContactID) }

// Owner is the user who owns the deal (a reference to the identity subgraph).
func (d Deal) Owner() *User { return &User{ID: d.OwnerID} }

// CreatedBy is the user who created the deal.
func (d Deal) CreatedBy() *User { return &User{ID: d.CreatedByID} }

// Deal returns a deal of the caller's organisation; another organisation's
// deal is NOT_FOUND, like one that does not exist.
func (s *Service) Deal(ctx context.Context, dealID string) (Deal, error) {
	if !isID(dealID) {
		return Deal{}, apperr.Field("id", "%q is not an id", dealID)
	}
	return tenancy.Get(ctx, s.store(), auth.ReadCRM, func(q *store.Queries) (Deal, error) {
		return oneDeal(q.GetDeal(ctx, dealID))
	})
}

// Deals returns the deals of the given ids in one statement, by id; ids of
// no deal of the caller's organisation are missing.
func (s *Service) Deals(ctx context.Context, ids []string) ([]Deal, error) {
	return tenancy.Get(ctx, s.store(), auth.ReadCRM, func(q *store.Queries) ([]Deal, error) {
		return dealsOf(q.GetDeals(ctx, ids))
	})
}

// dealsOf is the deals of rows.
func dealsOf(rows []store.Deal, err error) ([]Deal, error) {
	out := make([]Deal, len(rows))
	for i, r := range rows {
		out[i] = dealOf(r)
	}
	return out, err
}

// CreateDealInput describes a new deal (the schema's CreateDealInput).
type CreateDealInput struct {
	Title       string
	Description *string
	Value       decimal.Decimal
	Currency    string
	// Probability defaults to the stage's.
	Probability *int
	// PipelineID defaults to the default pipeline, StageID to its first
	// open stage.
	PipelineID, StageID         *string
	CompanyID, PrimaryContactID *string
	// OwnerID defaults to the caller; only managers and admins name another.
	OwnerID           *string
	ExpectedCloseDate *time.Time
	Source            *string
	CustomFields      customfields.Fields
	// ExternalID is the deal's id in another system (unique in the
	// organisation).
	ExternalID *string
}

// CreateDeal creates a deal in an open stage (the first stage of the
// default pipeline unless told otherwise), owned by the caller unless a
// manager or admin names another owner.
func (s *Service) CreateDeal(ctx context.Context, in CreateDealInput) (Deal, error) {
	caller, err := auth.Require(ctx, auth.CreateCRM)
	if err != nil {
		return Deal{}, err
	}
	p, err := newDealParams(caller, &in)
	if err != nil {
		return Deal{}, err
	}
	if err := s.checkReferences(ctx, newDealRefs(caller, p)...); err != nil {
		return Deal{}, err
	}
	var d Deal
	err = s.store().In(ctx, caller.TenantID, func(q *store.Queries, tx pgx.Tx) (err error) {
		d, err = newDeal(ctx, q, tx, caller, p, in)
		if errors.Is(err, errExternalIDTaken) {
			return externalIDConflict()
		}
		return err
	})
	return d, err
}

// newDealRefs are the references a new deal's row names.
func newDealRefs(caller auth.Identity, p store.InsertDealParams) []refs.Ref {
	return []refs.Ref{refs.To("input.companyId", refs.Company, p.CompanyID),
		refs.To("input.primaryContactId", refs.Contact, p.PrimaryContactID), ownerRef(caller, &p.OwnerID)}
}

// errExternalIDTaken says newDeal inserted nothing: another deal has the
// external id.
var errExternalIDTaken = errors.New("another deal has the external id")

// newDeal is CreateDeal in the caller's transaction, once p (newDealParams
// of in) and its references are checked: it places the deal, inserts it,
// records its first stage and emits deal.created. It answers
// errExternalIDTaken, having written nothing, when another deal has p's
// external id.
func newDeal(ctx context.Context, q *store.Queries, tx pgx.Tx, caller auth.Identity, p store.InsertDealParams, in CreateDealInput) (Deal, error) {
	cat, err := loadCatalog(ctx, q)
	if err != nil {
		return Deal{}, err
	}
	st, err := placeNewDeal(cat, in.PipelineID, in.StageID)
	if err != nil {
		return Deal{}, err
	}
	p.PipelineID, p.StageID = st.PipelineID, st.ID
	if in.Probability == nil {
		p.Probability = st.Probability
	}
	row, err := q.InsertDeal(ctx, p)
	if errors.Is(err, pgx.ErrNoRows) {
		return Deal{}, errExternalIDTaken
	}
	if err != nil {
		return Deal{}, err
	}
	d := dealOf(row)
	d.read = &txRead{catalog: cat, contacts: []DealContact{}} // a new deal has no contacts
	if err := q.InsertStageHistory(ctx, store.InsertStageHistoryParams{
		ID: tenancy.NewID(), DealID: d.ID, ToStageID: st.ID, ChangedBy: caller.UserID,
	}); err != nil {
		return d, err
	}
	return d, events.Emit(ctx, tx, events.DealCreated, caller.TenantID, caller.UserID, payload(d, st, nil))
}

// newDealParams checks a new deal's input (in's pipeline and stage ids are
// normalised in place) and returns the row to insert, but its stage.
func newDealParams(caller auth.Identity, in *CreateDealInput) (store.InsertDealParams, error) {
	p := store.InsertDealParams{ID: tenancy.NewID(), OwnerID: caller.UserID, CreatedBy: caller.UserID}
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
	if p.CustomFields, err = customfields.Encode("input.customFields", in.CustomFields); err != nil {
		return p, err
	}
	if in.ExternalID != nil {
		var ext string
		if ext, err = upsert.ExternalID("input.externalId", in.ExternalID); err == nil {
			p.ExternalID = &ext
		}
	}
	return p, err
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
	var pl Pipeline
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

// UpdateDealInput are the changes of updateDeal (the schema's
// UpdateDealInput): nil leaves a field as it is; the omittable fields set
// to null clear it.
type UpdateDealInput struct {
	Title       *string
	Description graphql.Omittable[*string]
	Value       *decimal.Decimal
	Currency    *string
	// Probability, once set, stops following the stage.
	Probability       *int
	CompanyID         graphql.Omittable[*string]
	PrimaryContactID  graphql.Omittable[*string]
	OwnerID           *string
	ExpectedCloseDate graphql.Omittable[*time.Time]
	Source            *string
	CustomFields      customfields.Fields
	// ExternalID: nil leaves it, "" clears it.
	ExternalID *string
}

// UpdateDeal changes a deal: its owner (sales reps), managers and admins.
// Only managers and admins give it to another owner.
func (s *Service) UpdateDeal(ctx context.Context, dealID string, in UpdateDealInput) (Deal, error) {
	caller, err := auth.Caller(ctx)
	if err != nil {
		return Deal{}, err
	}
	p, err := changeParams(caller, dealID, in)
	if err != nil {
		return Deal{}, err
	}
	return s.changeDealReferring(ctx, "id", dealID, changeRefs(caller, p), func(q *store.Queries, tx pgx.Tx, caller auth.Identity, d Deal) (Deal, error) {
		return changeDealRow(ctx, q, tx, caller, d, p)
	})
}

// changeRefs are the references a change of a deal sets.
func changeRefs(caller auth.Identity, p store.UpdateDealParams) []refs.Ref {
	return []refs.Ref{refs.To("input.companyId", refs.Company, p.CompanyID),
		refs.To("input.primaryContactId", refs.Contact, p.PrimaryContactID), ownerRef(caller, p.OwnerID)}
}

// changeDealRow is UpdateDeal in the caller's transaction, the deal (before)
// locked and the caller's permission checked: another deal's external id is
// a CONFLICT on input.externalId. A change of any field emits deal.updated
// with the fields changed and their old and new values.
func changeDealRow(ctx context.Context, q *store.Queries, tx pgx.Tx, caller auth.Identity, before Deal, p store.UpdateDealParams) (Deal, error) {
	row, err := q.UpdateDeal(ctx, p)
	if isUniqueViolation(err) {
		return Deal{}, externalIDConflict()
	}
	d, err := oneDeal(row, err)
	if err != nil {
		return d, err
	}
	if d, err = withRead(ctx, q, d, nil); err != nil {
		return d, err
	}
	changed, changes := events.Diff(changeFields(before), changeFields(d))
	if len(changed) == 0 {
		return d, nil
	}
	st, _ := d.read.catalog.Stage(d.StageID)
	data := payload(d, st, nil)
	data.Changed, data.Changes = changed, changes
	return d, events.Emit(ctx, tx, events.DealUpdated, caller.TenantID, caller.UserID, data)
}

// changeFields are the fields of a deal updateDeal changes, by the JSON
// names of its events (events.Diff).
func changeFields(d Deal) events.Fields {
	v, _ := d.Value.Float64()
	return events.Fields{
		"title": d.Title, "description": d.Description, "value": v, "currency": d.Currency,
		"probability": d.Probability, "company_id": d.CompanyID, "primary_contact_id": d.PrimaryContactID,
		"owner_id": d.OwnerID, "expected_close_date": optionalDate(d.ExpectedCloseDate), "source": d.Source,
		"custom_fields": d.CustomFields, "external_id": d.ExternalID,
	}
}

func changeParams(caller auth.Identity, dealID string, in UpdateDealInput) (store.UpdateDealParams, error) {
	p := store.UpdateDealParams{ID: dealID}
	description, clear := cleared(in.Description)
	p.ClearDescription = clear
	p.CompanyID, p.ClearCompany = cleared(in.CompanyID)
	p.PrimaryContactID, p.ClearContact = cleared(in.PrimaryContactID)
	p.ExpectedCloseDate, p.ClearExpectedClose = cleared(in.ExpectedCloseDate)
	var err error
	if p.Title, err = validate.OptionalText("input.title", in.Title, 255); err != nil {
		return p, err
	}
	if p.Description, err = validate.OptionalText("input.description", description, 10000); err != nil {
		return p, err
	}
	if p.Value, err = optional(in.Value, func(v decimal.Decimal) (decimal.Decimal, error) { return amount("input.value", v) }); err != nil {
		return p, err
	}
	if p.Currency, err = optional(in.Currency, func(v string) (string, error) { return currency("input.currency", v) }); err != nil {
		return p, err
	}
	if p.Probability, err = optional(in.Probability, func(v int) (int, error) { return probability("input.probability", v) }); err != nil {
		return p, err
	}
	if p.CompanyID, err = optionalID("input.companyId", p.CompanyID); err != nil {
		return p, err
	}
	if p.PrimaryContactID, err = optionalID("input.primaryContactId", p.PrimaryContactID); err != nil {
		return p, err
	}
	if p.OwnerID, err = optional(in.OwnerID, func(v string) (string, error) { return owner(caller, "input.ownerId", v) }); err != nil {
		return p, err
	}
	if p.Source, err = validate.OptionalText("input.source", in.Source, 100); err != nil {
		return p, err
	}
	if in.CustomFields != nil {
		if p.CustomFields, err = customfields.Encode("input.customFields", in.CustomFields); err != nil {
			return p, err
		}
	}
	switch {
	case in.ExternalID == nil:
	case strings.TrimSpace(*in.ExternalID) == "":
		p.ClearExternalID = true
	default:
		var ext string
		if ext, err = upsert.ExternalID("input.externalId", in.ExternalID); err == nil {
			p.ExternalID = &ext
		}
	}
	return p, err
}

// cleared splits an omittable input field into its value and whether it
// was set to null.
func cleared[T any](o graphql.Omittable[*T]) (*T, bool) {
	v, set := o.ValueOK()
	return v, set && v == nil
}

// optional checks an optional input value with check; nil stays nil.
func optional[T any](v *T, check func(T) (T, error)) (*T, error) {
	if v == nil {
		return nil, nil
	}
	out, err := check(*v)
	return &out, err
}

// DeleteDeal deletes a deal with its contacts and history and emits
// deal.deleted, describing the deal as it was.
func (s *Service) DeleteDeal(ctx context.Context, dealID string) error {
	_, err := s.changeDeal(ctx, "id", dealID, func(q *store.Queries, tx pgx.Tx, caller auth.Identity, d Deal) (Deal, error) {
		cat, err := loadCatalog(ctx, q)
		if err != nil {
			return d, err
		}
		if _, err := q.DeleteDeal(ctx, d.ID); err != nil {
			return d, err
		}
		st, _ := cat.Stage(d.StageID)
		return d, events.Emit(ctx, tx, events.DealDeleted, caller.TenantID, caller.UserID, payload(d, st, nil))
	})
	return err
}
