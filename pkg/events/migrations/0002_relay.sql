-- The relay: it is woken by a notification when events are written, finds
-- sent rows to prune by sent_at, and publishes replays of parked events.
CREATE FUNCTION platform.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Notifications are delivered at commit, once per transaction and
    -- channel, so a rolled-back transaction wakes nobody.
    PERFORM pg_notify('opencrm_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON platform.outbox
    FOR EACH STATEMENT EXECUTE FUNCTION platform.outbox_notify();

CREATE INDEX outbox_sent ON platform.outbox (sent_at) WHERE sent_at IS NOT NULL;

-- A replayed event goes to the one consumer that parked it (a message header).
ALTER TABLE platform.outbox ADD COLUMN replay_for text;

-- Messages a consumer gave up on after its attempts, for an operator to see
-- (SELECT * FROM platform.parked_events WHERE replayed_at IS NULL) and replay.
CREATE TABLE platform.parked_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consumer    text        NOT NULL,             -- durable consumer name
    event_id    text        NOT NULL,
    subject     text        NOT NULL,             -- crm.<domain>.<event>
    tenant_id   text        NOT NULL DEFAULT '',
    payload     jsonb       NOT NULL,             -- the event envelope as received
    attempts    integer     NOT NULL,
    error       text        NOT NULL,             -- the last attempt's error
    parked_at   timestamptz NOT NULL DEFAULT now(),
    replayed_at timestamptz,
    UNIQUE (consumer, event_id)
);

CREATE INDEX parked_events_waiting ON platform.parked_events (consumer, parked_at) WHERE replayed_at IS NULL;
