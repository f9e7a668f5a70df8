-- What the assistant did in each conversation turn: the client's words, stage 1's
-- commands and what they gave, the reply sent, and each language-model call's tokens
-- and time. Written by the turn's activities under the turn's step (the same on every
-- retry, so a retried step overwrites its own part); read by `ai-admin eval` and by
-- whoever needs to know why the bot said what it said. Pruned with the messages.
CREATE TABLE assistant_turns (
    step TEXT PRIMARY KEY,
    salon_id INTEGER NOT NULL,
    client_phone VARCHAR(64) NOT NULL,
    messages JSONB NOT NULL DEFAULT '[]',
    prompt_version VARCHAR(32) NOT NULL,
    commands JSONB,
    problems JSONB,
    results JSONB,
    reply TEXT,
    model VARCHAR(128),
    stage1_prompt_tokens INTEGER,
    stage1_output_tokens INTEGER,
    stage1_ms INTEGER,
    stage2_prompt_tokens INTEGER,
    stage2_output_tokens INTEGER,
    stage2_ms INTEGER,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_assistant_turns_client ON assistant_turns (salon_id, client_phone, created_at);
CREATE INDEX idx_assistant_turns_created ON assistant_turns (created_at);
