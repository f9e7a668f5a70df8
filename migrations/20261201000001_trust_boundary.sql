-- The trust boundary.

-- Data webhooks come to a per-salon URL that carries a secret
-- (`/webhook/yclients/<salon_id>/<secret>`), minted with the API key at activation.
-- Only its SHA-256 (hex) is kept for checking; the secret itself is kept only from the
-- moment it is minted until the activation callback that hands it to YClients is over.
ALTER TABLE companies ADD COLUMN webhook_secret_hash VARCHAR(64);
ALTER TABLE companies ADD COLUMN webhook_secret_pending VARCHAR(64);

-- Dedup of webhooks: `dedup_key` is now YClients' own delivery id only (unique per
-- salon when present: nothing says YClients' ids are unique across salons). Bodies without one are told apart by `content_hash`: a body is a repeated
-- delivery only when it repeats the salon's latest event within a short window, so a
-- real repeat (freeze → payment → freeze) is never lost.
ALTER TABLE webhook_inbox DROP CONSTRAINT webhook_inbox_dedup_key_key;
ALTER TABLE webhook_inbox ALTER COLUMN dedup_key DROP NOT NULL;
ALTER TABLE webhook_inbox ADD COLUMN content_hash VARCHAR(80);
UPDATE webhook_inbox SET content_hash = dedup_key, dedup_key = NULL WHERE dedup_key LIKE 'sha256:%';
UPDATE webhook_inbox SET content_hash = dedup_key WHERE content_hash IS NULL;
ALTER TABLE webhook_inbox ALTER COLUMN content_hash SET NOT NULL;
CREATE UNIQUE INDEX webhook_inbox_delivery_id ON webhook_inbox (salon_id, dedup_key)
    WHERE dedup_key IS NOT NULL;
CREATE INDEX idx_webhook_inbox_salon_latest ON webhook_inbox (salon_id, id DESC);

-- Our partner token never stays in storage: marketplace events carried it.
UPDATE webhook_inbox SET payload = payload - 'partner_token' WHERE payload ? 'partner_token';

-- Retention prunes finished rows by age.
CREATE INDEX idx_inbound_messages_received ON inbound_messages (received_at) WHERE status <> 'pending';
CREATE INDEX idx_outbound_messages_created ON outbound_messages (created_at) WHERE status = 'sent';
