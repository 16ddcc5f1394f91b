-- +goose Up
-- A source may name each event (its own alarm id). A retried post of the
-- same id — the answer was lost, the platform sends again — is answered
-- with what became of the first and counted once. Ids are kept a week
-- (the intake prunes older ones); retries come within minutes.
CREATE TABLE machine_event_keys (
    source_id        INTEGER NOT NULL REFERENCES event_sources(id),
    event_id         TEXT    NOT NULL,
    machine_event_id INTEGER NOT NULL REFERENCES machine_events(id),
    outcome          TEXT    NOT NULL,
    case_id          INTEGER,
    received_at      INTEGER NOT NULL,
    PRIMARY KEY (source_id, event_id)
) WITHOUT ROWID; -- one B-tree keyed by the id, not a rowid table and an index
CREATE INDEX machine_event_keys_received ON machine_event_keys(received_at);

-- +goose Down
DROP TABLE machine_event_keys;
