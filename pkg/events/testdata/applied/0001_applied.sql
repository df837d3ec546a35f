-- What the test consumers did, one row per application: no unique key, so
-- an event applied twice shows as two rows.
CREATE TABLE applied (
    consumer text NOT NULL,
    event_id text NOT NULL
);
