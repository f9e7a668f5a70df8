-- How the bot speaks for the salon, set by the owner in the console: the line it greets
-- a client with, «вы» or «ты», emoji or not, and facts it may tell (parking, the
-- entrance, payment). Read on every reply, like the rest of salon_settings.
ALTER TABLE salon_settings
    -- The greeting that opens the bot's first reply to a client (NULL: its own).
    ADD COLUMN welcome_text TEXT,
    ADD COLUMN tone_address TEXT NOT NULL DEFAULT 'вы' CHECK (tone_address IN ('вы', 'ты')),
    ADD COLUMN tone_emoji BOOLEAN NOT NULL DEFAULT false,
    -- Free text, one fact a line (NULL: none).
    ADD COLUMN facts TEXT;
