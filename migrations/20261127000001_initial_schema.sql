-- The original product's schema (spec section "База данных"), kept column for column.
-- Differences, each on purpose:
--   * timestamps are TIMESTAMPTZ: salons live in many time zones and YClients sends offsets;
--   * integration_status is limited to the spec's six values by a CHECK constraint;
--   * child tables reference companies with ON DELETE CASCADE so a salon can be purged whole;
--   * marketplace_events.dedup_key lets a retried writer record an event exactly once.

CREATE TABLE companies (
    id BIGSERIAL PRIMARY KEY,
    yclients_id INTEGER UNIQUE NOT NULL,
    title VARCHAR(255) NOT NULL,
    phone VARCHAR(50),
    email VARCHAR(255),
    address TEXT,
    timezone VARCHAR(50) NOT NULL DEFAULT 'Europe/Moscow',

    integration_status VARCHAR(50) NOT NULL DEFAULT 'pending_whatsapp'
        CONSTRAINT companies_integration_status_check CHECK (integration_status IN (
            'pending_whatsapp', 'activating', 'active', 'activation_failed', 'frozen', 'uninstalled'
        )),
    marketplace_user_id VARCHAR(100),
    marketplace_user_name VARCHAR(255),
    marketplace_user_phone VARCHAR(50),
    marketplace_user_email VARCHAR(255),

    whatsapp_connected BOOLEAN NOT NULL DEFAULT false,
    whatsapp_phone VARCHAR(50),
    whatsapp_connected_at TIMESTAMPTZ,

    api_key VARCHAR(255),

    last_payment_date TIMESTAMPTZ,

    connected_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_companies_yclients_id ON companies (yclients_id);
CREATE INDEX idx_companies_status ON companies (integration_status);
CREATE INDEX idx_companies_whatsapp ON companies (whatsapp_connected);

CREATE TABLE marketplace_events (
    id BIGSERIAL PRIMARY KEY,
    company_id BIGINT REFERENCES companies (id) ON DELETE CASCADE,
    salon_id INTEGER NOT NULL,
    event_type VARCHAR(50) NOT NULL,
    event_data JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    -- Set by writers that may run twice (retried activities): a second write is a no-op.
    dedup_key VARCHAR(255)
);

CREATE UNIQUE INDEX idx_marketplace_events_dedup ON marketplace_events (dedup_key)
    WHERE dedup_key IS NOT NULL;

CREATE INDEX idx_marketplace_events_company ON marketplace_events (company_id);
CREATE INDEX idx_marketplace_events_salon ON marketplace_events (salon_id);
CREATE INDEX idx_marketplace_events_type ON marketplace_events (event_type);
CREATE INDEX idx_marketplace_events_created ON marketplace_events (created_at DESC);

CREATE TABLE services (
    id BIGSERIAL PRIMARY KEY,
    company_id BIGINT REFERENCES companies (id) ON DELETE CASCADE,
    yclients_id INTEGER NOT NULL,
    title VARCHAR(255) NOT NULL,
    category_id INTEGER,
    price_min DECIMAL(10, 2),
    price_max DECIMAL(10, 2),
    duration INTEGER, -- minutes
    description TEXT,
    active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (company_id, yclients_id)
);

CREATE TABLE staff (
    id BIGSERIAL PRIMARY KEY,
    company_id BIGINT REFERENCES companies (id) ON DELETE CASCADE,
    yclients_id INTEGER NOT NULL,
    name VARCHAR(255) NOT NULL,
    specialization VARCHAR(255),
    avatar_url TEXT,
    rating DECIMAL(3, 2),
    active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (company_id, yclients_id)
);

CREATE TABLE clients (
    id BIGSERIAL PRIMARY KEY,
    company_id BIGINT REFERENCES companies (id) ON DELETE CASCADE,
    yclients_id INTEGER NOT NULL,
    name VARCHAR(255),
    phone VARCHAR(50),
    email VARCHAR(255),
    visit_count INTEGER NOT NULL DEFAULT 0,
    last_visit_date TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (company_id, yclients_id)
);

CREATE INDEX idx_clients_phone ON clients (phone);

CREATE TABLE schedules (
    id BIGSERIAL PRIMARY KEY,
    company_id BIGINT REFERENCES companies (id) ON DELETE CASCADE,
    staff_id BIGINT REFERENCES staff (id) ON DELETE CASCADE,
    date DATE NOT NULL,
    time_start TIME NOT NULL,
    time_end TIME NOT NULL,
    available BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_schedules_date ON schedules (date);
CREATE INDEX idx_schedules_staff ON schedules (staff_id);

CREATE TABLE bookings (
    id BIGSERIAL PRIMARY KEY,
    company_id BIGINT REFERENCES companies (id) ON DELETE CASCADE,
    yclients_id INTEGER UNIQUE NOT NULL,
    client_id BIGINT REFERENCES clients (id) ON DELETE SET NULL,
    staff_id BIGINT REFERENCES staff (id) ON DELETE SET NULL,
    service_id BIGINT REFERENCES services (id) ON DELETE SET NULL,
    datetime TIMESTAMPTZ NOT NULL,
    status VARCHAR(50),
    comment TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_bookings_datetime ON bookings (datetime);
CREATE INDEX idx_bookings_status ON bookings (status);
