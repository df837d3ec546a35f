package deal

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/deal/store"
)

// Forecast categories of a stage.
var forecastCategories = map[string]bool{"pipeline": true, "best_case": true, "commit": true, "closed": true, "omitted": true}

// PipelineStages is a pipeline with its stages in order.
type PipelineStages struct {
	Pipeline
	Stages []Stage
}

// Catalog is every pipeline of a tenant with its stages: a handful of rows,
// read in two statements and kept for a request.
type Catalog struct {
	Pipelines []PipelineStages
	stages    map[string]Stage
}

// Stage returns a stage by id.
func (c Catalog) Stage(id string) (Stage, bool) { st, ok := c.stages[id]; return st, ok }

// Pipeline returns a pipeline by id.
func (c Catalog) Pipeline(id string) (PipelineStages, bool) {
	for _, p := range c.Pipelines {
		if p.ID == id {
			return p, true
		}
	}
	return PipelineStages{}, false
}

func loadCatalog(ctx context.Context, q *store.Queries) (Catalog, error) {
	ps, err := q.ListPipelines(ctx)
	if err != nil {
		return Catalog{}, err
	}
	sts, err := q.ListStages(ctx)
	if err != nil {
		return Catalog{}, err
	}
	c := Catalog{stages: make(map[string]Stage, len(sts))}
	idx := map[string]int{}
	for _, p := range ps {
		idx[p.ID] = len(c.Pipelines)
		c.Pipelines = append(c.Pipelines, PipelineStages{Pipeline: p})
	}
	for _, st := range sts {
		c.stages[st.ID] = st
		if i, ok := idx[st.PipelineID]; ok {
			c.Pipelines[i].Stages = append(c.Pipelines[i].Stages, st)
		}
	}
	return c, nil
}

// Catalog returns the caller's tenant's pipelines and stages.
func (s *Service) Catalog(ctx context.Context) (Catalog, error) {
	var c Catalog
	err := s.read(ctx, func(q *store.Queries) (err error) {
		c, err = loadCatalog(ctx, q)
		return err
	})
	return c, err
}

// StageInput describes a stage of a pipeline; ID is empty for a new one.
type StageInput struct {
	ID               string
	Name             string
	Probability      int
	ForecastCategory string
	IsClosed, IsWon  bool
}

// PipelineInput describes a new pipeline.
type PipelineInput struct {
	Name      string
	IsDefault bool
	Stages    []StageInput
}

// PipelineChanges are the changes of UpdatePipeline; nil leaves a part as
// it is.
type PipelineChanges struct {
	Name      *string
	IsDefault *bool
	Stages    []StageInput // nil: keep the stages
}

// CreatePipeline creates a pipeline with its stages (managers, admins).
func (s *Service) CreatePipeline(ctx context.Context, in PipelineInput) (PipelineStages, error) {
	caller, err := auth.Require(ctx, auth.ManageSettings)
	if err != nil {
		return PipelineStages{}, err
	}
	name, err := validate.Text("input.name", in.Name, 100)
	if err != nil {
		return PipelineStages{}, err
	}
	if len(in.Stages) == 0 {
		return PipelineStages{}, apperr.Field("input.stages", "a pipeline needs at least one stage")
	}
	var out PipelineStages
	err = s.inTenant(ctx, caller, func(q *store.Queries, _ pgx.Tx) error {
		pipelineID := tenancy.NewID()
		if err := clearDefault(ctx, q, in.IsDefault, pipelineID); err != nil {
			return err
		}
		p, err := q.InsertPipeline(ctx, store.InsertPipelineParams{ID: pipelineID, Name: name, IsDefault: in.IsDefault})
		if err != nil {
			return pipelineConflict(err)
		}
		return s.savePipeline(ctx, q, p, in.Stages, &out)
	})
	return out, err
}

