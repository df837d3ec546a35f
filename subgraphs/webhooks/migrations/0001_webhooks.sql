-- The webhooks subgraph's tables: the organisation's endpoints, one delivery
-- per event and endpoint, and the attempts of each delivery. Ids are ULIDs;
-- created_by is a user id of the identity subgraph, kept as text.

-- An endpoint. event_types are patterns ('deal.*', 'contact.created', '*');
-- filter is a JSON object of payload field -> value, all of which must be
-- equal for an event to be delivered (NULL: no filter). The secrets are
-- AES-GCM sealed with the key of WEBHOOK_SECRET_KEY (nonce || ciphertext,
-- bound to the tenant and endpoint ids); previous_secret still signs until
-- previous_secret_expires_at, after a rotation. failing_since is the first
-- failed attempt since the last success: an endpoint failing for three days
-- is disabled with a reason.
CREATE TABLE webhook_endpoints (
    id                         text PRIMARY KEY,
    url                        text        NOT NULL,
    description                text        NOT NULL DEFAULT '',
    event_types                text[]      NOT NULL,
    filter                     jsonb,
    enabled                    boolean     NOT NULL DEFAULT true,
    disabled_reason            text,
    secret                     bytea       NOT NULL,
    previous_secret            bytea,
    previous_secret_expires_at timestamptz,
    failing_since              timestamptz,
    created_by                 text,
    created_at                 timestamptz NOT NULL DEFAULT now(),
    updated_at                 timestamptz NOT NULL DEFAULT now()
);

-- A delivery of one event to one endpoint (at most one per pair: the
-- consumer inserts them idempotently). payload is the body sent, the same on
-- every attempt. next_attempt_at is when the sender next tries it (NULL:
-- done, succeeded or failed); a sender's claim moves it past the attempt's
-- timeout, a lease.
CREATE TABLE webhook_deliveries (
    id              text PRIMARY KEY,
    endpoint_id     text        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        text        NOT NULL,
    event_type      text        NOT NULL,
    payload         jsonb       NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    last_attempt_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, endpoint_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id DESC);

-- Each attempt of a delivery: when, the HTTP status (NULL: no response),
-- how long it took, the first KiB of the response body, and the error of an
-- attempt that got no response.
CREATE TABLE webhook_attempts (
    id               text PRIMARY KEY,
    delivery_id      text        NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at     timestamptz NOT NULL,
    status_code      integer,
    latency_ms       integer     NOT NULL,
    response_excerpt text        NOT NULL DEFAULT '',
    error            text
);

CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempted_at DESC);

-- Deliveries note when they come due in platform.due_work
-- (pkg/tenancy/migrations/0003_due_work.sql), in the transaction that writes
-- them: the sender visits only the tenants with something due.
CREATE FUNCTION note_due_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM platform.note_due('webhooks', (SELECT min(next_attempt_at) FROM changed));
    RETURN NULL;
END $$;

CREATE TRIGGER webhook_deliveries_note_due_insert AFTER INSERT ON webhook_deliveries
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION note_due_webhooks();
CREATE TRIGGER webhook_deliveries_note_due_update AFTER UPDATE ON webhook_deliveries
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION note_due_webhooks();

-- The sender claims due deliveries endpoint by endpoint (a few of each), so
-- one endpoint's backlog never hides another's.
CREATE INDEX webhook_deliveries_endpoint_due ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE next_attempt_at IS NOT NULL;
