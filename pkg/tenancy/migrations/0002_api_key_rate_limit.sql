-- The requests per rate-limit window each API key of the tenant may make at
-- the gateway (docs/integrators.md); NULL: the gateway's default
-- (API_KEY_RATE_LIMIT). An operator's setting (a plan), not the tenant's.
ALTER TABLE platform.tenants ADD COLUMN api_key_rate_limit integer CHECK (api_key_rate_limit > 0);
