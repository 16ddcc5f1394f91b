-- +goose Up
-- What an API key reads from Open311: 'public' (what anyone sees without
-- a key: accepted cases, masked text, coarse points) or 'staff' (every
-- case of a public category, exact and unmasked). Keys issued before
-- scopes existed read as before, so they are 'staff'; new keys are
-- 'public' unless the administrator chooses otherwise.
ALTER TABLE api_keys ADD COLUMN scope TEXT NOT NULL DEFAULT 'staff';

-- +goose Down
ALTER TABLE api_keys DROP COLUMN scope;
