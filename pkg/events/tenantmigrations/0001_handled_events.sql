-- The events each consumer has applied to this tenant, recorded in the
-- transaction that applied them, so a redelivered event is a no-op.
CREATE TABLE handled_events (
    consumer   text        NOT NULL,
    event_id   text        NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
