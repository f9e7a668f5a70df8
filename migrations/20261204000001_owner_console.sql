-- The owner's console (`/console`): how an owner gets in, and the ids its pages use.
--
-- Every client who writes gets a conversations row (the ledger adds it with the
-- message), and the row an opaque id: the console's links and API name a conversation
-- by it, never by the client's phone.
ALTER TABLE conversations ADD COLUMN id BIGSERIAL;
ALTER TABLE conversations ADD CONSTRAINT conversations_id_key UNIQUE (id);
INSERT INTO conversations (salon_id, client_phone)
SELECT DISTINCT salon_id, client_phone FROM inbound_messages
ON CONFLICT (salon_id, client_phone) DO NOTHING;

-- One-time codes the marketplace redirect hands the console page (single use, about a
-- minute): the page trades one for a session. Only a code's SHA-256 is stored.
CREATE TABLE console_codes (
    code_hash BYTEA PRIMARY KEY,
    salon_id INTEGER NOT NULL,
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    -- The YClients user the redirect was signed for (NULL: an unsigned demo link).
    user_id VARCHAR(100),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX idx_console_codes_expires ON console_codes (expires_at);

-- Console sessions: a bearer token bound to one salon, sliding expiry, revocable
-- (logout). Only a token's SHA-256 is stored, so the table does not hand out sessions.
CREATE TABLE console_sessions (
    token_hash BYTEA PRIMARY KEY,
    salon_id INTEGER NOT NULL,
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id VARCHAR(100),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX idx_console_sessions_salon ON console_sessions (salon_id);
CREATE INDEX idx_console_sessions_expires ON console_sessions (expires_at);

-- The console's transcript reads what was sent to a client (the bot's replies,
-- reminders, and the salon's own answers from the console, keyed `salon/…`).
CREATE INDEX idx_outbound_messages_to ON outbound_messages (salon_id, to_phone, created_at);
CREATE INDEX idx_inbound_messages_client ON inbound_messages (salon_id, client_phone, received_at);

-- A console reply is claimed for a moment before it goes out, so two requests with one
-- Idempotency-Key (a double click, a retry while the first still sends) send it once.
ALTER TABLE outbound_messages ADD COLUMN claimed_at TIMESTAMPTZ;
