-- name: InsertEmailMessage :one
INSERT INTO email_messages (id, message_id, kind, activity_id, template_id, contact_id, deal_id,
    email_address, subject, body_html, body_text, next_attempt_at, created_by)
VALUES (@id, @message_id, @kind, @activity_id, @template_id, @contact_id, @deal_id,
    @email_address, @subject, @body_html, @body_text, now(), @created_by)
RETURNING *;

-- name: GetEmailMessage :one
SELECT * FROM email_messages WHERE id = $1;

-- name: GetEmailMessageByMessageID :one
SELECT * FROM email_messages WHERE message_id = $1;

-- name: ClaimDueMessages :many
-- Queued messages whose attempt is due, each claimed by one sender: the
-- claim moves next_attempt_at past the send timeout, so a sender that dies
-- mid-send leaves the row to be retried after the lease instead of lost.
UPDATE email_messages SET next_attempt_at = now() + make_interval(secs => @lease_seconds::float8), attempts = attempts + 1
WHERE id IN (
    SELECT id FROM email_messages
    WHERE next_attempt_at <= now()
    ORDER BY next_attempt_at
    LIMIT @max_rows
    FOR UPDATE SKIP LOCKED)
RETURNING *;

-- name: MarkMessageSent :exec
-- Platform messages carry tokens: their bodies are blanked once delivered.
UPDATE email_messages SET status = 'sent', sent_at = now(), next_attempt_at = NULL, last_error = NULL,
    body_html = CASE WHEN kind = 'crm' THEN body_html ELSE '' END,
    body_text = CASE WHEN kind = 'crm' THEN body_text ELSE '' END
WHERE id = $1;

-- name: MarkMessageRetry :exec
UPDATE email_messages SET next_attempt_at = @next_attempt_at, last_error = @last_error WHERE id = @id;

-- name: MarkMessageFailed :exec
UPDATE email_messages SET status = 'failed', next_attempt_at = NULL, last_error = @last_error,
    body_html = CASE WHEN kind = 'crm' THEN body_html ELSE '' END,
    body_text = CASE WHEN kind = 'crm' THEN body_text ELSE '' END
WHERE id = @id;

-- name: RecordOpen :one
-- The first open moves the status on; later ones only count.
UPDATE email_messages SET
    open_count = open_count + 1,
    opened_at = coalesce(opened_at, now()),
    status = CASE WHEN status IN ('queued', 'sent', 'delivered') THEN 'opened' ELSE status END
WHERE id = $1
RETURNING *;

-- name: RecordClick :one
UPDATE email_messages SET
    click_count = click_count + 1,
    opened_at = coalesce(opened_at, now()),
    clicked_at = coalesce(clicked_at, now()),
    status = CASE WHEN status IN ('queued', 'sent', 'delivered', 'opened') THEN 'clicked' ELSE status END
WHERE id = $1
RETURNING *;

-- name: RecordDelivered :one
UPDATE email_messages SET
    delivered_at = coalesce(delivered_at, @at::timestamptz),
    status = CASE WHEN status IN ('queued', 'sent') THEN 'delivered' ELSE status END
WHERE message_id = @message_id
RETURNING *;

-- name: RecordBounced :one
UPDATE email_messages SET bounced_at = coalesce(bounced_at, @at::timestamptz), status = 'bounced',
    next_attempt_at = NULL, last_error = @reason
WHERE message_id = @message_id
RETURNING *;

-- name: UpsertKnownRecord :exec
INSERT INTO known_records (id, kind, email, first_name, last_name, title, owner_id, deleted, updated_at)
VALUES (@id, @kind, @email, @first_name, @last_name, @title, @owner_id, @deleted, now())
ON CONFLICT (id) DO UPDATE SET
    email = EXCLUDED.email, first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
    title = EXCLUDED.title, owner_id = EXCLUDED.owner_id, deleted = EXCLUDED.deleted, updated_at = now();

-- name: GetKnownRecord :one
SELECT * FROM known_records WHERE id = $1 AND kind = $2;

-- name: MoveContactActivities :exec
UPDATE activities SET contact_id = @to_id WHERE contact_id = @from_id;

-- name: MoveContactTasks :exec
UPDATE tasks SET contact_id = @to_id WHERE contact_id = @from_id;
