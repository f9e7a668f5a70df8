-- Activation and full sync.

-- The activation that generated companies.api_key: a retried activation step keeps the
-- key it saved instead of minting a new one.
ALTER TABLE companies ADD COLUMN api_key_activation VARCHAR(255);

-- Sync bookkeeping: every synced row carries the time of the sync that last saw it, so a
-- row YClients no longer returns is marked inactive instead of being left stale.
CREATE TABLE service_categories (
    id BIGSERIAL PRIMARY KEY,
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    yclients_id INTEGER NOT NULL,
    title VARCHAR(255) NOT NULL,
    active BOOLEAN NOT NULL DEFAULT true,
    last_synced_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (company_id, yclients_id)
);

ALTER TABLE services ADD COLUMN last_synced_at TIMESTAMPTZ;
ALTER TABLE staff ADD COLUMN last_synced_at TIMESTAMPTZ;
ALTER TABLE clients ADD COLUMN active BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE clients ADD COLUMN last_synced_at TIMESTAMPTZ;

-- One row per master, day and working interval; a resync updates it in place.
ALTER TABLE schedules ADD COLUMN last_synced_at TIMESTAMPTZ;
ALTER TABLE schedules ADD CONSTRAINT schedules_interval_unique
    UNIQUE (company_id, staff_id, date, time_start);

-- What the assistant needs from a record besides the spec's columns.
ALTER TABLE bookings ADD COLUMN duration_seconds INTEGER;
ALTER TABLE bookings ADD COLUMN attendance INTEGER;
ALTER TABLE bookings ADD COLUMN api_id VARCHAR(100);
ALTER TABLE bookings ADD COLUMN last_synced_at TIMESTAMPTZ;
CREATE INDEX idx_bookings_company_datetime ON bookings (company_id, datetime);

-- Messages we send, keyed before sending, so a retried send never sends twice.
CREATE TABLE outbound_messages (
    idempotency_key VARCHAR(255) PRIMARY KEY,
    salon_id INTEGER NOT NULL,
    to_phone VARCHAR(50) NOT NULL,
    text TEXT NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'pending'
        CONSTRAINT outbound_messages_status_check CHECK (status IN ('pending', 'sent')),
    message_id VARCHAR(255),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    sent_at TIMESTAMPTZ
);
CREATE INDEX idx_outbound_messages_salon ON outbound_messages (salon_id, created_at);
