-- Users of one tenant and their credentials (the seed's auth-service tables).
-- Ids are ULIDs: unguessable, sortable, and unique across tenants.
CREATE TABLE users (
    id             text PRIMARY KEY,
    email          varchar(254) NOT NULL,
    password_hash  varchar(255) NOT NULL,
    first_name     varchar(100) NOT NULL,
    last_name      varchar(100) NOT NULL,
    role           varchar(20)  NOT NULL CHECK (role IN ('admin', 'manager', 'sales_rep', 'viewer')),
    status         varchar(20)  NOT NULL DEFAULT 'pending' CHECK (status IN ('active', 'inactive', 'pending')),
    email_verified boolean      NOT NULL DEFAULT false,
    last_login_at  timestamptz,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now(),
    created_by     text REFERENCES users (id)
);

CREATE UNIQUE INDEX users_email ON users (lower(email));
CREATE INDEX users_name ON users (lower(last_name), lower(first_name), id);

-- Refresh tokens. Each use rotates the token within its family; presenting a
-- rotated token again revokes the whole family (a stolen token was used).
CREATE TABLE sessions (
    id         text PRIMARY KEY,
    user_id    text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id  text        NOT NULL,
    token_hash bytea       NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    rotated_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX sessions_family ON sessions (family_id);
CREATE INDEX sessions_user_live ON sessions (user_id) WHERE revoked_at IS NULL;

-- Single-use tokens sent by e-mail: password resets (1 hour) and e-mail
-- verification (24 hours). Only their hashes are stored.
CREATE TABLE user_tokens (
    id         text PRIMARY KEY,
    user_id    text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    varchar(30) NOT NULL CHECK (purpose IN ('password_reset', 'email_verification')),
    token_hash bytea       NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
