-- The contact subgraph's deletions and merges, applied to the ids deals hold.

-- name: ForgetCompany :execrows
UPDATE deals SET company_id = NULL, updated_at = now() WHERE company_id = $1;

-- name: ReplacePrimaryContact :execrows
-- Moves the deals of a deleted contact to the contact it was merged into,
-- or (with a NULL replacement) leaves them without a primary contact.
UPDATE deals SET primary_contact_id = sqlc.narg(replacement), updated_at = now()
WHERE primary_contact_id = @contact_id;

-- name: ReplaceDealContact :exec
-- The deal contacts of a merged contact move to the one it was merged into
-- (keeping the survivor's role where it was already on the deal).
INSERT INTO deal_contacts (deal_id, contact_id, role)
SELECT dc.deal_id, @replacement::text, dc.role FROM deal_contacts dc WHERE dc.contact_id = @contact_id::text
ON CONFLICT (deal_id, contact_id) DO NOTHING;

-- name: ForgetDealContact :execrows
DELETE FROM deal_contacts WHERE contact_id = $1;
