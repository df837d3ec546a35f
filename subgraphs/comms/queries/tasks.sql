-- name: SaveTask :one
-- Inserts a task or, for an id that exists, stores its changes (its creator
-- does not change).
INSERT INTO tasks (id, title, description, type, status, priority, due_date, reminder_at, reminded_at,
    contact_id, company_id, deal_id, assigned_to, completed_at, created_by)
VALUES (@id, @title, @description, @type, @status, @priority, @due_date, @reminder_at, @reminded_at,
    @contact_id, @company_id, @deal_id, @assigned_to, @completed_at, @created_by)
ON CONFLICT (id) DO UPDATE SET
    title = EXCLUDED.title, description = EXCLUDED.description, type = EXCLUDED.type, status = EXCLUDED.status,
    priority = EXCLUDED.priority, due_date = EXCLUDED.due_date, reminder_at = EXCLUDED.reminder_at,
    reminded_at = EXCLUDED.reminded_at, contact_id = EXCLUDED.contact_id, company_id = EXCLUDED.company_id,
    deal_id = EXCLUDED.deal_id, assigned_to = EXCLUDED.assigned_to, completed_at = EXCLUDED.completed_at,
    updated_at = now()
RETURNING *;

-- name: GetTask :one
SELECT * FROM tasks WHERE id = $1;

-- name: GetTaskForUpdate :one
SELECT * FROM tasks WHERE id = $1 FOR UPDATE;

-- name: GetTasks :many
SELECT * FROM tasks WHERE id = ANY(@ids::text[]);

-- name: TaskPages :many
-- Pages of tasks, newest first (ULIDs sort by creation), keyset-paginated on
-- id: one page of every contact, company, deal or assignee of @ids when
-- @parent names that kind, else one page of all; see ActivityPages.
SELECT sqlc.embed(tasks), p.parent::text AS parent, p.total, (p.after AND p.pos <= @max_rows::int)::boolean AS in_page
FROM (
    SELECT id, parent, after,
        count(*) OVER (PARTITION BY parent) AS total,
        row_number() OVER (PARTITION BY parent ORDER BY id DESC) AS rn,
        count(*) FILTER (WHERE after) OVER (PARTITION BY parent ORDER BY id DESC ROWS UNBOUNDED PRECEDING) AS pos
    FROM (
        SELECT id,
            CASE @parent::text WHEN 'contact' THEN contact_id WHEN 'company' THEN company_id
                WHEN 'deal' THEN deal_id WHEN 'assignee' THEN assigned_to ELSE '' END AS parent,
            (sqlc.narg(after_id)::text IS NULL OR id < sqlc.narg(after_id)::text) AS after
        FROM tasks
        WHERE (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
          AND (sqlc.narg(type)::text IS NULL OR type = sqlc.narg(type)::text)
          AND (sqlc.narg(priority)::text IS NULL OR priority = sqlc.narg(priority)::text)
          AND (sqlc.narg(assigned_to)::text IS NULL OR assigned_to = sqlc.narg(assigned_to)::text)
          AND (sqlc.narg(contact_id)::text IS NULL OR contact_id = sqlc.narg(contact_id)::text)
          AND (sqlc.narg(company_id)::text IS NULL OR company_id = sqlc.narg(company_id)::text)
          AND (sqlc.narg(deal_id)::text IS NULL OR deal_id = sqlc.narg(deal_id)::text)
          AND (NOT coalesce(sqlc.narg(overdue)::boolean, false) OR (status <> 'completed' AND due_date < now()))
    ) f
    WHERE @parent::text = '' OR parent = ANY(@ids::text[])
) p
JOIN tasks ON tasks.id = p.id
WHERE (p.after AND p.pos <= @max_rows::int) OR p.rn = 1
ORDER BY p.parent, p.id DESC;

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
