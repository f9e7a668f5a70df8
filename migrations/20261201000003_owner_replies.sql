-- The salon answering a client itself (from the phone, or any of its own devices):
-- the bot pauses for that client until `paused_until`, and the message is kept in the
-- ledger as the salon's (for the transcript), not as the client's.
ALTER TABLE conversations ADD COLUMN paused_until TIMESTAMPTZ;
ALTER TABLE inbound_messages ADD COLUMN from_salon BOOLEAN NOT NULL DEFAULT false;
