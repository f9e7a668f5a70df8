-- Webhooks from YClients, committed before they are answered, then relayed to each
-- salon's company-<salon_id> workflow and applied there in arrival order.

-- The last sequence number given to a salon's webhooks: taking the next one locks the
-- salon's row, so sequence numbers follow commit order with no gaps.
CREATE TABLE webhook_sequences (
    salon_id INTEGER PRIMARY KEY,
    last_seq BIGINT NOT NULL
);

CREATE TABLE webhook_inbox (
    id BIGSERIAL PRIMARY KEY,
    -- NULL when the body names no salon.
    salon_id INTEGER,
    -- Per salon, from 1, in arrival order; NULL for rows no workflow applies (orphans,
    -- unknown shapes).
    seq BIGINT,
    -- marketplace | record | client | service | staff | unknown
    kind VARCHAR(20) NOT NULL,
    -- uninstall, freeze, payment, create, update, delete, … as sent.
    event VARCHAR(50),
    payload JSONB NOT NULL,
    -- YClients' own id of the delivery when it sends one, else a hash of the canonical body.
    dedup_key VARCHAR(255) NOT NULL UNIQUE,
    status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CONSTRAINT webhook_inbox_status_check
        CHECK (status IN ('pending', 'applied', 'orphan', 'ignored')),
    received_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    -- When the relay last handed the row to the workflow (signals are durable, so a row
    -- is handed over again only if it stays unapplied for long).
    relayed_at TIMESTAMPTZ,
    applied_at TIMESTAMPTZ,
    CONSTRAINT webhook_inbox_salon_seq UNIQUE (salon_id, seq)
);

CREATE INDEX idx_webhook_inbox_pending ON webhook_inbox (salon_id, seq) WHERE status = 'pending';
CREATE INDEX idx_webhook_inbox_received ON webhook_inbox (received_at);
