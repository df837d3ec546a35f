// Package graph is the deal subgraph's GraphQL layer: resolvers parse
// arguments, call the deal service and map its values to the schema's
// types; list fields go through per-operation dataloaders (loaders.go).
// Generated files (generated.go, federation.go, model/) are gqlgen's.
package graph

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"math"
	"strings"
	"time"

	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/page"
	"github.com/opencrm/opencrm/subgraphs/deal"
	"github.com/opencrm/opencrm/subgraphs/deal/graph/model"
)

// Resolver holds the subgraph's dependencies.
type Resolver struct {
	Service *deal.Service
}

// now is the clock of the calculated fields.
var now = time.Now

func toDeal(d *deal.Deal) *model.Deal {
	if d == nil {
		return nil
	}
	m := &model.Deal{
		ID: d.ID, Title: d.Title, Description: d.Description, Value: d.Value, Currency: d.Currency,
		Probability: int(d.Probability),
		// Stage and pipeline carry their ids to their resolvers.
		Stage: &model.Stage{ID: d.StageID}, Pipeline: &model.Pipeline{ID: d.PipelineID},
		Owner: &model.User{ID: d.OwnerID}, CreatedBy: &model.User{ID: d.CreatedBy},
		ExpectedCloseDate: d.ExpectedCloseDate, ActualCloseDate: d.ActualCloseDate,
		Source: d.Source, CloseReason: d.CloseReason, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		WeightedValue: math.Round(d.Value*float64(d.Probability)) / 100,
		DealAgeDays:   int(now().Sub(d.CreatedAt).Hours() / 24),
	}
	if d.CompanyID != nil {
		m.Company = &model.Company{ID: *d.CompanyID}
	}
	if d.PrimaryContactID != nil {
		m.PrimaryContact = &model.Contact{ID: *d.PrimaryContactID}
	}
	if d.ExpectedCloseDate != nil {
		today := now().UTC().Truncate(24 * time.Hour)
		days := int(math.Round(d.ExpectedCloseDate.Sub(today).Hours() / 24))
		m.DaysUntilClose = &days
	}
	if err := json.Unmarshal(d.CustomFields, &m.CustomFields); err != nil || m.CustomFields == nil {
		m.CustomFields = map[string]any{}
	}
	return m
}

func toStage(st deal.Stage) *model.Stage {
	return &model.Stage{
		ID: st.ID, Name: st.Name, Position: int(st.Position), Probability: int(st.Probability),
		ForecastCategory: model.ForecastCategory(strings.ToUpper(st.ForecastCategory)),
		IsClosed:         st.IsClosed, IsWon: st.IsWon,
	}
}

func toPipeline(p deal.PipelineStages) *model.Pipeline {
	m := &model.Pipeline{ID: p.ID, Name: p.Name, IsDefault: p.IsDefault, Stages: make([]*model.Stage, len(p.Stages))}
	for i, st := range p.Stages {
		m.Stages[i] = toStage(st)
	}
	return m
}

func toConnection(p deal.DealPage, after *string) *model.DealConnection {
	edges := make([]*model.DealEdge, len(p.Deals))
	var start, end *string
	for i := range p.Deals {
		edges[i] = &model.DealEdge{Cursor: p.Cursors[i], Node: toDeal(&p.Deals[i])}
	}
	if n := len(edges); n > 0 {
		start, end = &p.Cursors[0], &p.Cursors[n-1]
	}
	return &model.DealConnection{Edges: edges, TotalCount: int(p.Total),
		PageInfo: &page.Info{HasNextPage: p.HasNext, HasPreviousPage: page.After(after), StartCursor: start, EndCursor: end}}
}

func toForecastRow(r deal.ForecastRow, groupBy model.ForecastGrouping) *model.ForecastRow {
	m := &model.ForecastRow{
		Key: r.Bucket, Currency: strings.TrimSpace(r.Currency), OpenDealCount: int(r.OpenCount),
		UnweightedValue: r.OpenValue, WeightedValue: math.Round(r.WeightedValue*100) / 100,
		ClosedWonCount: int(r.WonCount), ClosedWonValue: r.WonValue,
	}
	switch {
	case r.Bucket == "TOTAL":
	case groupBy == model.ForecastGroupingOwner:
		m.Owner = &model.User{ID: r.Bucket}
	case groupBy == model.ForecastGroupingCategory:
		m.Key = strings.ToUpper(r.Bucket)
	}
	return m
}

func lower[T ~string](v *T) *string {
	if v == nil {
		return nil
	}
	s := strings.ToLower(string(*v))
	return &s
}

func ids[T any](reps []T, id func(T) string) []string {
	out := make([]string, len(reps))
	for i, r := range reps {
		out[i] = id(r)
	}
	return out
}

func dealOrErr(d deal.Deal, err error) (*model.Deal, error) {
	if err != nil {
		return nil, err
	}
	return toDeal(&d), nil
}

// omittable splits an omittable input field into a value and whether it
// was set to null.
func omittable[T any](o graphql.Omittable[*T]) (*T, bool) {
	v, set := o.ValueOK()
	if !set {
		return nil, false
	}
	return v, v == nil
}

func stageInputs(in []*model.StageInput) []deal.StageInput {
	if in == nil {
		return nil
	}
	out := make([]deal.StageInput, len(in))
	for i, s := range in {
		out[i] = deal.StageInput{Name: s.Name, Probability: s.Probability, ForecastCategory: string(s.ForecastCategory),
			IsClosed: s.IsClosed, IsWon: s.IsWon}
		if s.ID != nil {
			out[i].ID = *s.ID
		}
	}
	return out
}

// stubs answers representations of another subgraph's entities that this
// subgraph adds fields to: only their ids, for callers who may read CRM records.
func stubs[R, E any](ctx context.Context, reps []R, stub func(R) E) ([]E, error) {
	if _, err := auth.Require(ctx, auth.ReadCRM); err != nil {
		return nil, err
	}
	out := make([]E, len(reps))
	for i, rep := range reps {
		out[i] = stub(rep)
	}
	return out, nil
}
