-- One row per client who wrote to a salon: whether the bot answers them or a person
-- from the salon has taken over, and the name they gave. The conversation workflow keeps
-- the same name in its state; this row outlives the workflow's quiet-period end.
CREATE TABLE conversations (
    salon_id INTEGER NOT NULL,
    -- Digits only.
    client_phone VARCHAR(20) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'bot'
        CONSTRAINT conversations_status_check CHECK (status IN ('bot', 'handoff')),
    client_name VARCHAR(255),
    handoff_reason TEXT,
    handoff_at TIMESTAMPTZ,
    released_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (salon_id, client_phone)
);

CREATE INDEX idx_conversations_handoff ON conversations (salon_id) WHERE status = 'handoff';