// UpdatePipeline renames a pipeline, makes it the default or replaces its
// stages (managers, admins). A stage with deals in it cannot be removed.
func (s *Service) UpdatePipeline(ctx context.Context, pipelineID string, c PipelineChanges) (PipelineStages, error) {
	caller, err := auth.Require(ctx, auth.ManageSettings)
	if err != nil {
		return PipelineStages{}, err
	}
	if !isID(pipelineID) {
		return PipelineStages{}, apperr.Field("id", "%q is not an id", pipelineID)
	}
	if c.Name, err = validate.OptionalText("input.name", c.Name, 100); err != nil {
		return PipelineStages{}, err
	}
	if c.IsDefault != nil && !*c.IsDefault {
		return PipelineStages{}, apperr.Field("input.isDefault", "make another pipeline the default instead")
	}
	if c.Stages != nil && len(c.Stages) == 0 {
		return PipelineStages{}, apperr.Field("input.stages", "a pipeline needs at least one stage")
	}
	var out PipelineStages
	err = s.inTenant(ctx, caller, func(q *store.Queries, _ pgx.Tx) error {
		if err := clearDefault(ctx, q, c.IsDefault != nil, pipelineID); err != nil {
			return err
		}
		p, err := q.UpdatePipeline(ctx, store.UpdatePipelineParams{ID: pipelineID, Name: c.Name, IsDefault: c.IsDefault})
		if errors.Is(err, pgx.ErrNoRows) {
			return pipelineNotFound()
		}
		if err != nil {
			return pipelineConflict(err)
		}
		stages := c.Stages
		if stages == nil {
			cat, err := loadCatalog(ctx, q)
			if err != nil {
				return err
			}
			cur, _ := cat.Pipeline(p.ID)
			out = PipelineStages{Pipeline: p, Stages: cur.Stages}
			return nil
		}
		return s.savePipeline(ctx, q, p, stages, &out)
	})
	return out, err
}

// clearDefault makes the default pipeline stop being it when another
// becomes the default.
func clearDefault(ctx context.Context, q *store.Queries, newDefault bool, pipelineID string) error {
	if !newDefault {
		return nil
	}
	return q.ClearDefaultPipeline(ctx, pipelineID)
}

// savePipeline sets the stages of p.
func (s *Service) savePipeline(ctx context.Context, q *store.Queries, p Pipeline, stages []StageInput, out *PipelineStages) error {
	*out = PipelineStages{Pipeline: p}
	keep := make([]string, 0, len(stages))
	for i, in := range stages {
		st, err := stageParams(i, p.ID, in)
		if err != nil {
			return err
		}
		saved, err := q.UpsertStage(ctx, st)
		if errors.Is(err, pgx.ErrNoRows) {
			return apperr.Field(fieldOf(i, "id"), "no stage %q in this pipeline", in.ID)
		}
		if err != nil {
			return err
		}
		keep = append(keep, saved.ID)
		out.Stages = append(out.Stages, saved)
	}
	if _, err := q.DeleteStagesExcept(ctx, store.DeleteStagesExceptParams{PipelineID: p.ID, Keep: keep}); err != nil {
		if isForeignKeyViolation(err) {
			return apperr.E(apperr.Conflict, "a stage that deals are in cannot be removed: move its deals first")
		}
		return err
	}
	return nil
}

func fieldOf(i int, name string) string { return fmt.Sprintf("input.stages[%d].%s", i, name) }

func stageParams(i int, pipelineID string, in StageInput) (store.UpsertStageParams, error) {
	p := store.UpsertStageParams{PipelineID: pipelineID, Position: int32(i), IsClosed: in.IsClosed || in.IsWon, IsWon: in.IsWon}
	var err error
	if in.ID == "" {
		p.ID = tenancy.NewID()
	} else if p.ID, err = id(fieldOf(i, "id"), in.ID); err != nil {
		return p, err
	}
	if p.Name, err = validate.Text(fieldOf(i, "name"), in.Name, 100); err != nil {
		return p, err
	}
	if p.Probability, err = probability(fieldOf(i, "probability"), in.Probability); err != nil {
		return p, err
	}
	p.ForecastCategory = strings.ToLower(in.ForecastCategory)
	if !forecastCategories[p.ForecastCategory] {
		return p, apperr.Field(fieldOf(i, "forecastCategory"), "unknown forecast category %q", in.ForecastCategory)
	}
	if in.IsWon && !in.IsClosed {
		return p, apperr.Field(fieldOf(i, "isClosed"), "a won stage is closed")
	}
	return p, nil
}

func pipelineConflict(err error) error {
	if isUniqueViolation(err) {
		return apperr.E(apperr.Conflict, "a pipeline of that name exists")
	}
	return err
}
