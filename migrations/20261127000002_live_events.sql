-- Events an owner's onboarding page shows live (QR codes, pairing codes, WhatsApp linked,
-- onboarding progress). Writers insert a row and pg_notify it in one statement; every API
-- process listens and fans events out to the WebSockets of that salon, so a process that
-- did not host the WhatsApp session still delivers them. A reconnecting page replays the
-- recent rows it missed.
CREATE TABLE live_events (
    id BIGSERIAL PRIMARY KEY,
    salon_id INTEGER NOT NULL,
    event VARCHAR(50) NOT NULL,
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    -- Set by writers that may run twice (retried activities): a second write is a no-op.
    dedup_key VARCHAR(255)
);

CREATE INDEX idx_live_events_salon ON live_events (salon_id, id);
CREATE INDEX idx_live_events_created ON live_events (created_at);
CREATE UNIQUE INDEX idx_live_events_dedup ON live_events (dedup_key) WHERE dedup_key IS NOT NULL;
