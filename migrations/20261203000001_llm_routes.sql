-- Which language-model route answered each stage of a turn (`gemini`, `openai`,
-- `openai (fallback)`, …) and stage 2's model when a deployment gives the reply its
-- own: with a fallback provider configured the two stages may be answered by
-- different providers, and ops need to know which said what.
ALTER TABLE assistant_turns
    ADD COLUMN stage1_provider VARCHAR(64),
    ADD COLUMN stage2_provider VARCHAR(64),
    ADD COLUMN stage2_model VARCHAR(128);
