-- +goose Up
-- The transactional outbox: a row per case event, written in the same
-- transaction as the event, so an event is published if and only if it
-- was committed. Each sink (NATS, webhooks) records what it delivered.
CREATE TABLE outbox (
    event_id   BIGINT PRIMARY KEY REFERENCES case_events(id),
    created_at BIGINT NOT NULL
);

CREATE TABLE outbox_deliveries (
    event_id     BIGINT NOT NULL REFERENCES outbox(event_id) ON DELETE CASCADE,
    sink         TEXT NOT NULL,
    delivered_at BIGINT NOT NULL,
    PRIMARY KEY (sink, event_id)
);

-- +goose Down
DROP TABLE outbox_deliveries;
DROP TABLE outbox;
