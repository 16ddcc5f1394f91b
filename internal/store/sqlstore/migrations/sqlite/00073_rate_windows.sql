-- +goose Up
-- Request counts per minute for the rate limits (API keys, anonymous
-- writes per address) when several nodes share one PostgreSQL database:
-- a key's limit is then one limit, not one per node. A single SQLite node
-- counts in memory and leaves this table empty. Old minutes are pruned.
CREATE TABLE rate_windows (
    bucket       TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- +goose Down
DROP TABLE rate_windows;
