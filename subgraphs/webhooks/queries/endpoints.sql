-- name: InsertEndpoint :one
INSERT INTO webhook_endpoints (id, url, description, event_types, filter, enabled, secret, created_by)
VALUES (@id, @url, @description, @event_types, sqlc.narg('filter'), @enabled, @secret, sqlc.narg('created_by'))
RETURNING *;

-- name: ListEndpoints :many
SELECT * FROM webhook_endpoints ORDER BY id;

-- name: GetEndpoint :one
SELECT * FROM webhook_endpoints WHERE id = @id;

-- name: GetEndpoints :many
SELECT * FROM webhook_endpoints WHERE id = ANY(@ids::text[]);

-- name: UpdateEndpoint :one
-- Fields left NULL keep their value. Enabling an endpoint clears why it was
-- disabled and its failure streak.
UPDATE webhook_endpoints SET
    url = coalesce(sqlc.narg('url'), url),
    description = coalesce(sqlc.narg('description'), description),
    event_types = coalesce(sqlc.narg('event_types'), event_types),
    filter = CASE WHEN @set_filter::boolean THEN sqlc.narg('filter') ELSE filter END,
    enabled = coalesce(sqlc.narg('enabled'), enabled),
    disabled_reason = CASE WHEN sqlc.narg('enabled')::boolean THEN NULL ELSE disabled_reason END,
    failing_since = CASE WHEN sqlc.narg('enabled')::boolean THEN NULL ELSE failing_since END,
    updated_at = now()
WHERE id = @id
RETURNING *;

-- name: DeleteEndpoint :one
DELETE FROM webhook_endpoints WHERE id = @id RETURNING id;

-- name: RotateSecret :one
-- The current secret becomes the previous one, which keeps signing until
-- previous_expires_at.
UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = @previous_expires_at,
    secret = @secret, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: EnabledEndpoints :many
-- What the consumer matches an event against.
SELECT id, event_types, filter FROM webhook_endpoints WHERE enabled ORDER BY id;

-- name: EndpointSucceeded :exec
UPDATE webhook_endpoints SET failing_since = NULL WHERE id = @id AND failing_since IS NOT NULL;

-- name: EndpointFailed :one
-- Starts or continues the endpoint's failure streak; answers when it began.
UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, @now) WHERE id = @id
RETURNING failing_since::timestamptz;

-- name: DisableEndpoint :exec
UPDATE webhook_endpoints SET enabled = false, disabled_reason = @reason, updated_at = now() WHERE id = @id;
