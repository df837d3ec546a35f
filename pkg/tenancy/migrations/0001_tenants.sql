-- The tenant registry and cross-tenant invitations: global tables in the
-- platform schema, always named with their schema.
CREATE SCHEMA IF NOT EXISTS platform;

CREATE TABLE platform.tenants (
    id          text PRIMARY KEY,                 -- ULID
    name        varchar(255) NOT NULL,
    subdomain   varchar(63)  NOT NULL UNIQUE,
    schema_name varchar(63)  NOT NULL UNIQUE,
    status      varchar(20)  NOT NULL DEFAULT 'active'
                CHECK (status IN ('active', 'suspended', 'pending')),
    created_at  timestamptz  NOT NULL DEFAULT now(),
    updated_at  timestamptz  NOT NULL DEFAULT now()
);

CREATE TABLE platform.invitations (
    id          text PRIMARY KEY,                 -- ULID
    tenant_id   text         NOT NULL REFERENCES platform.tenants (id) ON DELETE CASCADE,
    email       varchar(254) NOT NULL,
    role        varchar(20)  NOT NULL
                CHECK (role IN ('admin', 'manager', 'sales_rep', 'viewer')),
    token_hash  bytea        NOT NULL UNIQUE,     -- sha256 of the token; the token itself is never stored
    status      varchar(20)  NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'accepted', 'revoked')),
    expires_at  timestamptz  NOT NULL,
    accepted_at timestamptz,
    revoked_at  timestamptz,
    invited_by  text,                             -- user id in the tenant's schema
    created_at  timestamptz  NOT NULL DEFAULT now()
);

CREATE INDEX invitations_tenant_created ON platform.invitations (tenant_id, created_at DESC, id DESC);
CREATE INDEX invitations_tenant_email ON platform.invitations (tenant_id, lower(email));
