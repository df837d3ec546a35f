-- The due-work index: for each tenant and queue (a worker's kind of work,
-- such as "reminders" or "mail"), when its earliest piece of work comes due.
-- Workers read this one small table to find the tenants with something to
-- do, so an idle tenant costs nothing however many there are; a tenant
-- schema is only touched when it has work. Rows are written by triggers on
-- the tenants' own tables, in the transaction that makes the work, and
-- settled by the worker after each pass ('infinity': nothing due).
CREATE TABLE platform.due_work (
    tenant_id text        NOT NULL REFERENCES platform.tenants (id) ON DELETE CASCADE,
    queue     text        NOT NULL,
    due_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, queue)
);

CREATE INDEX due_work_due ON platform.due_work (queue, due_at);

-- The tenant whose schema a transaction works in (first on its search_path),
-- for SQL that writes platform rows on a tenant's behalf.
CREATE FUNCTION platform.current_tenant_id() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT id FROM platform.tenants WHERE schema_name = current_schema() $$;

-- platform.note_due records that the current tenant has work in queue due
-- at due (NULL: none), keeping the earliest time already noted.
CREATE FUNCTION platform.note_due(queue text, due timestamptz) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO platform.due_work AS d (tenant_id, queue, due_at)
    SELECT platform.current_tenant_id(), queue, due WHERE due IS NOT NULL
    ON CONFLICT (tenant_id, queue) DO UPDATE SET due_at = least(d.due_at, EXCLUDED.due_at)
$$;
