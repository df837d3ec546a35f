-- API keys of the tenant (docs/integrators.md): created by an admin with a
-- role (never above the creator's) and scopes; only the SHA-256 of the key
-- is stored, with its first characters (prefix) to tell keys apart.
CREATE TABLE api_keys (
    id           text PRIMARY KEY,
    name         varchar(100) NOT NULL,
    prefix       varchar(32)  NOT NULL,
    secret_hash  bytea        NOT NULL UNIQUE,
    role         varchar(20)  NOT NULL CHECK (role IN ('admin', 'manager', 'sales_rep', 'viewer')),
    scopes       text[]       NOT NULL,
    created_by   text         NOT NULL REFERENCES users (id),
    created_at   timestamptz  NOT NULL DEFAULT now(),
    -- Written when the gateway exchanges the key, at most once a minute.
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    revoked_by   text REFERENCES users (id)
);

CREATE INDEX api_keys_created ON api_keys (created_at DESC, id DESC);
