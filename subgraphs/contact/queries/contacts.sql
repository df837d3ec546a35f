-- name: GetContacts :many
SELECT * FROM contacts WHERE id = ANY(@ids::text[]);

-- name: GetContactForUpdate :one
SELECT * FROM contacts WHERE id = $1 FOR UPDATE;

-- name: InsertContact :one
INSERT INTO contacts (id, first_name, last_name, email, phone, job_title, company_id, owner_id, status, source,
                      street_address, city, state, country, postal_code, custom_fields, notes, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
RETURNING *;

-- name: UpdateContact :one
UPDATE contacts SET
    first_name = $2, last_name = $3, email = $4, phone = $5, job_title = $6, company_id = $7, owner_id = $8,
    status = $9, source = $10, street_address = $11, city = $12, state = $13, country = $14, postal_code = $15,
    custom_fields = $16, notes = $17, updated_at = now()
WHERE id = $1
RETURNING *;

-- name: DeleteContact :exec
DELETE FROM contacts WHERE id = $1;

-- name: LockEmail :exec
-- Serializes the creation of contacts with one address, so two concurrent
-- creations cannot both miss each other's duplicate.
SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':contact-email:' || lower(@email::text)));

-- name: ContactWithEmail :one
SELECT id FROM contacts WHERE lower(email) = lower(@email::text) AND id <> @not_id::text LIMIT 1;
