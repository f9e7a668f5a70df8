-- What clients send beyond text: each message's kind (a caption, a location's name
-- and the like are its text), what is known of its media, and the message an edit,
-- a deletion or a reaction is about. An edit replaces the text of a message not yet
-- answered; a deletion withdraws it.
ALTER TABLE inbound_messages ADD COLUMN kind VARCHAR(20) NOT NULL DEFAULT 'text';
ALTER TABLE inbound_messages ADD COLUMN media JSONB;
ALTER TABLE inbound_messages ADD COLUMN refers_to VARCHAR(128);
ALTER TABLE inbound_messages ADD COLUMN edited_at TIMESTAMPTZ;
ALTER TABLE inbound_messages DROP CONSTRAINT inbound_messages_status_check;
ALTER TABLE inbound_messages ADD CONSTRAINT inbound_messages_status_check
    CHECK (status IN ('pending', 'handled', 'ignored', 'withdrawn'));
-- Withdrawn messages the conversation has not been told about yet.
CREATE INDEX idx_inbound_messages_withdrawn ON inbound_messages (salon_id, client_phone, id)
    WHERE status = 'withdrawn' AND relayed_at IS NULL;
