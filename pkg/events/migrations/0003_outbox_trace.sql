-- The trace an event belongs to: the W3C traceparent of the request whose
-- transaction wrote it (NULL when it had none), which the relay puts in the
-- message's headers so that consumers continue that trace.
ALTER TABLE platform.outbox ADD COLUMN trace_context text;
