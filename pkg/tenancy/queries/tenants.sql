-- name: InsertTenant :one
INSERT INTO platform.tenants (id, name, subdomain, schema_name, status)
VALUES ($1, $2, $3, $4, 'active')
ON CONFLICT (subdomain) DO NOTHING
RETURNING *;

-- name: GetTenant :one
SELECT * FROM platform.tenants WHERE id = $1;

-- name: GetTenantBySubdomain :one
SELECT * FROM platform.tenants WHERE subdomain = $1;

-- name: UpdateTenantName :one
UPDATE platform.tenants SET name = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: SetTenantStatus :one
UPDATE platform.tenants SET status = $2, updated_at = now() WHERE id = $1 RETURNING *;

-- name: ListTenantIDs :many
SELECT id FROM platform.tenants ORDER BY id;

-- name: SetTenantAPIKeyRateLimit :one
UPDATE platform.tenants SET api_key_rate_limit = sqlc.narg(api_key_rate_limit), updated_at = now() WHERE id = @id RETURNING *;
