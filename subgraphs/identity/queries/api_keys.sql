-- name: InsertAPIKey :one
INSERT INTO api_keys (id, name, prefix, secret_hash, role, scopes, created_by, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING *;

-- name: ListAPIKeys :many
-- Newest first, keyset-paginated on (created_at, id), each with its creator.
SELECT sqlc.embed(api_keys), sqlc.embed(users)
FROM api_keys JOIN users ON users.id = api_keys.created_by
WHERE sqlc.narg(after_id)::text IS NULL
   OR (api_keys.created_at, api_keys.id) < (@after_created::timestamptz, sqlc.narg(after_id)::text)
ORDER BY api_keys.created_at DESC, api_keys.id DESC
LIMIT @max_rows;

-- name: CountAPIKeys :one
SELECT count(*) FROM api_keys;

-- name: RevokeAPIKey :one
-- Revoking a revoked key keeps its first revocation.
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()), revoked_by = coalesce(revoked_by, @revoked_by)
WHERE id = @id
RETURNING *;

-- name: GetAPIKeyByHash :one
-- The exchange: the key and its creator, in one statement.
SELECT sqlc.embed(api_keys), sqlc.embed(users)
FROM api_keys JOIN users ON users.id = api_keys.created_by
WHERE api_keys.secret_hash = $1;

-- name: TouchAPIKey :exec
-- At most one write a minute per key, however many gateways exchange it.
UPDATE api_keys SET last_used_at = now()
WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute');

-- name: GetAPIKey :one
SELECT * FROM api_keys WHERE id = $1;
