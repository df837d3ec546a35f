-- The transactional outbox: an event is written here in the transaction of
-- the change it reports, and a relay publishes it to JetStream.
CREATE TABLE platform.outbox (
    id         text PRIMARY KEY,                  -- event id (ULID), the JetStream message id
    subject    text        NOT NULL,              -- crm.<domain>.<event>
    tenant_id  text        NOT NULL,
    payload    jsonb       NOT NULL,              -- the whole event envelope
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at    timestamptz
);

CREATE INDEX outbox_unsent ON platform.outbox (created_at, id) WHERE sent_at IS NULL;
