-- name: DueTenants :many
-- The tenants with work due in a queue, the longest waiting first.
SELECT tenant_id FROM platform.due_work
WHERE queue = @queue AND due_at <= now()
ORDER BY due_at
LIMIT @max_rows;
