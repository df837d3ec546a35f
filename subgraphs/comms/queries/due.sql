-- The due-work index (pkg/tenancy/migrations/0003_due_work.sql): after a
-- pass over a tenant's queue, its row is set to when the queue next comes
-- due. The row is locked first, in a statement of its own, so the settling
-- statement's snapshot sees any work committed while the pass ran (a write
-- noting new work holds the row until it commits).

-- name: LockDueWork :exec
SELECT 1 FROM platform.due_work WHERE tenant_id = platform.current_tenant_id() AND queue = @queue FOR UPDATE;

-- name: SettleDueReminders :exec
UPDATE platform.due_work SET due_at = coalesce((SELECT min(reminder_at) FROM tasks
    WHERE reminder_at IS NOT NULL AND reminded_at IS NULL AND status <> 'completed'), 'infinity')
WHERE tenant_id = platform.current_tenant_id() AND queue = 'reminders';

-- name: SettleDueMail :exec
UPDATE platform.due_work SET due_at = coalesce((SELECT min(next_attempt_at) FROM email_messages
    WHERE next_attempt_at IS NOT NULL), 'infinity')
WHERE tenant_id = platform.current_tenant_id() AND queue = 'mail';
