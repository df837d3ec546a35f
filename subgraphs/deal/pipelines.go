package deal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opencrm/opencrm/pkg/apperr"
	"github.com/opencrm/opencrm/pkg/auth"
	"github.com/opencrm/opencrm/pkg/tenancy"
	"github.com/opencrm/opencrm/pkg/validate"
	"github.com/opencrm/opencrm/subgraphs/deal/store"
)

// Pipeline is a sales process: an ordered list of stages (the schema's
// Pipeline).
type Pipeline struct {
	ID        string
	Name      string
	IsDefault bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// Stages are in order.
	Stages []Stage
}

// Stage is a step of a pipeline (the schema's Stage).
type Stage struct {
	ID         string
	PipelineID string
	Name       string
	// Position is 0 for the first stage.
	Position int
	// Probability (0 to 100) is what a deal takes when it enters the stage.
	Probability      int
	ForecastCategory ForecastCategory
	IsClosed, IsWon  bool
}

// ForecastCategory is how a stage's deals count in a forecast, spelt as
// stored.
type ForecastCategory string

// Forecast categories of a stage.
const (
	ForecastPipeline ForecastCategory = "pipeline"
	ForecastBestCase ForecastCategory = "best_case"
	ForecastCommit   ForecastCategory = "commit"
	ForecastClosed   ForecastCategory = "closed"
	ForecastOmitted  ForecastCategory = "omitted"
)

func pipelineOf(r store.Pipeline) Pipeline {
	return Pipeline{ID: r.ID, Name: r.Name, IsDefault: r.IsDefault, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func stageOf(r store.Stage) Stage {
	return Stage{ID: r.ID, PipelineID: r.PipelineID, Name: r.Name, Position: r.Position, Probability: r.Probability,
		ForecastCategory: ForecastCategory(r.ForecastCategory), IsClosed: r.IsClosed, IsWon: r.IsWon}
}

// Catalog is every pipeline of a tenant with its stages: a handful of rows,
// read in two statements and kept for a request.
type Catalog struct {
	Pipelines []Pipeline
	stages    map[string]Stage
}

// Stage returns a stage by id.
func (c Catalog) Stage(id string) (Stage, bool) { st, ok := c.stages[id]; return st, ok }

// Pipeline returns a pipeline by id.
func (c Catalog) Pipeline(id string) (Pipeline, bool) {
	for _, p := range c.Pipelines {
		if p.ID == id {
			return p, true
		}
	}
	return Pipeline{}, false
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
		c.Pipelines = append(c.Pipelines, pipelineOf(p))
	}
	for _, r := range sts {
		st := stageOf(r)
		c.stages[st.ID] = st
		if i, ok := idx[st.PipelineID]; ok {
			c.Pipelines[i].Stages = append(c.Pipelines[i].Stages, st)
		}
	}
	return c, nil
}

// Catalog returns the caller's tenant's pipelines and stages.
func (s *Service) Catalog(ctx context.Context) (Catalog, error) {
	return tenancy.Get(ctx, s.store(), auth.ReadCRM, func(q *store.Queries) (Catalog, error) { return loadCatalog(ctx, q) })
}

// StageInput describes a stage of a pipeline (the schema's StageInput); ID
// is nil for a new one.
type StageInput struct {
	ID               *string
	Name             string
	Probability      int
	ForecastCategory ForecastCategory
	IsClosed, IsWon  bool
}

// CreatePipelineInput describes a new pipeline (the schema's
// CreatePipelineInput).
type CreatePipelineInput struct {
	Name      string
	IsDefault bool
	Stages    []StageInput
}

// UpdatePipelineInput are the changes of updatePipeline (the schema's
// UpdatePipelineInput); nil leaves a part as it is.
type UpdatePipelineInput struct {
	Name      *string
	IsDefault *bool
	Stages    []StageInput // nil: keep the stages
}

// CreatePipeline creates a pipeline with its stages (managers, admins).
func (s *Service) CreatePipeline(ctx context.Context, in CreatePipelineInput) (Pipeline, error) {
	caller, err := auth.Require(ctx, auth.ManageSettings)
	if err != nil {
		return Pipeline{}, err
	}
	name, err := validate.Text("input.name", in.Name, 100)
	if err != nil {
		return Pipeline{}, err
	}
	if len(in.Stages) == 0 {
		return Pipeline{}, apperr.Field("input.stages", "a pipeline needs at least one stage")
	}
	var out Pipeline
	err = s.store().In(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		pipelineID := tenancy.NewID()
		if err := clearDefault(ctx, q, in.IsDefault, pipelineID); err != nil {
			return err
		}
		p, err := q.InsertPipeline(ctx, store.InsertPipelineParams{ID: pipelineID, Name: name, IsDefault: in.IsDefault})
		if err != nil {
			return pipelineConflict(err)
		}
		out, err = savePipeline(ctx, q, pipelineOf(p), in.Stages)
		return err
	})
	return out, err
}

