-- External ids: the id a record has in another system (an ERP, a
-- marketing tool), unique per tenant and type, so sync jobs can upsert by it.
ALTER TABLE companies ADD COLUMN external_id text;
ALTER TABLE contacts ADD COLUMN external_id text;
CREATE UNIQUE INDEX companies_external_id ON companies (external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX contacts_external_id ON contacts (external_id) WHERE external_id IS NOT NULL;
