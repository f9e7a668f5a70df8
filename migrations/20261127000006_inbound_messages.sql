-- WhatsApp messages from clients, recorded before anything acts on them: a message
-- redelivered after a reconnect (same session and id) is recorded once, and one the
-- process had not handed to its conversation when it died is found here on start-up.
CREATE TABLE inbound_messages (
    id BIGSERIAL PRIMARY KEY,
    salon_id INTEGER NOT NULL,
    session VARCHAR(64) NOT NULL,
    -- WhatsApp's id of the message, unique within the session.
    message_id VARCHAR(128) NOT NULL,
    -- The client's number, digits only.
    client_phone VARCHAR(20) NOT NULL,
    text TEXT NOT NULL,
    -- The name the client set in WhatsApp.
    push_name VARCHAR(255),
    -- When the client sent it (from WhatsApp), and when we got it.
    sent_at TIMESTAMPTZ,
    received_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CONSTRAINT inbound_messages_status_check
        CHECK (status IN ('pending', 'handled', 'ignored')),
    -- When it was last handed to conversation-<salon_id>-<client_phone>.
    relayed_at TIMESTAMPTZ,
    handled_at TIMESTAMPTZ,
    CONSTRAINT inbound_messages_session_message UNIQUE (session, message_id)
);

CREATE INDEX idx_inbound_messages_pending ON inbound_messages (salon_id, client_phone, id)
    WHERE status = 'pending';
