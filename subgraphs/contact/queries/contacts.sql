-- name: GetContacts :many
SELECT * FROM contacts WHERE id = ANY(@ids::text[]);

-- name: GetContactForUpdate :one
SELECT * FROM contacts WHERE id = $1 FOR UPDATE;

-- name: InsertContact :one
INSERT INTO contacts (id, first_name, last_name, email, phone, job_title, company_id, owner_id, status, source,
                      street_address, city, state, country, postal_code, custom_fields, notes, created_by, external_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
RETURNING *;

-- name: UpdateContact :one
UPDATE contacts SET
    first_name = $2, last_name = $3, email = $4, phone = $5, job_title = $6, company_id = $7, owner_id = $8,
    status = $9, source = $10, street_address = $11, city = $12, state = $13, country = $14, postal_code = $15,
    custom_fields = $16, notes = $17, external_id = $18, updated_at = now()
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

-- name: ListContacts :many
-- A page of the contacts of a filter: see ListCompanies.
WITH matched AS NOT MATERIALIZED (
    SELECT contacts.id, k.k1, k.k2, k.k3
    FROM contacts
    CROSS JOIN LATERAL (SELECT
        CASE @sort::text WHEN 'name' THEN lower(contacts.last_name) WHEN 'email' THEN coalesce(lower(contacts.email), '')
            ELSE '' END AS k1,
        CASE WHEN @sort::text = 'name' THEN lower(contacts.first_name) ELSE '' END AS k2,
        CASE @sort::text WHEN 'created_at' THEN contacts.created_at WHEN 'updated_at' THEN contacts.updated_at
            ELSE 'epoch'::timestamptz END AS k3) AS k
    WHERE (sqlc.narg(name)::text IS NULL OR lower(contacts.first_name || ' ' || contacts.last_name) LIKE sqlc.narg(name)::text)
      AND (sqlc.narg(email)::text IS NULL OR lower(contacts.email) = lower(sqlc.narg(email)::text))
      AND (sqlc.narg(external_id)::text IS NULL OR contacts.external_id = sqlc.narg(external_id)::text)
      AND (sqlc.narg(status)::text IS NULL OR contacts.status = sqlc.narg(status)::text)
      AND (sqlc.narg(source)::text IS NULL OR lower(contacts.source) = lower(sqlc.narg(source)::text))
      AND (sqlc.narg(owner_id)::text IS NULL OR contacts.owner_id = sqlc.narg(owner_id)::text)
      AND (sqlc.narg(company_id)::text IS NULL OR contacts.company_id = sqlc.narg(company_id)::text)
      AND (sqlc.narg(industry)::text IS NULL OR contacts.company_id IN (
          SELECT id FROM companies WHERE lower(companies.industry) = lower(sqlc.narg(industry)::text)))
      AND (sqlc.narg(created_after)::timestamptz IS NULL OR contacts.created_at >= sqlc.narg(created_after)::timestamptz)
      AND (sqlc.narg(created_before)::timestamptz IS NULL OR contacts.created_at < sqlc.narg(created_before)::timestamptz)
      AND (@contains::jsonb = '{}'::jsonb OR contacts.custom_fields @> @contains::jsonb)
      AND (cardinality(@present::text[]) = 0 OR contacts.custom_fields ?& @present::text[])
      AND NOT EXISTS (SELECT 1 FROM jsonb_each(@either::jsonb) e WHERE (contacts.custom_fields -> e.key = e.value
          OR contacts.custom_fields -> e.key = to_jsonb(e.value #>> '{}')) IS NOT TRUE)
)
SELECT sqlc.embed(contacts), m.k1::text AS k1, m.k2::text AS k2, m.k3::timestamptz AS k3,
    (CASE WHEN @want_total::boolean THEN (SELECT count(*) FROM matched) ELSE 0 END)::bigint AS total
FROM matched m JOIN contacts ON contacts.id = m.id
WHERE (sqlc.narg(after_id)::text IS NULL
       OR (@descending::boolean AND (m.k1, m.k2, m.k3, m.id) < (@after_k1::text, @after_k2::text, @after_k3::timestamptz, sqlc.narg(after_id)::text))
       OR (NOT @descending::boolean AND (m.k1, m.k2, m.k3, m.id) > (@after_k1::text, @after_k2::text, @after_k3::timestamptz, sqlc.narg(after_id)::text)))
ORDER BY CASE WHEN @descending::boolean THEN m.k1 END DESC, CASE WHEN @descending::boolean THEN m.k2 END DESC,
    CASE WHEN @descending::boolean THEN m.k3 END DESC, CASE WHEN @descending::boolean THEN m.id END DESC,
    m.k1, m.k2, m.k3, m.id
LIMIT @max_rows;

-- name: FirstContacts :many
-- The first @max_rows contacts by name of each company of @ids (of each
-- owner, with @by_owner), with their sort keys and the count of their
-- group, in one statement: a window numbers each group's contacts.
SELECT sqlc.embed(contacts), ranked.grp::text AS grp, ranked.total::bigint AS total,
    lower(contacts.last_name)::text AS k1, lower(contacts.first_name)::text AS k2
FROM (
    SELECT c.id, CASE WHEN @by_owner::boolean THEN c.owner_id ELSE c.company_id END AS grp,
        row_number() OVER (PARTITION BY CASE WHEN @by_owner::boolean THEN c.owner_id ELSE c.company_id END
            ORDER BY lower(c.last_name), lower(c.first_name), c.id) AS rn,
        count(*) OVER (PARTITION BY CASE WHEN @by_owner::boolean THEN c.owner_id ELSE c.company_id END) AS total
    FROM contacts c
    WHERE (@by_owner::boolean AND c.owner_id = ANY(@ids::text[])) OR (NOT @by_owner::boolean AND c.company_id = ANY(@ids::text[]))
) ranked
JOIN contacts ON contacts.id = ranked.id
WHERE ranked.rn <= @max_rows::bigint
ORDER BY ranked.grp, ranked.rn;

-- name: ContactExists :one
SELECT EXISTS (SELECT 1 FROM contacts WHERE id = $1);

-- name: SearchSettings :exec
-- Settings of a search's transaction only: the similarity from which a name
-- matches (low enough that two swapped letters in each word, "Jhon Smiht",
-- 0.22 against "John Smith", still match), and no sequential scans, since
-- the planner underestimates what the similarity operator costs per row and
-- would rather scan every contact (250 ms on 100,000) than use the indexes.
SELECT set_config('pg_trgm.similarity_threshold', '0.2', true), set_config('enable_seqscan', 'off', true);

-- name: SearchCompanies :many
-- Full text (prefixes of every word) or trigram similarity of the name,
-- ranked by full text rank plus similarity.
SELECT sqlc.embed(companies),
    (ts_rank(companies.search, to_tsquery('simple', @tsquery::text)) + similarity(lower(companies.name), @term::text))::float8 AS rank
FROM companies
WHERE companies.search @@ to_tsquery('simple', @tsquery::text) OR lower(companies.name) % @term::text
ORDER BY rank DESC, companies.id LIMIT @max_rows;

-- name: SearchContacts :many
-- As SearchCompanies; e-mail addresses are words of the full text.
SELECT sqlc.embed(contacts),
    (ts_rank(contacts.search, to_tsquery('simple', @tsquery::text))
     + similarity(lower(contacts.first_name || ' ' || contacts.last_name), @term::text))::float8 AS rank
FROM contacts
WHERE contacts.search @@ to_tsquery('simple', @tsquery::text) OR lower(contacts.first_name || ' ' || contacts.last_name) % @term::text
ORDER BY rank DESC, contacts.id LIMIT @max_rows;

-- name: FindDuplicates :many
-- Other contacts that look like contact @id: the same e-mail address, the
-- same phone, or a name at least 0.6 similar; at most 20, closest first.
SELECT sqlc.embed(contacts) FROM contacts, contacts t
WHERE t.id = @id::text AND contacts.id <> t.id AND (
    lower(contacts.email) = lower(t.email) OR contacts.phone = t.phone OR
    (lower(contacts.first_name || ' ' || contacts.last_name) % lower(t.first_name || ' ' || t.last_name)
     AND similarity(lower(contacts.first_name || ' ' || contacts.last_name), lower(t.first_name || ' ' || t.last_name)) >= 0.6))
ORDER BY (lower(contacts.email) = lower(t.email)) DESC NULLS LAST,
    similarity(lower(contacts.first_name || ' ' || contacts.last_name), lower(t.first_name || ' ' || t.last_name)) DESC, contacts.id
LIMIT 20;

-- name: LockContactExternalID :exec
-- Serializes upserts of one external id (see LockCompanyExternalID).
SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':contact-external-id:' || @external_id::text));

-- name: ContactWithExternalID :one
SELECT id FROM contacts WHERE external_id = @external_id::text;
