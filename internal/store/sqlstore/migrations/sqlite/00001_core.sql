-- +goose Up
-- Times are Unix milliseconds (INTEGER) so SQLite and PostgreSQL share the
-- same queries and range scans stay integer compares.
CREATE TABLE org_units (
    id        INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES org_units(id),
    kind      TEXT    NOT NULL,
    code      TEXT    NOT NULL,
    name      TEXT    NOT NULL
);
CREATE INDEX org_units_parent ON org_units(parent_id);

CREATE TABLE grids (
    org_id         INTEGER PRIMARY KEY REFERENCES org_units(id),
    code           TEXT    NOT NULL UNIQUE,
    code_admin     TEXT    NOT NULL,
    code_street    TEXT    NOT NULL,
    code_community TEXT    NOT NULL,
    code_seq       TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    community_id   INTEGER NOT NULL REFERENCES org_units(id),
    street_id      INTEGER NOT NULL REFERENCES org_units(id),
    worker_id      INTEGER,
    geometry       TEXT    NOT NULL,
    area_m2        REAL    NOT NULL DEFAULT 0
);

CREATE TABLE categories (
    id              INTEGER PRIMARY KEY,
    parent_id       INTEGER REFERENCES categories(id),
    code            TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    name_en         TEXT    NOT NULL DEFAULT '',
    case_type       TEXT    NOT NULL,
    default_unit_id INTEGER REFERENCES org_units(id),
    deadline_kind   TEXT    NOT NULL,
    deadline_amount INTEGER NOT NULL,
    public          INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE routing_rules (
    id          INTEGER PRIMARY KEY,
    category_id INTEGER NOT NULL REFERENCES categories(id),
    area_id     INTEGER NOT NULL REFERENCES org_units(id),
    unit_id     INTEGER NOT NULL REFERENCES org_units(id),
    UNIQUE (category_id, area_id)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    org_id        INTEGER NOT NULL REFERENCES org_units(id),
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE cases (
    id             INTEGER PRIMARY KEY,
    receipt        TEXT    NOT NULL UNIQUE,
    type           TEXT    NOT NULL,
    def_version    INTEGER NOT NULL,
    channel        TEXT    NOT NULL,
    category_id    INTEGER NOT NULL REFERENCES categories(id),
    description    TEXT    NOT NULL,
    lat            REAL    NOT NULL,
    lng            REAL    NOT NULL,
    address        TEXT    NOT NULL DEFAULT '',
    grid_id        INTEGER REFERENCES org_units(id),
    community_id   INTEGER REFERENCES org_units(id),
    street_id      INTEGER REFERENCES org_units(id),
    unit_id        INTEGER REFERENCES org_units(id),
    routing        TEXT    NOT NULL DEFAULT '',
    reporter_name  TEXT    NOT NULL DEFAULT '',
    reporter_phone TEXT    NOT NULL DEFAULT '',
    anonymous      INTEGER NOT NULL DEFAULT 0,
    status         TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    master_id      INTEGER REFERENCES cases(id),
    due_at         INTEGER,
    satisfaction   TEXT    NOT NULL DEFAULT '',
    created_by     INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    closed_at      INTEGER,
    idem_key       TEXT
);
-- A retried create with the same Idempotency-Key finds the first case.
CREATE UNIQUE INDEX cases_idem ON cases(idem_key) WHERE idem_key IS NOT NULL;
-- Inbox and list queries: newest first within a status / unit / area.
CREATE INDEX cases_status ON cases(status, id);
CREATE INDEX cases_unit ON cases(unit_id, status, id);
CREATE INDEX cases_street ON cases(street_id, id);
CREATE INDEX cases_grid ON cases(grid_id, id);
CREATE INDEX cases_created ON cases(created_at);

CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    seq         INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor_id    INTEGER,
    actor_name  TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    from_state  TEXT    NOT NULL DEFAULT '',
    to_state    TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    unit_id     INTEGER,
    result      TEXT    NOT NULL DEFAULT '',
    attachments TEXT    NOT NULL DEFAULT '',
    UNIQUE (case_id, seq)
);

-- The timeline is append-only: the database refuses edits and deletes.
-- +goose StatementBegin
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
-- +goose StatementEnd

CREATE TABLE attachments (
    id         TEXT    PRIMARY KEY,
    mime       TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    created_by INTEGER,
    created_at INTEGER NOT NULL
);

CREATE TABLE case_attachments (
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    attachment_id TEXT    NOT NULL REFERENCES attachments(id),
    event_seq     INTEGER NOT NULL,
    PRIMARY KEY (case_id, attachment_id, event_seq)
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE case_attachments;
DROP TABLE attachments;
DROP TABLE case_events;
DROP TABLE cases;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE routing_rules;
DROP TABLE categories;
DROP TABLE grids;
DROP TABLE org_units;
