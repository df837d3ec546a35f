package deal

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/events"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/deal/store"
)

// MoveDealInput names the stage to move a deal to (the schema's
// MoveDealInput): a stage of the deal's pipeline.
type MoveDealInput struct{ StageID string }

// MoveDeal moves a deal to another stage of its pipeline. The probability
// follows the stage unless it was set by hand; entering a closed stage sets
// the actual close date, leaving one clears it and the close reason.
func (s *Service) MoveDeal(ctx context.Context, dealID string, in MoveDealInput) (Deal, error) {
	stageID, err := id("input.stageId", in.StageID)
	if err != nil {
		return Deal{}, err
	}
	return s.changeDeal(ctx, "id", dealID, func(q *store.Queries, tx pgx.Tx, caller auth.Identity, d Deal) (Deal, error) {
		cat, err := loadCatalog(ctx, q)
		if err != nil {
			return d, err
		}
		to, ok := cat.Stage(stageID)
		if !ok {
			return d, stageNotFound()
		}
		if to.PipelineID != d.PipelineID {
			return d, apperr.Field("input.stageId", "the stage is not a stage of the deal's pipeline")
		}
		return moveTo(ctx, q, tx, caller, cat, d, to, d.CloseReason)
	})
}

// CloseDealInput says how a deal closes (the schema's CloseDealInput): won,
// or lost for a reason.
type CloseDealInput struct {
	Won    bool
	Reason *string
}

// CloseDeal moves a deal to its pipeline's won or lost stage (the first of
// its kind) with a reason, which is required when the deal is lost.
func (s *Service) CloseDeal(ctx context.Context, dealID string, in CloseDealInput) (Deal, error) {
	won := in.Won
	reason, err := validate.OptionalText("input.reason", in.Reason, 255)
	if err != nil {
		return Deal{}, err
	}
	if !won && reason == nil {
		return Deal{}, apperr.Field("input.reason", "say why the deal was lost")
	}
	return s.changeDeal(ctx, "id", dealID, func(q *store.Queries, tx pgx.Tx, caller auth.Identity, d Deal) (Deal, error) {
		cat, err := loadCatalog(ctx, q)
		if err != nil {
			return d, err
		}
		pl, _ := cat.Pipeline(d.PipelineID)
		for _, st := range pl.Stages {
			if st.IsClosed && st.IsWon == won {
				return moveTo(ctx, q, tx, caller, cat, d, st, reason)
			}
		}
		return d, apperr.E(apperr.Conflict, "the deal's pipeline has no stage to close it in")
	})
}

// moveTo puts d in stage to, records the move and emits its events:
// deal.stage_changed for every move, deal.closed_won or deal.closed_lost
// when it enters a won or lost stage.
func moveTo(ctx context.Context, q *store.Queries, tx pgx.Tx, caller auth.Identity, cat Catalog, d Deal, to Stage, reason *string) (Deal, error) {
	from, _ := cat.Stage(d.StageID)
	p := store.SetDealStageParams{ID: d.ID, StageID: to.ID, Probability: d.Probability, CloseReason: reason}
	if !d.ProbabilityManual {
		p.Probability = to.Probability
	}
	switch {
	case !to.IsClosed:
		p.CloseReason = nil
	case from.IsClosed && from.IsWon == to.IsWon:
		p.ActualCloseDate = d.ActualCloseDate
	default:
		today := time.Now().UTC().Truncate(24 * time.Hour)
		p.ActualCloseDate = &today
	}
	if from.ID == to.ID {
		p.ActualCloseDate = d.ActualCloseDate
	}
	moved, err := oneDeal(q.SetDealStage(ctx, p))
	if err == nil {
		moved, err = withRead(ctx, q, moved, &cat)
	}
	if err != nil || from.ID == to.ID {
		return moved, err
	}
	if err := q.InsertStageHistory(ctx, store.InsertStageHistoryParams{
		ID: tenancy.NewID(), DealID: d.ID, FromStageID: &from.ID, ToStageID: to.ID, ChangedBy: caller.UserID,
	}); err != nil {
		return moved, err
	}
	data := payload(moved, to, &from)
	if err := events.Emit(ctx, tx, events.DealStageChanged, caller.TenantID, caller.UserID, data); err != nil {
		return moved, err
	}
	switch {
	case to.IsWon && !from.IsWon:
		err = events.Emit(ctx, tx, events.DealClosedWon, caller.TenantID, caller.UserID, data)
	case to.IsClosed && !to.IsWon && (!from.IsClosed || from.IsWon):
		err = events.Emit(ctx, tx, events.DealClosedLost, caller.TenantID, caller.UserID, data)
	}
	return moved, err
}

// payload describes a deal in its stage for events, with the stage it
// left, if any.
func payload(d Deal, st Stage, from *Stage) events.DealPayload {
	// Event payloads carry JSON numbers (events.DealPayload): the value's
	// nearest float64, exact to the cent for every NUMERIC(15,2).
	v, _ := d.Value.Float64()
	prob := float64(d.Probability)
	p := events.DealPayload{
		DealID: d.ID, Title: d.Title, Value: &v, Currency: d.Currency, Probability: &prob,
		PipelineID: d.PipelineID, Stage: st.Name, StageID: st.ID, Won: st.IsWon, Closed: st.IsClosed,
		ContactID: deref(d.PrimaryContactID), CompanyID: deref(d.CompanyID), OwnerID: d.OwnerID,
		ExpectedCloseDate: date(d.ExpectedCloseDate), ActualCloseDate: date(d.ActualCloseDate),
		CloseReason: deref(d.CloseReason),
	}
	if from != nil {
		p.PreviousStage, p.PreviousStageID = from.Name, from.ID
	}
	return p
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func date(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

// optionalDate is date, nil without one.
func optionalDate(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := date(t)
	return &s
}
