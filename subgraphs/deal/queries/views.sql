-- name: StageTotals :many
-- Per stage of a pipeline: how many deals, their value and weighted value,
-- exact: the weighted value is the sum of each deal's, rounded to cents
-- (half away from zero) as the deal shows it. Values of every currency are
-- added up, as the board always did.
SELECT s.id AS stage_id,
       count(d.id)                                                          AS deal_count,
       coalesce(sum(d.value), 0.00)::numeric                                AS total_value,
       coalesce(sum(round(d.value * d.probability / 100.0, 2)), 0.00)::numeric AS weighted_value
FROM stages s
LEFT JOIN deals d ON d.stage_id = s.id
WHERE s.pipeline_id = @pipeline_id
GROUP BY s.id, s.position
ORDER BY s.position;

-- name: StageDeals :many
-- The newest @per_stage deals of each stage of a pipeline, in one statement.
SELECT deals.*
FROM (SELECT id, row_number() OVER (PARTITION BY stage_id ORDER BY created_at DESC, id DESC) AS rn
      FROM deals AS p WHERE p.pipeline_id = @pipeline_id) AS w
JOIN deals ON deals.id = w.id
WHERE w.rn <= @per_stage::bigint
ORDER BY deals.stage_id, w.rn;

-- name: Forecast :many
-- Open deals by expected close date (weighted by probability) and won
-- deals by actual close date, grouped by month, owner or forecast category
-- (its GraphQL name, like PIPELINE) and by currency (values of different
-- currencies are never added). Weighted values are sums of each deal's,
-- rounded to cents (half away from zero).
SELECT (CASE @group_by::text
          WHEN 'month' THEN to_char(CASE WHEN s.is_won THEN d.actual_close_date ELSE d.expected_close_date END, 'YYYY-MM')
          WHEN 'owner' THEN d.owner_id
          ELSE upper(s.forecast_category) END)::text                             AS bucket,
       d.currency::text                                                            AS currency,
       count(*) FILTER (WHERE NOT s.is_closed)                                     AS open_count,
       coalesce(sum(d.value) FILTER (WHERE NOT s.is_closed), 0.00)::numeric        AS open_value,
       coalesce(sum(round(d.value * d.probability / 100.0, 2)) FILTER (WHERE NOT s.is_closed), 0.00)::numeric AS weighted_value,
       count(*) FILTER (WHERE s.is_won)                                            AS won_count,
       coalesce(sum(d.value) FILTER (WHERE s.is_won), 0.00)::numeric               AS won_value
FROM deals d
JOIN stages s ON s.id = d.stage_id
WHERE (NOT s.is_closed AND d.expected_close_date BETWEEN @from_date::date AND @to_date::date)
   OR (s.is_won AND d.actual_close_date BETWEEN @from_date::date AND @to_date::date)
GROUP BY 1, 2
ORDER BY 1, 2;

-- name: DealsOf :many
-- Pages of the deals of several parents in one statement: each parent's
-- first @max_rows deals after the cursor, newest first, with the parent's
-- total. A parent is an owner, a company or a contact (@kind); a contact's
-- deals are those it is the primary contact of or takes a role in. Only the
-- branches of @kind run (each is a one-time filter on its own index).
SELECT sqlc.embed(deals), w.parent_id::text AS parent_id, w.total
FROM (SELECT t.id, t.parent_id, t.total,
             row_number() OVER (PARTITION BY t.parent_id ORDER BY t.created_at DESC, t.id DESC) AS rn
      FROM (SELECT d.id, p.parent_id, d.created_at, count(*) OVER (PARTITION BY p.parent_id) AS total
            FROM (SELECT id AS deal_id, owner_id AS parent_id FROM deals
                  WHERE @kind::text = 'owner' AND owner_id = ANY(@parent_ids::text[])
                  UNION
                  SELECT id, company_id FROM deals
                  WHERE @kind::text = 'company' AND company_id = ANY(@parent_ids::text[])
                  UNION
                  SELECT id, primary_contact_id FROM deals
                  WHERE @kind::text = 'contact' AND primary_contact_id = ANY(@parent_ids::text[])
                  UNION
                  SELECT deal_id, contact_id FROM deal_contacts
                  WHERE @kind::text = 'contact' AND contact_id = ANY(@parent_ids::text[])) AS p
            JOIN deals d ON d.id = p.deal_id) AS t
      WHERE sqlc.narg(after_id)::text IS NULL
         OR (t.created_at, t.id) < (@after_created::timestamptz, sqlc.narg(after_id)::text)) AS w
JOIN deals ON deals.id = w.id
WHERE w.rn <= @max_rows::bigint
ORDER BY w.parent_id, w.rn;
