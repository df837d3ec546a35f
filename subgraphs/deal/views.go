package deal

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/subgraphs/deal/store"
)

// MaxDealsPerStage bounds the deals a pipeline view lists per stage.
const MaxDealsPerStage = 500

// cents is zero with the scale of money: "0.00".
var cents = decimal.New(0, -2)

// inCents gives a NUMERIC read from the database the two decimals of money
// (the minor unit, two for every currency here): pgx reads a zero without
// its scale, which would show as "0" instead of "0.00".
func inCents(d decimal.Decimal) decimal.Decimal { return d.Round(2) }

// PipelineView is the board of a pipeline (the schema's PipelineView): its
// stages with their deals and sums, computed in the database.
type PipelineView struct {
	Pipeline Pipeline
	Stages   []PipelineStage
	Totals   PipelineTotals
}

// PipelineStage is a stage of a pipeline view: its sums over every deal in
// it, and its newest deals.
type PipelineStage struct {
	Stage     Stage
	DealCount int
	// TotalValue and WeightedValue sum every deal of the stage (not only
	// those listed); the weighted value sums each deal's rounded one.
	TotalValue    decimal.Decimal
	WeightedValue decimal.Decimal
	Deals         []Deal
}

// PipelineTotals are the sums of a pipeline view over every stage.
type PipelineTotals struct {
	TotalDeals         int
	TotalValue         decimal.Decimal
	TotalWeightedValue decimal.Decimal
}

// DealIDs are the ids of the deals the view lists.
func (v PipelineView) DealIDs() []string {
	var ids []string
	for _, st := range v.Stages {
		for _, d := range st.Deals {
			ids = append(ids, d.ID)
		}
	}
	return ids
}

// PipelineView returns a pipeline's board (the default pipeline's when
// pipelineID is nil): per stage the sums computed by the database and the
// newest perStage deals (50 when nil), fetched in one windowed statement.
func (s *Service) PipelineView(ctx context.Context, pipelineID *string, perStage *int) (PipelineView, error) {
	n := 50
	if perStage != nil {
		n = *perStage
	}
	if n < 0 || n > MaxDealsPerStage {
		return PipelineView{}, apperr.Field("dealsPerStage", "dealsPerStage must be between 0 and %d", MaxDealsPerStage)
	}
	pipelineID, err := optionalID("pipelineId", pipelineID)
	if err != nil {
		return PipelineView{}, err
	}
	return tenancy.Get(ctx, s.store(), auth.ReadCRM, func(q *store.Queries) (PipelineView, error) {
		p, err := pipelineOrDefault(ctx, q, pipelineID)
		if err != nil {
			return PipelineView{}, err
		}
		cat, err := loadCatalog(ctx, q)
		if err != nil {
			return PipelineView{}, err
		}
		totals, err := q.StageTotals(ctx, p.ID)
		if err != nil {
			return PipelineView{}, err
		}
		var deals []store.Deal
		if n > 0 {
			if deals, err = q.StageDeals(ctx, store.StageDealsParams{PipelineID: p.ID, PerStage: n}); err != nil {
				return PipelineView{}, err
			}
		}
		return newPipelineView(cat, p.ID, totals, deals), nil
	})
}

func pipelineOrDefault(ctx context.Context, q *store.Queries, pipelineID *string) (store.Pipeline, error) {
	var p store.Pipeline
	var err error
	if pipelineID == nil {
		p, err = q.GetDefaultPipeline(ctx)
	} else {
		p, err = q.GetPipeline(ctx, *pipelineID)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return p, pipelineNotFound()
	}
	return p, err
}

func newPipelineView(cat Catalog, pipelineID string, totals []store.StageTotalsRow, deals []store.Deal) PipelineView {
	v := PipelineView{Totals: PipelineTotals{TotalValue: cents, TotalWeightedValue: cents}}
	v.Pipeline, _ = cat.Pipeline(pipelineID)
	idx := map[string]int{}
	for _, t := range totals {
		st, _ := cat.Stage(t.StageID)
		idx[t.StageID] = len(v.Stages)
		v.Stages = append(v.Stages, PipelineStage{Stage: st, DealCount: t.DealCount,
			TotalValue: inCents(t.TotalValue), WeightedValue: inCents(t.WeightedValue)})
		v.Totals.TotalDeals += t.DealCount
		v.Totals.TotalValue = v.Totals.TotalValue.Add(t.TotalValue)
		v.Totals.TotalWeightedValue = v.Totals.TotalWeightedValue.Add(t.WeightedValue)
	}
	for _, d := range deals {
		i := idx[d.StageID]
		v.Stages[i].Deals = append(v.Stages[i].Deals, dealOf(d))
	}
	return v
}

