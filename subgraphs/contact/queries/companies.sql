-- name: GetCompanies :many
SELECT * FROM companies WHERE id = ANY(@ids::text[]);

-- name: GetCompanyForUpdate :one
SELECT * FROM companies WHERE id = $1 FOR UPDATE;

-- name: InsertCompany :one
INSERT INTO companies (id, name, domain, industry, size_category, parent_company_id, street_address, city, state,
                       country, postal_code, phone, website, custom_fields, created_by, external_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
RETURNING *;

-- name: UpdateCompany :one
UPDATE companies SET
    name = $2, domain = $3, industry = $4, size_category = $5, parent_company_id = $6, street_address = $7,
    city = $8, state = $9, country = $10, postal_code = $11, phone = $12, website = $13, custom_fields = $14,
    external_id = $15, updated_at = now()
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

-- name: ListCompanies :many
-- A page of the companies of a filter: ordered by the sort key @sort
-- chooses (k1, k2, k3; the parts an ordering does not use are constants)
-- and id, in @descending order, after the cursor's row (after_id and its
-- keys), with the count of every company of the filter if @want_total
-- (matched is not materialized: the page and the count each read it as a
-- subquery of their own). Each parameter is a constant of the statement's
-- plan, so a filter left NULL (or empty) drops out, the index of the
-- ordering serves the page, and the count is planned only when wanted.
WITH matched AS NOT MATERIALIZED (
    SELECT companies.id, k.k1, k.k2, k.k3
    FROM companies
    CROSS JOIN LATERAL (SELECT
        CASE WHEN @sort::text = 'name' THEN lower(companies.name) ELSE '' END AS k1,
        ''::text AS k2,
        CASE @sort::text WHEN 'created_at' THEN companies.created_at WHEN 'updated_at' THEN companies.updated_at
            ELSE 'epoch'::timestamptz END AS k3) AS k
    WHERE (sqlc.narg(name)::text IS NULL OR lower(companies.name) LIKE sqlc.narg(name)::text)
      AND (sqlc.narg(domain)::text IS NULL OR lower(companies.domain) = lower(sqlc.narg(domain)::text))
      AND (sqlc.narg(industry)::text IS NULL OR lower(companies.industry) = lower(sqlc.narg(industry)::text))
      AND (sqlc.narg(size_category)::text IS NULL OR companies.size_category = sqlc.narg(size_category)::text)
      AND (sqlc.narg(parent_company_id)::text IS NULL OR companies.parent_company_id = sqlc.narg(parent_company_id)::text)
      AND (sqlc.narg(created_by)::text IS NULL OR companies.created_by = sqlc.narg(created_by)::text)
      AND (sqlc.narg(external_id)::text IS NULL OR companies.external_id = sqlc.narg(external_id)::text)
      AND (sqlc.narg(created_after)::timestamptz IS NULL OR companies.created_at >= sqlc.narg(created_after)::timestamptz)
      AND (sqlc.narg(created_before)::timestamptz IS NULL OR companies.created_at < sqlc.narg(created_before)::timestamptz)
      -- Custom fields (the GIN index serves @> and ?&): @contains holds the
      -- string values, @either the number, boolean and null values that may
      -- also be stored as their JSON text, @present the keys that must be there.
      AND (@contains::jsonb = '{}'::jsonb OR companies.custom_fields @> @contains::jsonb)
      AND (cardinality(@present::text[]) = 0 OR companies.custom_fields ?& @present::text[])
      AND NOT EXISTS (SELECT 1 FROM jsonb_each(@either::jsonb) e WHERE (companies.custom_fields -> e.key = e.value
          OR companies.custom_fields -> e.key = to_jsonb(e.value #>> '{}')) IS NOT TRUE)
)
SELECT sqlc.embed(companies), m.k1::text AS k1, m.k2::text AS k2, m.k3::timestamptz AS k3,
    (CASE WHEN @want_total::boolean THEN (SELECT count(*) FROM matched) ELSE 0 END)::bigint AS total
FROM matched m JOIN companies ON companies.id = m.id
WHERE (sqlc.narg(after_id)::text IS NULL
       OR (@descending::boolean AND (m.k1, m.k2, m.k3, m.id) < (@after_k1::text, @after_k2::text, @after_k3::timestamptz, sqlc.narg(after_id)::text))
       OR (NOT @descending::boolean AND (m.k1, m.k2, m.k3, m.id) > (@after_k1::text, @after_k2::text, @after_k3::timestamptz, sqlc.narg(after_id)::text)))
ORDER BY CASE WHEN @descending::boolean THEN m.k1 END DESC, CASE WHEN @descending::boolean THEN m.k3 END DESC,
    CASE WHEN @descending::boolean THEN m.id END DESC,
    m.k1, m.k3, m.id
LIMIT @max_rows;

-- name: LockCompanyExternalID :exec
-- Serializes upserts of one external id, so two concurrent ones cannot both
-- miss the company and insert two.
SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':company-external-id:' || @external_id::text));

-- name: CompanyWithExternalID :one
SELECT id FROM companies WHERE external_id = @external_id::text;
