-- name: StageTotals :many
-- Per stage of a pipeline: how many deals, their value and weighted value.
SELECT s.id AS stage_id,
       count(d.id)                                           AS deal_count,
       coalesce(sum(d.value), 0)::float8                     AS total_value,
       coalesce(sum(d.value * d.probability / 100.0), 0)::float8 AS weighted_value
FROM stages s
LEFT JOIN deals d ON d.stage_id = s.id
WHERE s.pipeline_id = @pipeline_id
GROUP BY s.id, s.position
ORDER BY s.position;

-- name: StageDeals :many
-- The newest @per_stage deals of each stage of a pipeline, in one statement.
SELECT sqlc.embed(deals)
FROM (SELECT id, row_number() OVER (PARTITION BY stage_id ORDER BY created_at DESC, id DESC) AS rn
      FROM deals AS p WHERE p.pipeline_id = @pipeline_id) AS w
JOIN deals ON deals.id = w.id
WHERE w.rn <= @per_stage::bigint
ORDER BY deals.stage_id, w.rn;

-- name: Forecast :many
-- Open deals by expected close date (weighted by probability) and won
-- deals by actual close date, grouped by month, owner or forecast category
-- and by currency (values of different currencies are never added).
SELECT (CASE @group_by::text
          WHEN 'month' THEN to_char(CASE WHEN s.is_won THEN d.actual_close_date ELSE d.expected_close_date END, 'YYYY-MM')
          WHEN 'owner' THEN d.owner_id
          ELSE s.forecast_category END)::text                                  AS bucket,
       d.currency::text                                                          AS currency,
       count(*) FILTER (WHERE NOT s.is_closed)                                   AS open_count,
       coalesce(sum(d.value) FILTER (WHERE NOT s.is_closed), 0)::float8          AS open_value,
       coalesce(sum(d.value * d.probability / 100.0) FILTER (WHERE NOT s.is_closed), 0)::float8 AS weighted_value,
       count(*) FILTER (WHERE s.is_won)                                          AS won_count,
       coalesce(sum(d.value) FILTER (WHERE s.is_won), 0)::float8                 AS won_value
FROM deals d
JOIN stages s ON s.id = d.stage_id
WHERE (NOT s.is_closed AND d.expected_close_date BETWEEN @from_date::date AND @to_date::date)
   OR (s.is_won AND d.actual_close_date BETWEEN @from_date::date AND @to_date::date)
GROUP BY 1, 2
ORDER BY 1, 2;

-- name: DealsByOwners :many
-- Pages of deals of several owners in one statement: each owner's first
-- @max_rows deals after the cursor, newest first, with the owner's total.
SELECT sqlc.embed(deals), w.parent_id::text AS parent_id, w.total
FROM (SELECT t.id, t.parent_id, t.total,
             row_number() OVER (PARTITION BY t.parent_id ORDER BY t.created_at DESC, t.id DESC) AS rn
      FROM (SELECT id, owner_id AS parent_id, created_at, count(*) OVER (PARTITION BY owner_id) AS total
            FROM deals WHERE owner_id = ANY(@parent_ids::text[])) AS t
      WHERE sqlc.narg(after_id)::text IS NULL
         OR (t.created_at, t.id) < (@after_created::timestamptz, sqlc.narg(after_id)::text)) AS w
JOIN deals ON deals.id = w.id
WHERE w.rn <= @max_rows::bigint
ORDER BY w.parent_id, w.rn;

-- name: DealsByCompanies :many
SELECT sqlc.embed(deals), w.parent_id::text AS parent_id, w.total
FROM (SELECT t.id, t.parent_id, t.total,
             row_number() OVER (PARTITION BY t.parent_id ORDER BY t.created_at DESC, t.id DESC) AS rn
      FROM (SELECT id, company_id AS parent_id, created_at, count(*) OVER (PARTITION BY company_id) AS total
            FROM deals WHERE company_id = ANY(@parent_ids::text[])) AS t
      WHERE sqlc.narg(after_id)::text IS NULL
         OR (t.created_at, t.id) < (@after_created::timestamptz, sqlc.narg(after_id)::text)) AS w
JOIN deals ON deals.id = w.id
WHERE w.rn <= @max_rows::bigint
ORDER BY w.parent_id, w.rn;

-- name: DealsByContacts :many
-- A contact's deals: those it is the primary contact of or takes a role in.
SELECT sqlc.embed(deals), w.parent_id::text AS parent_id, w.total
FROM (SELECT t.id, t.parent_id, t.total,
             row_number() OVER (PARTITION BY t.parent_id ORDER BY t.created_at DESC, t.id DESC) AS rn
      FROM (SELECT d.id, c.contact_id AS parent_id, d.created_at, count(*) OVER (PARTITION BY c.contact_id) AS total
            FROM (SELECT id AS deal_id, primary_contact_id AS contact_id FROM deals
                  WHERE primary_contact_id = ANY(@parent_ids::text[])
                  UNION
                  SELECT deal_id, contact_id FROM deal_contacts WHERE contact_id = ANY(@parent_ids::text[])) AS c
            JOIN deals d ON d.id = c.deal_id) AS t
      WHERE sqlc.narg(after_id)::text IS NULL
         OR (t.created_at, t.id) < (@after_created::timestamptz, sqlc.narg(after_id)::text)) AS w
JOIN deals ON deals.id = w.id
WHERE w.rn <= @max_rows::bigint
ORDER BY w.parent_id, w.rn;
