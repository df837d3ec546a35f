-- name: InsertDelivery :execrows
-- One delivery per event and endpoint: a redelivered event adds none.
INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload, next_attempt_at)
VALUES (@id, @endpoint_id, @event_id, @event_type, @payload, @next_attempt_at)
ON CONFLICT (event_id, endpoint_id) DO NOTHING;

-- name: ClaimDueDeliveries :many
-- Due deliveries of enabled endpoints, at most per_endpoint of each and
-- none of the endpoints this sender is already busy with, each claimed by
-- one sender: the claim moves next_attempt_at to lease_until, past the
-- attempt's timeout, so a sender that dies mid-attempt leaves the delivery
-- to be retried after the lease instead of lost.
WITH picked AS (
    SELECT d.id, d.endpoint_id
    FROM webhook_endpoints e
    CROSS JOIN LATERAL (
        SELECT w.id, w.endpoint_id FROM webhook_deliveries w
        WHERE w.endpoint_id = e.id AND w.next_attempt_at <= @now::timestamptz
        ORDER BY w.next_attempt_at
        LIMIT @per_endpoint
        FOR UPDATE SKIP LOCKED
    ) d
    WHERE e.enabled AND NOT (e.id = ANY(@busy::text[]))
    LIMIT @max_rows
)
UPDATE webhook_deliveries d SET next_attempt_at = @lease_until::timestamptz
FROM picked p JOIN webhook_endpoints e ON e.id = p.endpoint_id
WHERE d.id = p.id
RETURNING d.id, d.endpoint_id, d.event_id, d.payload, d.attempts, e.url, e.secret, e.previous_secret, e.previous_secret_expires_at;

-- name: InsertAttempt :exec
INSERT INTO webhook_attempts (id, delivery_id, attempted_at, status_code, latency_ms, response_excerpt, error)
VALUES (@id, @delivery_id, @attempted_at, sqlc.narg('status_code'), @latency_ms, @response_excerpt, sqlc.narg('error'));

-- name: DeliverySucceeded :exec
UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1, next_attempt_at = NULL, last_attempt_at = @attempted_at
WHERE id = @id;

-- name: DeliveryRetry :exec
UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = @next_attempt_at, last_attempt_at = @attempted_at
WHERE id = @id;

-- name: DeliveryFailed :exec
UPDATE webhook_deliveries SET status = 'failed', attempts = attempts + 1, next_attempt_at = NULL, last_attempt_at = @attempted_at
WHERE id = @id;

-- name: ReleaseDeliveries :exec
-- Gives back the claimed deliveries this sender could not start.
UPDATE webhook_deliveries SET next_attempt_at = @now WHERE id = ANY(@ids::text[]) AND status = 'pending';

-- name: FailPendingDeliveries :exec
-- A disabled endpoint's pending deliveries fail (they can be replayed).
UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL
WHERE endpoint_id = @endpoint_id AND status = 'pending';

-- name: ListDeliveries :many
-- An endpoint's deliveries, newest first (ULIDs sort by creation), after the
-- cursor's id.
SELECT * FROM webhook_deliveries
WHERE endpoint_id = @endpoint_id
  AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status'))
  AND (sqlc.narg('after')::text IS NULL OR id < sqlc.narg('after'))
ORDER BY id DESC
LIMIT @max_rows;

-- name: CountDeliveries :one
SELECT count(*) FROM webhook_deliveries
WHERE endpoint_id = @endpoint_id AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status'));

-- name: GetDelivery :one
SELECT * FROM webhook_deliveries WHERE id = @id;

-- name: AttemptsOf :many
-- The attempts of a batch of deliveries, newest first in each.
SELECT * FROM webhook_attempts WHERE delivery_id = ANY(@ids::text[]) ORDER BY delivery_id, attempted_at DESC, id DESC;

-- name: ReplayDelivery :one
-- Sends a delivery again, now, whatever became of it.
UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = @now WHERE id = @id RETURNING *;
