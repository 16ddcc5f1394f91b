-- +goose Up
-- The fingerprint of a named event's content: the same event_id again
-- with the same content is a retry (answered with the first answer), with
-- other content a conflict (409). Keys from before have '' and match any
-- content, as they did.
ALTER TABLE machine_event_keys ADD COLUMN content_hash TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE machine_event_keys DROP COLUMN content_hash;
