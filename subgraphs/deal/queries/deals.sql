-- name: GetDeal :one
SELECT * FROM deals WHERE id = $1;

-- name: GetDealForUpdate :one
SELECT * FROM deals WHERE id = $1 FOR UPDATE;

-- name: GetDeals :many
SELECT * FROM deals WHERE id = ANY(@ids::text[]);

-- name: ListDeals :many
-- A page of the deals matching the filters, keyset-paginated on (sort key,
-- id), and, when @with_total, how many match in all (the cursor aside; 0
-- when not asked, and the count is then never run). The sort key is one
-- float8 per row (epoch seconds of a time, or the value), chosen by @sort; a
-- date a deal lacks sorts last ascending and first descending, like NULLS
-- LAST/FIRST. float8 only orders: it keeps every numeric(15,2) value apart
-- and in order; the value filters compare the numeric exactly.
WITH matching AS (
    SELECT deals.id, CASE @sort::text
        WHEN 'value' THEN deals.value::float8
        WHEN 'updated_at' THEN extract(epoch FROM deals.updated_at)::float8
        WHEN 'expected_close_date' THEN coalesce(extract(epoch FROM deals.expected_close_date)::float8, 1e300)
        ELSE extract(epoch FROM deals.created_at)::float8 END AS key
    FROM deals
    WHERE (sqlc.narg(pipeline_id)::text IS NULL OR deals.pipeline_id = sqlc.narg(pipeline_id)::text)
      AND (sqlc.narg(stage_id)::text IS NULL OR deals.stage_id = sqlc.narg(stage_id)::text)
      AND (sqlc.narg(owner_id)::text IS NULL OR deals.owner_id = sqlc.narg(owner_id)::text)
      AND (sqlc.narg(company_id)::text IS NULL OR deals.company_id = sqlc.narg(company_id)::text)
      AND (sqlc.narg(contact_id)::text IS NULL OR deals.primary_contact_id = sqlc.narg(contact_id)::text
           OR deals.id IN (SELECT deal_id FROM deal_contacts WHERE contact_id = sqlc.narg(contact_id)::text))
      AND (sqlc.narg(status)::text IS NULL OR deals.stage_id IN (SELECT s.id FROM stages s WHERE
            CASE sqlc.narg(status)::text WHEN 'open' THEN NOT s.is_closed WHEN 'won' THEN s.is_won ELSE s.is_closed AND NOT s.is_won END))
      AND (sqlc.narg(external_id)::text IS NULL OR deals.external_id = sqlc.narg(external_id)::text)
      AND (sqlc.narg(search)::text IS NULL OR lower(deals.title) LIKE '%' || sqlc.narg(search)::text || '%')
      AND (sqlc.narg(min_value)::numeric IS NULL OR deals.value >= sqlc.narg(min_value)::numeric)
      AND (sqlc.narg(max_value)::numeric IS NULL OR deals.value <= sqlc.narg(max_value)::numeric)
      AND (sqlc.narg(close_from)::date IS NULL OR deals.expected_close_date >= sqlc.narg(close_from)::date)
      AND (sqlc.narg(close_to)::date IS NULL OR deals.expected_close_date <= sqlc.narg(close_to)::date)
)
SELECT sqlc.embed(deals), m.key::float8 AS sort_key,
       (CASE WHEN @with_total::boolean THEN (SELECT count(*) FROM matching) ELSE 0 END)::bigint AS total
FROM matching AS m
JOIN deals ON deals.id = m.id
WHERE sqlc.narg(after_id)::text IS NULL
   OR (@descending::boolean AND (m.key, m.id) < (@after_key::float8, sqlc.narg(after_id)::text))
   OR (NOT @descending::boolean AND (m.key, m.id) > (@after_key::float8, sqlc.narg(after_id)::text))
ORDER BY CASE WHEN @descending::boolean THEN m.key END DESC,
         CASE WHEN @descending::boolean THEN m.id END DESC,
         m.key, m.id
LIMIT @max_rows;

-- name: InsertDeal :one
-- No row when another deal has the external id (committed, or committed by
-- a concurrent transaction this insert waited for): the caller says
-- CONFLICT or, upserting, changes that deal.
INSERT INTO deals (id, title, description, value, currency, probability, probability_manual,
    pipeline_id, stage_id, company_id, primary_contact_id, owner_id, expected_close_date,
    source, custom_fields, created_by, external_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
ON CONFLICT (external_id) WHERE external_id IS NOT NULL DO NOTHING
RETURNING *;

-- name: UpdateDeal :one
-- Fields left NULL stay; clear_* set an optional field to NULL.
UPDATE deals SET
    title               = coalesce(sqlc.narg(title), title),
    description         = CASE WHEN @clear_description::boolean THEN NULL ELSE coalesce(sqlc.narg(description), description) END,
    value               = coalesce(sqlc.narg(value), value),
    currency            = coalesce(sqlc.narg(currency), currency),
    probability         = coalesce(sqlc.narg(probability), probability),
    probability_manual  = probability_manual OR sqlc.narg(probability)::integer IS NOT NULL,
    company_id          = CASE WHEN @clear_company::boolean THEN NULL ELSE coalesce(sqlc.narg(company_id), company_id) END,
    primary_contact_id  = CASE WHEN @clear_contact::boolean THEN NULL ELSE coalesce(sqlc.narg(primary_contact_id), primary_contact_id) END,
    owner_id            = coalesce(sqlc.narg(owner_id), owner_id),
    expected_close_date = CASE WHEN @clear_expected_close::boolean THEN NULL ELSE coalesce(sqlc.narg(expected_close_date), expected_close_date) END,
    source              = coalesce(sqlc.narg(source), source),
    custom_fields       = coalesce(sqlc.narg(custom_fields), custom_fields),
    external_id         = CASE WHEN @clear_external_id::boolean THEN NULL ELSE coalesce(sqlc.narg(external_id), external_id) END,
    updated_at          = now()
WHERE id = @id
RETURNING *;

-- name: SetDealStage :one
UPDATE deals SET
    stage_id          = @stage_id,
    probability       = @probability,
    actual_close_date = sqlc.narg(actual_close_date),
    close_reason      = sqlc.narg(close_reason),
    updated_at        = now()
WHERE id = @id
RETURNING *;

-- name: DeleteDeal :execrows
DELETE FROM deals WHERE id = $1;

-- name: InsertStageHistory :exec
INSERT INTO deal_stage_history (id, deal_id, from_stage_id, to_stage_id, changed_by)
VALUES ($1, $2, $3, $4, $5);

-- name: ListStageHistory :many
SELECT * FROM deal_stage_history WHERE deal_id = $1 ORDER BY changed_at, id;

-- name: ListDealContacts :many
SELECT * FROM deal_contacts WHERE deal_id = ANY(@deal_ids::text[]) ORDER BY deal_id, created_at, contact_id;

-- name: UpsertDealContact :exec
INSERT INTO deal_contacts (deal_id, contact_id, role) VALUES ($1, $2, $3)
ON CONFLICT (deal_id, contact_id) DO UPDATE SET role = excluded.role;

-- name: DeleteDealContact :execrows
DELETE FROM deal_contacts WHERE deal_id = $1 AND contact_id = $2;

-- name: DealWithExternalID :one
SELECT id FROM deals WHERE external_id = @external_id::text;
