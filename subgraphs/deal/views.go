package deal

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/subgraphs/deal/store"
)

// MaxDealsPerStage bounds the deals a pipeline view lists per stage.
const MaxDealsPerStage = 500

// StageView is a stage of a pipeline view: its sums over every deal in it,
// and its newest deals.
type StageView struct {
	Stage         Stage
	DealCount     int64
	TotalValue    float64
	WeightedValue float64
	Deals         []Deal
}

// PipelineView is the board of a pipeline (the seed's PipelineViewResponse).
type PipelineView struct {
	Pipeline PipelineStages
	Stages   []StageView
	// Totals over every stage.
	TotalDeals         int64
	TotalValue         float64
	TotalWeightedValue float64
}

// PipelineView returns a pipeline's board (the default pipeline's when
// pipelineID is nil): per stage the sums computed by the database and the
// newest perStage deals, fetched in one windowed statement.
func (s *Service) PipelineView(ctx context.Context, pipelineID *string, perStage int) (PipelineView, error) {
	if perStage < 0 || perStage > MaxDealsPerStage {
		return PipelineView{}, apperr.Field("dealsPerStage", "dealsPerStage must be between 0 and %d", MaxDealsPerStage)
	}
	pipelineID, err := optionalID("pipelineId", pipelineID)
	if err != nil {
		return PipelineView{}, err
	}
	var v PipelineView
	err = s.read(ctx, func(q *store.Queries) error {
		p, err := pipelineOrDefault(ctx, q, pipelineID)
		if err != nil {
			return err
		}
		cat, err := loadCatalog(ctx, q)
		if err != nil {
			return err
		}
		v.Pipeline, _ = cat.Pipeline(p.ID)
		totals, err := q.StageTotals(ctx, p.ID)
		if err != nil {
			return err
		}
		var deals []store.StageDealsRow
		if perStage > 0 {
			if deals, err = q.StageDeals(ctx, store.StageDealsParams{PipelineID: p.ID, PerStage: int64(perStage)}); err != nil {
				return err
			}
		}
		v.fill(cat, totals, deals)
		return nil
	})
	return v, err
}

func pipelineOrDefault(ctx context.Context, q *store.Queries, pipelineID *string) (Pipeline, error) {
	var p Pipeline
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

func (v *PipelineView) fill(cat Catalog, totals []store.StageTotalsRow, deals []store.StageDealsRow) {
	idx := map[string]int{}
	for _, t := range totals {
		st, _ := cat.Stage(t.StageID)
		idx[t.StageID] = len(v.Stages)
		v.Stages = append(v.Stages, StageView{Stage: st, DealCount: t.DealCount, TotalValue: t.TotalValue, WeightedValue: t.WeightedValue})
		v.TotalDeals += t.DealCount
		v.TotalValue += t.TotalValue
		v.TotalWeightedValue += t.WeightedValue
	}
	for _, d := range deals {
		i := idx[d.Deal.StageID]
		v.Stages[i].Deals = append(v.Stages[i].Deals, d.Deal)
	}
}

// Forecast groupings.
var forecastGroupings = map[string]bool{"month": true, "owner": true, "category": true}

// ForecastRow is one group of a forecast in one currency.
type ForecastRow = store.ForecastRow

// Forecast sums the deals expected to close (open deals, by expected close
// date, weighted by probability) and won (by actual close date) from from
// to to, grouped by month, owner or forecast category and by currency.
func (s *Service) Forecast(ctx context.Context, from, to time.Time, groupBy string) ([]ForecastRow, error) {
	groupBy = strings.ToLower(groupBy)
	if !forecastGroupings[groupBy] {
		return nil, apperr.Field("groupBy", "unknown grouping %q", groupBy)
	}
	if to.Before(from) {
		return nil, apperr.Field("to", "to is before from")
	}
	if to.Sub(from) > 10*366*24*time.Hour {
		return nil, apperr.Field("to", "a forecast spans at most 10 years")
	}
	var rows []ForecastRow
	err := s.read(ctx, func(q *store.Queries) (err error) {
		rows, err = q.Forecast(ctx, store.ForecastParams{GroupBy: groupBy, FromDate: from, ToDate: to})
		return err
	})
	return rows, err
}

// ForecastTotals adds up forecast rows per currency.
func ForecastTotals(rows []ForecastRow) []ForecastRow {
	var out []ForecastRow
	idx := map[string]int{}
	for _, r := range rows {
		i, ok := idx[r.Currency]
		if !ok {
			i = len(out)
			idx[r.Currency] = i
			out = append(out, ForecastRow{Bucket: "TOTAL", Currency: r.Currency})
		}
		t := &out[i]
		t.OpenCount += r.OpenCount
		t.OpenValue += r.OpenValue
		t.WeightedValue += r.WeightedValue
		t.WonCount += r.WonCount
		t.WonValue += r.WonValue
	}
	return out
}
