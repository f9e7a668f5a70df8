-- A copy of each linked WhatsApp session's key store (whatsapp-rust's SQLite file), so
-- a session moves between gateway nodes on different hosts through PostgreSQL under its
-- lease: saved on every connection and when a node lets the session go, restored by the
-- node that takes it over when its own copy is older or missing. `version` grows with
-- every save.
CREATE TABLE whatsapp_session_stores (
    session_id VARCHAR(64) PRIMARY KEY,
    version BIGINT NOT NULL,
    store BYTEA NOT NULL,
    saved_by VARCHAR(255) NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
