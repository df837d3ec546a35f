-- name: InsertSession :one
INSERT INTO sessions (id, user_id, family_id, token_hash, expires_at)
VALUES ($1, $2, $3, $4, $5)
RETURNING *;

-- name: RotateSession :one
-- Marks a live refresh token used; no row when it was already rotated,
-- revoked or expired. The row lock makes one of two concurrent uses win.
UPDATE sessions SET rotated_at = now()
WHERE token_hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now()
RETURNING *;

-- name: GetSessionByHash :one
SELECT * FROM sessions WHERE token_hash = $1;

-- name: RevokeFamily :exec
UPDATE sessions SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL;

-- name: RevokeUserSessions :exec
UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL;

-- name: InsertUserToken :exec
INSERT INTO user_tokens (id, user_id, purpose, token_hash, expires_at)
VALUES ($1, $2, $3, $4, $5);

-- name: UseUserToken :one
-- Spends a single-use token; no row when unknown, used or expired.
UPDATE user_tokens SET used_at = now()
WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
RETURNING user_id;
