-- +goose Up
-- Failed-login counts (the login throttle: per name and address, per
-- address) when several nodes share one PostgreSQL database, so that an
-- attacker gets one allowance and not one per node, and an administrator's
-- reset on any node clears the name everywhere. key is "pair:<name hash>:<address>"
-- or "addr:<address>"; level is the leaky count just after the last
-- failure at at (Unix ms). A single SQLite node counts in memory and
-- leaves this table empty. Leaked-away counts are pruned hourly.
CREATE TABLE login_throttle (
    key   TEXT NOT NULL PRIMARY KEY,
    level REAL NOT NULL,
    at    INTEGER NOT NULL
);

-- +goose Down
DROP TABLE login_throttle;
