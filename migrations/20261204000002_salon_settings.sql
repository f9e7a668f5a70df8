-- What the owner sets for their salon in the console; applied without a restart (each
-- turn and each reminder reads it). No row: the defaults (bot on, always answering,
-- the deployment's REMINDER_OFFSETS).
CREATE TABLE salon_settings (
    salon_id INTEGER PRIMARY KEY,
    bot_enabled BOOLEAN NOT NULL DEFAULT true,
    -- The fixed answer while the bot is off (NULL: silence).
    off_reply TEXT,
    -- When the bot answers: {"days": [1..7], "from": "HH:MM", "to": "HH:MM"} in the
    -- salon's time zone (NULL: always). "to" before "from" runs past midnight.
    answer_hours JSONB,
    -- The fixed answer outside those hours (NULL: silence until they start).
    outside_hours_reply TEXT,
    -- Seconds before a visit each reminder goes (NULL: the deployment's).
    reminder_offsets_secs BIGINT[],
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
