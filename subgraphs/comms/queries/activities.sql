-- name: InsertActivity :one
INSERT INTO activities (id, type, subject, description, status, direction, duration_minutes,
    scheduled_at, completed_at, occurred_at, contact_id, company_id, deal_id, owner_id, custom_fields, created_by)
VALUES (@id, @type, @subject, @description, @status, @direction, @duration_minutes,
    @scheduled_at, @completed_at, @occurred_at, @contact_id, @company_id, @deal_id, @owner_id, @custom_fields, @created_by)
RETURNING *;

-- name: GetActivity :one
SELECT * FROM activities WHERE id = $1;

-- name: GetActivityForUpdate :one
SELECT * FROM activities WHERE id = $1 FOR UPDATE;

-- name: GetActivities :many
SELECT * FROM activities WHERE id = ANY(@ids::text[]);

-- name: UpdateActivity :one
UPDATE activities SET
    subject = @subject, description = @description, status = @status, direction = @direction,
    duration_minutes = @duration_minutes, scheduled_at = @scheduled_at, completed_at = @completed_at,
    occurred_at = @occurred_at, contact_id = @contact_id, company_id = @company_id, deal_id = @deal_id,
    owner_id = @owner_id, custom_fields = @custom_fields, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: DeleteActivity :exec
DELETE FROM activities WHERE id = $1;

-- name: ListActivities :many
-- Newest first; keyset-paginated on (occurred_at, id) descending.
SELECT * FROM activities
WHERE (sqlc.narg(type)::text IS NULL OR type = sqlc.narg(type)::text)
  AND (sqlc.narg(contact_id)::text IS NULL OR contact_id = sqlc.narg(contact_id)::text)
  AND (sqlc.narg(company_id)::text IS NULL OR company_id = sqlc.narg(company_id)::text)
  AND (sqlc.narg(deal_id)::text IS NULL OR deal_id = sqlc.narg(deal_id)::text)
  AND (sqlc.narg(owner_id)::text IS NULL OR owner_id = sqlc.narg(owner_id)::text)
  AND (sqlc.narg(occurred_from)::timestamptz IS NULL OR occurred_at >= sqlc.narg(occurred_from)::timestamptz)
  AND (sqlc.narg(occurred_to)::timestamptz IS NULL OR occurred_at < sqlc.narg(occurred_to)::timestamptz)
  AND (sqlc.narg(after_id)::text IS NULL
       OR (occurred_at, id) < (@after_at::timestamptz, sqlc.narg(after_id)::text))
ORDER BY occurred_at DESC, id DESC
LIMIT @max_rows;

-- name: CountActivities :one
SELECT count(*) FROM activities
WHERE (sqlc.narg(type)::text IS NULL OR type = sqlc.narg(type)::text)
  AND (sqlc.narg(contact_id)::text IS NULL OR contact_id = sqlc.narg(contact_id)::text)
  AND (sqlc.narg(company_id)::text IS NULL OR company_id = sqlc.narg(company_id)::text)
  AND (sqlc.narg(deal_id)::text IS NULL OR deal_id = sqlc.narg(deal_id)::text)
  AND (sqlc.narg(owner_id)::text IS NULL OR owner_id = sqlc.narg(owner_id)::text)
  AND (sqlc.narg(occurred_from)::timestamptz IS NULL OR occurred_at >= sqlc.narg(occurred_from)::timestamptz)
  AND (sqlc.narg(occurred_to)::timestamptz IS NULL OR occurred_at < sqlc.narg(occurred_to)::timestamptz);
