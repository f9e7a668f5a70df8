-- Times each webhook was applied: more than one means an apply was retried after it had
-- taken effect (harmless, since applying is idempotent, but worth counting; the webhook
-- benchmark reports it as "applied more than once").
ALTER TABLE webhook_inbox ADD COLUMN apply_count INTEGER NOT NULL DEFAULT 0;
-- Applied rows from before this column existed were applied once.
UPDATE webhook_inbox SET apply_count = 1 WHERE status = 'applied';
