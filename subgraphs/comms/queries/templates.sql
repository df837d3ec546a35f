-- name: SaveEmailTemplate :one
-- Inserts a template or, for an id that exists, stores its changes; a name
-- another template has fails on email_templates_name.
INSERT INTO email_templates (id, name, subject, body_html, body_text, category, variables, is_active, created_by)
VALUES (@id, @name, @subject, @body_html, @body_text, @category, @variables, @is_active, @created_by)
ON CONFLICT (id) DO UPDATE SET
    name = EXCLUDED.name, subject = EXCLUDED.subject, body_html = EXCLUDED.body_html, body_text = EXCLUDED.body_text,
    category = EXCLUDED.category, variables = EXCLUDED.variables, is_active = EXCLUDED.is_active, updated_at = now()
RETURNING *;

-- name: GetEmailTemplate :one
SELECT * FROM email_templates WHERE id = $1;

-- name: GetEmailTemplateForUpdate :one
SELECT * FROM email_templates WHERE id = $1 FOR UPDATE;

-- name: ListEmailTemplates :many
SELECT * FROM email_templates
WHERE (sqlc.narg(category)::text IS NULL OR category = sqlc.narg(category)::text)
  AND (NOT @active_only::boolean OR is_active)
ORDER BY lower(name), id;
