-- +goose Up
-- A write's audit entry is committed in the write's own transaction, here,
-- unchained: linking it onto the hash chain needs the chain's head, which
-- a hot write must not lock (on PostgreSQL every create would queue on one
-- row). The audit writer moves these rows onto the chain in batches and
-- deletes them in the same transaction; at start-up what a crash left
-- here is chained first, so an acknowledged write never loses its entry.
CREATE TABLE audit_pending (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    user_id   INTEGER,
    username  TEXT NOT NULL DEFAULT '',
    role      TEXT NOT NULL DEFAULT '',
    action    TEXT NOT NULL,
    target    TEXT NOT NULL DEFAULT '',
    result    TEXT NOT NULL,
    ip        TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT '',
    alg       TEXT NOT NULL
);

-- +goose Down
DROP TABLE audit_pending;
