-- WhatsApp's server answer to each message we sent: taken (error NULL) or refused with
-- a nack code. A send returns once the message is on the socket; the answer comes
-- later, and may come before the sender has stored the message id, so it has its own
-- table keyed by the id (join outbound_messages on message_id).
CREATE TABLE whatsapp_send_acks (
    message_id VARCHAR(255) PRIMARY KEY,
    salon_id BIGINT NOT NULL,
    error VARCHAR(64),
    acked_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX whatsapp_send_acks_refused ON whatsapp_send_acks (salon_id, acked_at) WHERE error IS NOT NULL;