// ForecastGrouping is what a forecast's rows group deals by.
type ForecastGrouping string

// Forecast groupings.
const (
	GroupByMonth    ForecastGrouping = "month"
	GroupByOwner    ForecastGrouping = "owner"
	GroupByCategory ForecastGrouping = "category"
)

// Forecast is the expected revenue of a period (the schema's Forecast):
// open deals by expected close date, won deals by actual close date.
type Forecast struct {
	From, To time.Time
	GroupBy  ForecastGrouping
	// Rows are one per group and currency, Totals one per currency: values
	// of different currencies are never added.
	Rows, Totals []ForecastRow
}

// ForecastRow is one group of a forecast in one currency (the schema's
// ForecastRow).
type ForecastRow struct {
	// Key is YYYY-MM, an owner's user id or a forecast category's GraphQL
	// name (PIPELINE, ...); TOTAL in totals.
	Key string
	// Owner is the owner when grouped by owner.
	Owner           *User
	Currency        string
	OpenDealCount   int
	UnweightedValue decimal.Decimal
	// WeightedValue sums each open deal's weighted value, rounded to cents.
	WeightedValue  decimal.Decimal
	ClosedWonCount int
	ClosedWonValue decimal.Decimal
}

// Forecast sums the deals expected to close (open deals, by expected close
// date, weighted by probability) and won (by actual close date) from from
// to to, grouped by month, owner or forecast category and by currency.
func (s *Service) Forecast(ctx context.Context, from, to time.Time, groupBy ForecastGrouping) (Forecast, error) {
	if to.Before(from) {
		return Forecast{}, apperr.Field("to", "to is before from")
	}
	if to.Sub(from) > 10*366*24*time.Hour {
		return Forecast{}, apperr.Field("to", "a forecast spans at most 10 years")
	}
	rows, err := tenancy.Get(ctx, s.store(), auth.ReadCRM, func(q *store.Queries) ([]store.ForecastRow, error) {
		return q.Forecast(ctx, store.ForecastParams{GroupBy: string(groupBy), FromDate: from, ToDate: to})
	})
	if err != nil {
		return Forecast{}, err
	}
	f := Forecast{From: from, To: to, GroupBy: groupBy, Rows: make([]ForecastRow, len(rows))}
	idx := map[string]int{}
	for i, r := range rows {
		f.Rows[i] = ForecastRow{Key: r.Bucket, Currency: r.Currency, OpenDealCount: r.OpenCount, UnweightedValue: inCents(r.OpenValue),
			WeightedValue: inCents(r.WeightedValue), ClosedWonCount: r.WonCount, ClosedWonValue: inCents(r.WonValue)}
		if groupBy == GroupByOwner {
			f.Rows[i].Owner = &User{ID: r.Bucket}
		}
		j, ok := idx[r.Currency]
		if !ok {
			j, idx[r.Currency] = len(f.Totals), len(f.Totals)
			f.Totals = append(f.Totals, ForecastRow{Key: "TOTAL", Currency: r.Currency,
				UnweightedValue: cents, WeightedValue: cents, ClosedWonValue: cents})
		}
		f.Totals[j].add(f.Rows[i])
	}
	return f, nil
}

// add adds a row of the same currency to t.
func (t *ForecastRow) add(r ForecastRow) {
	t.OpenDealCount += r.OpenDealCount
	t.UnweightedValue = t.UnweightedValue.Add(r.UnweightedValue)
	t.WeightedValue = t.WeightedValue.Add(r.WeightedValue)
	t.ClosedWonCount += r.ClosedWonCount
	t.ClosedWonValue = t.ClosedWonValue.Add(r.ClosedWonValue)
}
