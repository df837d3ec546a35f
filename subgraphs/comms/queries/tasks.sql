-- name: InsertTask :one
INSERT INTO tasks (id, title, description, type, status, priority, due_date, reminder_at,
    contact_id, company_id, deal_id, assigned_to, created_by)
VALUES (@id, @title, @description, @type, @status, @priority, @due_date, @reminder_at,
    @contact_id, @company_id, @deal_id, @assigned_to, @created_by)
RETURNING *;

-- name: GetTask :one
SELECT * FROM tasks WHERE id = $1;

-- name: GetTaskForUpdate :one
SELECT * FROM tasks WHERE id = $1 FOR UPDATE;

-- name: GetTasks :many
SELECT * FROM tasks WHERE id = ANY(@ids::text[]);

-- name: UpdateTask :one
UPDATE tasks SET
    title = @title, description = @description, type = @type, status = @status, priority = @priority,
    due_date = @due_date, reminder_at = @reminder_at, reminded_at = @reminded_at,
    contact_id = @contact_id, company_id = @company_id, deal_id = @deal_id, assigned_to = @assigned_to,
    completed_at = @completed_at, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: ListTasks :many
-- Newest first (ULIDs sort by creation); keyset-paginated on id.
SELECT * FROM tasks
WHERE (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
  AND (sqlc.narg(type)::text IS NULL OR type = sqlc.narg(type)::text)
  AND (sqlc.narg(priority)::text IS NULL OR priority = sqlc.narg(priority)::text)
  AND (sqlc.narg(assigned_to)::text IS NULL OR assigned_to = sqlc.narg(assigned_to)::text)
  AND (sqlc.narg(contact_id)::text IS NULL OR contact_id = sqlc.narg(contact_id)::text)
  AND (sqlc.narg(company_id)::text IS NULL OR company_id = sqlc.narg(company_id)::text)
  AND (sqlc.narg(deal_id)::text IS NULL OR deal_id = sqlc.narg(deal_id)::text)
  AND (NOT @overdue::boolean OR (status <> 'completed' AND due_date < now()))
  AND (sqlc.narg(after_id)::text IS NULL OR id < sqlc.narg(after_id)::text)
ORDER BY id DESC
LIMIT @max_rows;

-- name: CountTasks :one
SELECT count(*) FROM tasks
WHERE (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
  AND (sqlc.narg(type)::text IS NULL OR type = sqlc.narg(type)::text)
  AND (sqlc.narg(priority)::text IS NULL OR priority = sqlc.narg(priority)::text)
  AND (sqlc.narg(assigned_to)::text IS NULL OR assigned_to = sqlc.narg(assigned_to)::text)
  AND (sqlc.narg(contact_id)::text IS NULL OR contact_id = sqlc.narg(contact_id)::text)
  AND (sqlc.narg(company_id)::text IS NULL OR company_id = sqlc.narg(company_id)::text)
  AND (sqlc.narg(deal_id)::text IS NULL OR deal_id = sqlc.narg(deal_id)::text)
  AND (NOT @overdue::boolean OR (status <> 'completed' AND due_date < now()));

-- name: ClaimDueReminders :many
-- Due reminders of open tasks, each claimed by one scheduler: rows another
-- transaction holds are skipped, and reminded_at is set in the claiming one.
UPDATE tasks SET reminded_at = now()
WHERE id IN (
    SELECT id FROM tasks
    WHERE reminder_at <= now() AND reminded_at IS NULL AND status <> 'completed'
    ORDER BY reminder_at
    LIMIT @max_rows
    FOR UPDATE SKIP LOCKED)
RETURNING *;
