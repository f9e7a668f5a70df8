-- What the marketplace's moderation asks of us: an activation callback we know we
-- sent, the uninstall's moment (personal data goes a grace period later), and billing:
-- each salon's subscription and every payment, reported to YClients and refunded there.

-- The activation (`api_key_activation`) whose callback was sent: when YClients later
-- says the application is active, that callback landed and is not sent again.
ALTER TABLE companies ADD COLUMN callback_sent_activation VARCHAR(255);
-- When the salon last removed the application (cleared by a new install).
ALTER TABLE companies ADD COLUMN uninstalled_at TIMESTAMPTZ;
-- When its personal data was deleted after that.
ALTER TABLE companies ADD COLUMN personal_data_erased_at TIMESTAMPTZ;

-- Keyed by the YClients salon id, not the company row: accounting outlives anything
-- else we keep about a salon.
CREATE TABLE subscriptions (
    salon_id INTEGER PRIMARY KEY,
    tariff VARCHAR(50) NOT NULL,
    trial_ends_at TIMESTAMPTZ NOT NULL,
    paid_until TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE payments (
    id BIGSERIAL PRIMARY KEY,
    salon_id INTEGER NOT NULL,
    -- Ours: YClients' payment API has none, so a repeated request finds this row.
    idempotency_key VARCHAR(255) NOT NULL UNIQUE,
    -- How the salon paid us (`manual`: recorded by ops) and the provider's reference.
    provider VARCHAR(50) NOT NULL,
    provider_ref VARCHAR(255),
    amount_minor BIGINT NOT NULL CONSTRAINT payments_amount_check CHECK (amount_minor > 0),
    currency CHAR(3) NOT NULL,
    tariff VARCHAR(50),
    paid_at TIMESTAMPTZ NOT NULL,
    period_from TIMESTAMPTZ NOT NULL,
    period_to TIMESTAMPTZ NOT NULL,
    -- YClients' `data.id`, once reported.
    yclients_payment_id BIGINT UNIQUE,
    -- Reports sent, and since when the last one is unanswered (a timeout: it may
    -- still land at YClients, so nothing is sent again until it settles).
    report_attempts INTEGER NOT NULL DEFAULT 0,
    report_unanswered_since TIMESTAMPTZ,
    reported_at TIMESTAMPTZ,
    -- Ops asked for a refund; YClients took it.
    refund_requested_at TIMESTAMPTZ,
    refund_started_at TIMESTAMPTZ,
    refunded_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    CONSTRAINT payments_period_check CHECK (period_to > period_from)
);
CREATE INDEX idx_payments_salon ON payments (salon_id, paid_at);
