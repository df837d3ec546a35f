-- name: SaveActivity :one
-- Inserts an activity or, for an id that exists, stores its changes (its
-- type and creator do not change).
INSERT INTO activities (id, type, subject, description, status, direction, duration_minutes,
    scheduled_at, completed_at, occurred_at, contact_id, company_id, deal_id, owner_id, custom_fields, created_by)
VALUES (@id, @type, @subject, @description, @status, @direction, @duration_minutes,
    @scheduled_at, @completed_at, @occurred_at, @contact_id, @company_id, @deal_id, @owner_id, @custom_fields, @created_by)
ON CONFLICT (id) DO UPDATE SET
    subject = EXCLUDED.subject, description = EXCLUDED.description, status = EXCLUDED.status,
    direction = EXCLUDED.direction, duration_minutes = EXCLUDED.duration_minutes,
    scheduled_at = EXCLUDED.scheduled_at, completed_at = EXCLUDED.completed_at, occurred_at = EXCLUDED.occurred_at,
    contact_id = EXCLUDED.contact_id, company_id = EXCLUDED.company_id, deal_id = EXCLUDED.deal_id,
    owner_id = EXCLUDED.owner_id, custom_fields = EXCLUDED.custom_fields, updated_at = now()
RETURNING *;

-- name: GetActivity :one
SELECT * FROM activities WHERE id = $1;

-- name: GetActivityForUpdate :one
SELECT * FROM activities WHERE id = $1 FOR UPDATE;

-- name: GetActivities :many
SELECT * FROM activities WHERE id = ANY(@ids::text[]);

-- name: DeleteActivity :exec
DELETE FROM activities WHERE id = $1;

-- name: ActivityPages :many
-- Pages of activities, newest first, keyset-paginated on (occurred_at, id)
-- descending: one page of every contact, company or deal of @ids when
-- @parent names that kind, else one page of all (parent ''). A parent's
-- rows after the cursor, up to @max_rows, come with in_page; its first row
-- comes always, so that a parent with an empty page still has its total.
-- The optional filters narrow every page; the parent condition is a CASE on
-- a parameter, which the planner folds into the index of that kind.
SELECT sqlc.embed(activities), p.parent::text AS parent, p.total, (p.after AND p.pos <= @max_rows::int)::boolean AS in_page
FROM (
    SELECT id, occurred_at, parent, after,
        count(*) OVER (PARTITION BY parent) AS total,
        row_number() OVER (PARTITION BY parent ORDER BY occurred_at DESC, id DESC) AS rn,
        count(*) FILTER (WHERE after) OVER (PARTITION BY parent ORDER BY occurred_at DESC, id DESC ROWS UNBOUNDED PRECEDING) AS pos
    FROM (
        SELECT id, occurred_at,
            CASE @parent::text WHEN 'contact' THEN contact_id WHEN 'company' THEN company_id
                WHEN 'deal' THEN deal_id ELSE '' END AS parent,
            (sqlc.narg(after_id)::text IS NULL
             OR (occurred_at, id) < (sqlc.narg(after_at)::timestamptz, sqlc.narg(after_id)::text)) AS after
        FROM activities
        WHERE (sqlc.narg(type)::text IS NULL OR type = sqlc.narg(type)::text)
          AND (sqlc.narg(contact_id)::text IS NULL OR contact_id = sqlc.narg(contact_id)::text)
          AND (sqlc.narg(company_id)::text IS NULL OR company_id = sqlc.narg(company_id)::text)
          AND (sqlc.narg(deal_id)::text IS NULL OR deal_id = sqlc.narg(deal_id)::text)
          AND (sqlc.narg(owner_id)::text IS NULL OR owner_id = sqlc.narg(owner_id)::text)
          AND (sqlc.narg(occurred_from)::timestamptz IS NULL OR occurred_at >= sqlc.narg(occurred_from)::timestamptz)
          AND (sqlc.narg(occurred_to)::timestamptz IS NULL OR occurred_at < sqlc.narg(occurred_to)::timestamptz)
    ) f
    WHERE @parent::text = '' OR parent = ANY(@ids::text[])
) p
JOIN activities ON activities.id = p.id
WHERE (p.after AND p.pos <= @max_rows::int) OR p.rn = 1
ORDER BY p.parent, p.occurred_at DESC, p.id DESC;
