-- +goose Up
-- The audit log is a hash chain: each entry's hash covers its content and
-- the previous entry's hash, so a row changed, deleted or inserted directly
-- in the database breaks the chain at that row (yiwang audit verify).
-- ids are given by the writer (seq), never by a sequence, so a gap is a
-- deletion. audit_head holds the last seq and hash, so a cut-off tail shows.
CREATE TABLE audit_log (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER    NOT NULL,
    user_id   INTEGER,
    username  TEXT NOT NULL DEFAULT '',
    role      TEXT NOT NULL DEFAULT '',
    action    TEXT NOT NULL,
    target    TEXT NOT NULL DEFAULT '',
    result    TEXT NOT NULL,
    ip        TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT '',
    alg       TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_user ON audit_log(user_id, at);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY,
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
);

-- +goose Down
DROP TABLE audit_head;
DROP TABLE audit_log;
