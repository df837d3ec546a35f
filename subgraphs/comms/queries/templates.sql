-- name: InsertEmailTemplate :one
INSERT INTO email_templates (id, name, subject, body_html, body_text, category, variables, is_active, created_by)
VALUES (@id, @name, @subject, @body_html, @body_text, @category, @variables, @is_active, @created_by)
RETURNING *;

-- name: GetEmailTemplate :one
SELECT * FROM email_templates WHERE id = $1;

-- name: GetEmailTemplates :many
SELECT * FROM email_templates WHERE id = ANY(@ids::text[]);

-- name: GetEmailTemplateForUpdate :one
SELECT * FROM email_templates WHERE id = $1 FOR UPDATE;

-- name: UpdateEmailTemplate :one
UPDATE email_templates SET
    name = @name, subject = @subject, body_html = @body_html, body_text = @body_text,
    category = @category, variables = @variables, is_active = @is_active, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: ListEmailTemplates :many
SELECT * FROM email_templates
WHERE (sqlc.narg(category)::text IS NULL OR category = sqlc.narg(category)::text)
  AND (NOT @active_only::boolean OR is_active)
ORDER BY lower(name), id;
