-- +goose Up
-- The transactional outbox: a row per case event, written in the same
-- transaction as the event, so an event is published if and only if it
-- was committed. Each sink (NATS, webhooks) records what it delivered.
CREATE TABLE outbox (
    event_id   INTEGER PRIMARY KEY REFERENCES case_events(id),
    created_at INTEGER NOT NULL
);

CREATE TABLE outbox_deliveries (
    event_id     INTEGER NOT NULL REFERENCES outbox(event_id) ON DELETE CASCADE,
    sink         TEXT NOT NULL,
    delivered_at INTEGER NOT NULL,
    PRIMARY KEY (sink, event_id)
);

-- +goose Down
DROP TABLE outbox_deliveries;
DROP TABLE outbox;
