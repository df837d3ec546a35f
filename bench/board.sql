-- The board's SQL floor (pgbench -f, in the tenant's schema via
-- PGOPTIONS=-csearch_path=...): one hand-written statement returning the JSON
-- of `pipelineView { stages { stage { name } deals { title value company { name }
-- primaryContact { fullName } owner { fullName } } } }` for the default pipeline.
SELECT json_build_object('stages', json_agg(x.board ORDER BY x.position)) FROM (
  SELECT s.position, json_build_object('stage', json_build_object('name', s.name), 'deals', coalesce((
    SELECT json_agg(json_build_object('title', d.title, 'value', d.value::text,
             'company', json_build_object('name', co.name),
             'primaryContact', json_build_object('fullName', ct.first_name || ' ' || ct.last_name),
             'owner', json_build_object('fullName', u.first_name || ' ' || u.last_name)) ORDER BY d.created_at DESC)
    FROM deals d
    LEFT JOIN companies co ON co.id = d.company_id
    LEFT JOIN contacts ct ON ct.id = d.primary_contact_id
    LEFT JOIN users u ON u.id = d.owner_id
    WHERE d.stage_id = s.id), '[]'::json)) AS board
  FROM stages s JOIN pipelines p ON p.id = s.pipeline_id AND p.is_default
) x;
