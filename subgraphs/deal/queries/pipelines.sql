-- name: ListPipelines :many
SELECT * FROM pipelines ORDER BY is_default DESC, lower(name), id;

-- name: GetPipeline :one
SELECT * FROM pipelines WHERE id = $1;

-- name: GetDefaultPipeline :one
SELECT * FROM pipelines WHERE is_default;

-- name: ListStages :many
-- Every stage of every pipeline: a tenant has a handful.
SELECT * FROM stages ORDER BY pipeline_id, position;

-- name: InsertPipeline :one
INSERT INTO pipelines (id, name, is_default) VALUES ($1, $2, $3) RETURNING *;

-- name: UpdatePipeline :one
UPDATE pipelines SET
    name       = coalesce(sqlc.narg(name), name),
    is_default = coalesce(sqlc.narg(is_default), is_default),
    updated_at = now()
WHERE id = @id
RETURNING *;

-- name: ClearDefaultPipeline :exec
UPDATE pipelines SET is_default = false, updated_at = now() WHERE is_default AND id <> @keep;

-- name: UpsertStage :one
INSERT INTO stages (id, pipeline_id, name, position, probability, forecast_category, is_closed, is_won)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (id) DO UPDATE SET
    name = excluded.name, position = excluded.position, probability = excluded.probability,
    forecast_category = excluded.forecast_category, is_closed = excluded.is_closed, is_won = excluded.is_won
WHERE stages.pipeline_id = excluded.pipeline_id
RETURNING *;

-- name: DeleteStagesExcept :many
-- Removes the pipeline's stages not kept; a stage deals are in is kept by
-- the foreign key, which the caller reports as a conflict.
DELETE FROM stages WHERE pipeline_id = @pipeline_id AND NOT (id = ANY(@keep::text[])) RETURNING id;
