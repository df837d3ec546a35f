-- name: InsertUser :one
INSERT INTO users (id, email, password_hash, first_name, last_name, role, status, email_verified, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING *;

-- name: GetUser :one
SELECT * FROM users WHERE id = $1;

-- name: GetUsers :many
SELECT * FROM users WHERE id = ANY(@ids::text[]);

-- name: GetUserByEmail :one
SELECT * FROM users WHERE lower(email) = lower(@email::text);

-- name: ListUsers :many
-- Ordered by name; keyset-paginated on (lower(last_name), lower(first_name), id).
SELECT * FROM users
WHERE (sqlc.narg(role)::text IS NULL OR role = sqlc.narg(role)::text)
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
  AND (sqlc.narg(search)::text IS NULL
       OR lower(first_name) LIKE sqlc.narg(search)::text || '%'
       OR lower(last_name) LIKE sqlc.narg(search)::text || '%'
       OR lower(email) LIKE sqlc.narg(search)::text || '%')
  AND (sqlc.narg(after_id)::text IS NULL
       OR (lower(last_name), lower(first_name), id) > (@after_last::text, @after_first::text, sqlc.narg(after_id)::text))
ORDER BY lower(last_name), lower(first_name), id
LIMIT @max_rows;

-- name: CountUsers :one
SELECT count(*) FROM users
WHERE (sqlc.narg(role)::text IS NULL OR role = sqlc.narg(role)::text)
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
  AND (sqlc.narg(search)::text IS NULL
       OR lower(first_name) LIKE sqlc.narg(search)::text || '%'
       OR lower(last_name) LIKE sqlc.narg(search)::text || '%'
       OR lower(email) LIKE sqlc.narg(search)::text || '%');

-- name: UpdateUser :one
UPDATE users SET
    first_name = coalesce(sqlc.narg(first_name), first_name),
    last_name  = coalesce(sqlc.narg(last_name), last_name),
    role       = coalesce(sqlc.narg(role), role),
    status     = coalesce(sqlc.narg(status), status),
    updated_at = now()
WHERE id = @id
RETURNING *;

-- name: SetPassword :exec
UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1;

-- name: RecordLogin :exec
UPDATE users SET last_login_at = now(), status = CASE WHEN status = 'pending' THEN 'active' ELSE status END
WHERE id = $1;

-- name: MarkEmailVerified :exec
UPDATE users SET email_verified = true, updated_at = now() WHERE id = $1;

-- name: CountActiveAdmins :one
SELECT count(*) FROM users WHERE role = 'admin' AND status <> 'inactive';

-- name: LockActiveAdmins :exec
-- Takes the organisation's admin lock (one advisory lock per tenant schema)
-- until the transaction ends: a change that may remove an admin takes it
-- first, so concurrent ones are serialised and the last-admin check of each
-- sees the others' committed changes. One lock, not the admins' rows: row
-- locks taken by concurrent changes in different orders deadlocked.
SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.admins'));
