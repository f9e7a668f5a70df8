-- Scale-out WhatsApp gateways. Each gateway process is a node with its own Temporal task
-- queue (`wa-<node_id>`); it heartbeats here while it runs.
CREATE TABLE gateway_nodes (
    node_id      TEXT PRIMARY KEY,
    task_queue   TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    -- Set by a clean shutdown: the node is gone before its heartbeat goes stale.
    stopped_at   TIMESTAMPTZ
);

-- Which node holds each salon's WhatsApp session. A lease is renewed with its node's
-- heartbeat; once `expires_at` passes, any live gateway node may take the session over.
CREATE TABLE whatsapp_leases (
    session_id  TEXT PRIMARY KEY,
    node_id     TEXT NOT NULL,
    task_queue  TEXT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    acquired_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    -- The session's state as its owner last saw it (for ops; NULL before the first look).
    state       TEXT,
    -- How often the session moved to another node after its owner died or left.
    takeovers   INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX idx_whatsapp_leases_node ON whatsapp_leases (node_id);
CREATE INDEX idx_whatsapp_leases_expiry ON whatsapp_leases (expires_at);
