-- External ids: the id a deal has in another system (an ERP, a billing
-- tool), unique per tenant, so sync jobs can upsert by it. Inserts name this
-- index in ON CONFLICT, so concurrent upserts of one id make one deal.
ALTER TABLE deals ADD COLUMN external_id text;
CREATE UNIQUE INDEX deals_external_id ON deals (external_id) WHERE external_id IS NOT NULL;
