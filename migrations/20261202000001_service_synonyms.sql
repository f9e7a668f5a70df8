-- How this salon's clients name its services: a client's word starting with `said`
-- stands for the words `stands_for` (what the salon's titles say). Seeded with the
-- common ones by the salon's services sync (`origin = 'common'`; a later release's
-- better wording of a common row replaces it while the owner has not touched it). A row
-- the owner adds or changes is `origin = 'owner'` and never rewritten by the seeding; a
-- removed row is kept (`removed`), so the next seeding does not bring it back. `said` is
-- one word as matching reads it: lower case, `ё` written `е`.
CREATE TABLE service_synonyms (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    said TEXT NOT NULL CHECK (said ~ '^[а-яa-z0-9]{2,40}$'),
    stands_for TEXT NOT NULL CHECK (CHAR_LENGTH(BTRIM(stands_for)) BETWEEN 2 AND 80),
    origin TEXT NOT NULL CHECK (origin IN ('common', 'owner')),
    removed BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (company_id, said)
);
