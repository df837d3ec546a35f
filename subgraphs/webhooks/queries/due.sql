-- The due-work index (pkg/tenancy/migrations/0003_due_work.sql): after a
-- pass over a tenant's deliveries, its row is set to when the next one comes
-- due (a claimed one: when its lease ends). The row is locked first, in a
-- statement of its own, so the settling statement's snapshot sees any
-- delivery committed while the pass ran.

-- name: LockDueWork :exec
SELECT 1 FROM platform.due_work WHERE tenant_id = platform.current_tenant_id() AND queue = 'webhooks' FOR UPDATE;

-- name: SettleDueWebhooks :exec
UPDATE platform.due_work SET due_at = coalesce((SELECT min(next_attempt_at) FROM webhook_deliveries
    WHERE next_attempt_at IS NOT NULL), 'infinity')
WHERE tenant_id = platform.current_tenant_id() AND queue = 'webhooks';
