-- name: InsertInvitation :one
INSERT INTO platform.invitations (id, tenant_id, email, role, token_hash, expires_at, invited_by)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING *;

-- name: GetInvitation :one
SELECT * FROM platform.invitations WHERE tenant_id = $1 AND id = $2;

-- name: PendingInvitationForEmail :one
SELECT * FROM platform.invitations
WHERE tenant_id = $1 AND lower(email) = lower(@email::text) AND status = 'pending' AND expires_at > now()
LIMIT 1;

-- name: ListInvitations :many
-- Newest first, keyset-paginated on (created_at, id). The status filter is on
-- the status as a user sees it: a pending invitation past its expiry is expired.
SELECT * FROM platform.invitations
WHERE tenant_id = @tenant_id
  AND (sqlc.narg(status)::text IS NULL
       OR (sqlc.narg(status)::text = 'expired' AND status = 'pending' AND expires_at <= now())
       OR (sqlc.narg(status)::text = 'pending' AND status = 'pending' AND expires_at > now())
       OR (sqlc.narg(status)::text NOT IN ('expired', 'pending') AND status = sqlc.narg(status)::text))
  AND (sqlc.narg(after_created)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(after_created)::timestamptz, sqlc.narg(after_id)::text))
ORDER BY created_at DESC, id DESC
LIMIT @max_rows;

-- name: CountInvitations :one
SELECT count(*) FROM platform.invitations
WHERE tenant_id = @tenant_id
  AND (sqlc.narg(status)::text IS NULL
       OR (sqlc.narg(status)::text = 'expired' AND status = 'pending' AND expires_at <= now())
       OR (sqlc.narg(status)::text = 'pending' AND status = 'pending' AND expires_at > now())
       OR (sqlc.narg(status)::text NOT IN ('expired', 'pending') AND status = sqlc.narg(status)::text));

-- name: RevokeInvitation :one
UPDATE platform.invitations SET status = 'revoked', revoked_at = now()
WHERE tenant_id = $1 AND id = $2 AND status = 'pending'
RETURNING *;

-- name: ClaimInvitation :one
-- Marks a pending, unexpired invitation accepted and returns it; no row when
-- the token is unknown, used, revoked or expired. The row lock makes two
-- concurrent claims of one token give one acceptance.
UPDATE platform.invitations SET status = 'accepted', accepted_at = now()
WHERE token_hash = $1 AND status = 'pending' AND expires_at > now()
RETURNING *;
