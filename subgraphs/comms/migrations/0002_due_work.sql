-- Reminders and queued mail note when they come due in platform.due_work
-- (pkg/tenancy/migrations/0003_due_work.sql), in the transaction that
-- writes them, whatever the write path: the workers then visit only the
-- tenants with something due. Statement triggers with transition tables, so
-- a bulk insert notes once.
CREATE FUNCTION note_due_reminders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM platform.note_due('reminders', (SELECT min(reminder_at) FROM changed
        WHERE reminded_at IS NULL AND status <> 'completed'));
    RETURN NULL;
END $$;

CREATE TRIGGER tasks_note_due_insert AFTER INSERT ON tasks
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION note_due_reminders();
CREATE TRIGGER tasks_note_due_update AFTER UPDATE ON tasks
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION note_due_reminders();

CREATE FUNCTION note_due_mail() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM platform.note_due('mail', (SELECT min(next_attempt_at) FROM changed));
    RETURN NULL;
END $$;

CREATE TRIGGER email_messages_note_due_insert AFTER INSERT ON email_messages
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION note_due_mail();
CREATE TRIGGER email_messages_note_due_update AFTER UPDATE ON email_messages
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION note_due_mail();

-- What was due before this migration.
SELECT platform.note_due('reminders', (SELECT min(reminder_at) FROM tasks
    WHERE reminded_at IS NULL AND status <> 'completed'));
SELECT platform.note_due('mail', (SELECT min(next_attempt_at) FROM email_messages));