// UpdatePipeline renames a pipeline, makes it the default or replaces its
// stages (managers, admins). A stage with deals in it cannot be removed.
func (s *Service) UpdatePipeline(ctx context.Context, pipelineID string, in UpdatePipelineInput) (Pipeline, error) {
	caller, err := auth.Require(ctx, auth.ManageSettings)
	if err != nil {
		return Pipeline{}, err
	}
	if !isID(pipelineID) {
		return Pipeline{}, apperr.Field("id", "%q is not an id", pipelineID)
	}
	name, err := validate.OptionalText("input.name", in.Name, 100)
	if err != nil {
		return Pipeline{}, err
	}
	if in.IsDefault != nil && !*in.IsDefault {
		return Pipeline{}, apperr.Field("input.isDefault", "make another pipeline the default instead")
	}
	if in.Stages != nil && len(in.Stages) == 0 {
		return Pipeline{}, apperr.Field("input.stages", "a pipeline needs at least one stage")
	}
	var out Pipeline
	err = s.store().In(ctx, caller.TenantID, func(q *store.Queries, _ pgx.Tx) error {
		if err := clearDefault(ctx, q, in.IsDefault != nil, pipelineID); err != nil {
			return err
		}
		r, err := q.UpdatePipeline(ctx, store.UpdatePipelineParams{ID: pipelineID, Name: name, IsDefault: in.IsDefault})
		if errors.Is(err, pgx.ErrNoRows) {
			return pipelineNotFound()
		}
		if err != nil {
			return pipelineConflict(err)
		}
		if in.Stages != nil {
			out, err = savePipeline(ctx, q, pipelineOf(r), in.Stages)
			return err
		}
		cat, err := loadCatalog(ctx, q)
		out, _ = cat.Pipeline(r.ID)
		return err
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

// savePipeline sets the stages of p and returns it with them.
func savePipeline(ctx context.Context, q *store.Queries, p Pipeline, stages []StageInput) (Pipeline, error) {
	keep := make([]string, 0, len(stages))
	for i, in := range stages {
		st, err := stageParams(i, p.ID, in)
		if err != nil {
			return p, err
		}
		saved, err := q.UpsertStage(ctx, st)
		if errors.Is(err, pgx.ErrNoRows) {
			return p, apperr.Field(fieldOf(i, "id"), "no stage %q in this pipeline", *in.ID)
		}
		if err != nil {
			return p, err
		}
		keep = append(keep, saved.ID)
		p.Stages = append(p.Stages, stageOf(saved))
	}
	if _, err := q.DeleteStagesExcept(ctx, store.DeleteStagesExceptParams{PipelineID: p.ID, Keep: keep}); err != nil {
		if isForeignKeyViolation(err) {
			return p, apperr.E(apperr.Conflict, "a stage that deals are in cannot be removed: move its deals first")
		}
		return p, err
	}
	return p, nil
}

func fieldOf(i int, name string) string { return fmt.Sprintf("input.stages[%d].%s", i, name) }

func stageParams(i int, pipelineID string, in StageInput) (store.UpsertStageParams, error) {
	p := store.UpsertStageParams{PipelineID: pipelineID, Position: i, IsClosed: in.IsClosed || in.IsWon, IsWon: in.IsWon,
		ForecastCategory: string(in.ForecastCategory)}
	var err error
	if in.ID == nil {
		p.ID = tenancy.NewID()
	} else if p.ID, err = id(fieldOf(i, "id"), *in.ID); err != nil {
		return p, err
	}
	if p.Name, err = validate.Text(fieldOf(i, "name"), in.Name, 100); err != nil {
		return p, err
	}
	if p.Probability, err = probability(fieldOf(i, "probability"), in.Probability); err != nil {
		return p, err
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
