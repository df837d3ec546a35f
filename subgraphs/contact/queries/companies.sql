-- name: GetCompanies :many
SELECT * FROM companies WHERE id = ANY(@ids::text[]);

-- name: GetCompanyForUpdate :one
SELECT * FROM companies WHERE id = $1 FOR UPDATE;

-- name: InsertCompany :one
INSERT INTO companies (id, name, domain, industry, size_category, parent_company_id, street_address, city, state,
                       country, postal_code, phone, website, custom_fields, created_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
RETURNING *;

-- name: UpdateCompany :one
UPDATE companies SET
    name = $2, domain = $3, industry = $4, size_category = $5, parent_company_id = $6, street_address = $7,
    city = $8, state = $9, country = $10, postal_code = $11, phone = $12, website = $13, custom_fields = $14,
    updated_at = now()
WHERE id = $1
RETURNING *;

-- name: DeleteCompany :exec
DELETE FROM companies WHERE id = $1;

-- name: CompanyExists :one
SELECT EXISTS (SELECT 1 FROM companies WHERE id = $1);

-- name: LockHierarchy :exec
-- Serializes changes of the tenant's company tree, so two concurrent
-- changes cannot together make a cycle that each alone would not.
SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':company-hierarchy'));

-- name: IsAncestorOrSelf :one
-- Whether @ancestor is @company or one of its ancestors.
WITH RECURSIVE up (id, parent) AS (
    SELECT c.id, c.parent_company_id FROM companies c WHERE c.id = @company::text
    UNION
    SELECT c.id, c.parent_company_id FROM companies c JOIN up ON c.id = up.parent
)
SELECT EXISTS (SELECT 1 FROM up WHERE up.id = @ancestor::text);

-- name: ChildCompanies :many
SELECT * FROM companies WHERE parent_company_id = ANY(@ids::text[]) ORDER BY lower(name), id;

-- name: Ancestors :many
-- The ancestors of each company, nearest first.
WITH RECURSIVE up (root, id, depth) AS (
    SELECT c.id, c.parent_company_id, 1 FROM companies c
    WHERE c.id = ANY(@ids::text[]) AND c.parent_company_id IS NOT NULL
    UNION ALL
    SELECT up.root, c.parent_company_id, up.depth + 1 FROM up JOIN companies c ON c.id = up.id
    WHERE c.parent_company_id IS NOT NULL AND up.depth < 1000
)
SELECT up.root::text AS root, sqlc.embed(companies) FROM up JOIN companies ON companies.id = up.id
ORDER BY up.root, up.depth;

-- name: Descendants :many
-- The descendants of each company, level by level, by name in a level.
WITH RECURSIVE down (root, id, depth) AS (
    SELECT c.parent_company_id, c.id, 1 FROM companies c WHERE c.parent_company_id = ANY(@ids::text[])
    UNION ALL
    SELECT down.root, c.id, down.depth + 1 FROM down JOIN companies c ON c.parent_company_id = down.id
    WHERE down.depth < 1000
)
SELECT down.root::text AS root, sqlc.embed(companies) FROM down JOIN companies ON companies.id = down.id
ORDER BY down.root, down.depth, lower(companies.name), companies.id;

-- name: DetachContacts :many
UPDATE contacts SET company_id = NULL, updated_at = now() WHERE company_id = $1 RETURNING id;
