-- +goose Up
-- Times are Unix milliseconds (BIGINT) so SQLite and PostgreSQL share the
-- same queries and range scans stay integer compares.
CREATE TABLE org_units (
    id        BIGSERIAL PRIMARY KEY,
    parent_id BIGINT REFERENCES org_units(id),
    kind      TEXT    NOT NULL,
    code      TEXT    NOT NULL,
    name      TEXT    NOT NULL
);
CREATE INDEX org_units_parent ON org_units(parent_id);

CREATE TABLE grids (
    org_id         BIGINT PRIMARY KEY REFERENCES org_units(id),
    code           TEXT    NOT NULL UNIQUE,
    code_admin     TEXT    NOT NULL,
    code_street    TEXT    NOT NULL,
    code_community TEXT    NOT NULL,
    code_seq       TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    community_id   BIGINT NOT NULL REFERENCES org_units(id),
    street_id      BIGINT NOT NULL REFERENCES org_units(id),
    worker_id      BIGINT,
    geometry       TEXT    NOT NULL,
    area_m2        DOUBLE PRECISION    NOT NULL DEFAULT 0
);

CREATE TABLE categories (
    id              BIGSERIAL PRIMARY KEY,
    parent_id       BIGINT REFERENCES categories(id),
    code            TEXT    NOT NULL UNIQUE,
    kind            TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    name_en         TEXT    NOT NULL DEFAULT '',
    case_type       TEXT    NOT NULL,
    default_unit_id BIGINT REFERENCES org_units(id),
    deadline_kind   TEXT    NOT NULL,
    deadline_amount BIGINT NOT NULL,
    public          BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE routing_rules (
    id          BIGSERIAL PRIMARY KEY,
    category_id BIGINT NOT NULL REFERENCES categories(id),
    area_id     BIGINT NOT NULL REFERENCES org_units(id),
    unit_id     BIGINT NOT NULL REFERENCES org_units(id),
    UNIQUE (category_id, area_id)
);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    org_id        BIGINT NOT NULL REFERENCES org_units(id),
    password_hash TEXT    NOT NULL,
    disabled      BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE cases (
    id             BIGSERIAL PRIMARY KEY,
    receipt        TEXT    NOT NULL UNIQUE,
    type           TEXT    NOT NULL,
    def_version    BIGINT NOT NULL,
    channel        TEXT    NOT NULL,
    category_id    BIGINT NOT NULL REFERENCES categories(id),
    description    TEXT    NOT NULL,
    lat            DOUBLE PRECISION    NOT NULL,
    lng            DOUBLE PRECISION    NOT NULL,
    address        TEXT    NOT NULL DEFAULT '',
    grid_id        BIGINT REFERENCES org_units(id),
    community_id   BIGINT REFERENCES org_units(id),
    street_id      BIGINT REFERENCES org_units(id),
    unit_id        BIGINT REFERENCES org_units(id),
    routing        TEXT    NOT NULL DEFAULT '',
    reporter_name  TEXT    NOT NULL DEFAULT '',
    reporter_phone TEXT    NOT NULL DEFAULT '',
    anonymous      BIGINT NOT NULL DEFAULT 0,
    status         TEXT    NOT NULL,
    version        BIGINT NOT NULL,
    master_id      BIGINT REFERENCES cases(id),
    due_at         BIGINT,
    satisfaction   TEXT    NOT NULL DEFAULT '',
    created_by     BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    closed_at      BIGINT,
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
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    seq         BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    actor_id    BIGINT,
    actor_name  TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    from_state  TEXT    NOT NULL DEFAULT '',
    to_state    TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    unit_id     BIGINT,
    result      TEXT    NOT NULL DEFAULT '',
    attachments TEXT    NOT NULL DEFAULT '',
    UNIQUE (case_id, seq)
);

-- The timeline is append-only: the database refuses edits and deletes.
-- +goose StatementBegin
CREATE FUNCTION case_events_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'case_events is append-only'; END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER case_events_no_update BEFORE UPDATE OR DELETE ON case_events
FOR EACH ROW EXECUTE FUNCTION case_events_append_only();

CREATE TABLE attachments (
    id         TEXT    PRIMARY KEY,
    mime       TEXT    NOT NULL,
    size       BIGINT NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    created_by BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE case_attachments (
    case_id       BIGINT NOT NULL REFERENCES cases(id),
    attachment_id TEXT    NOT NULL REFERENCES attachments(id),
    event_seq     BIGINT NOT NULL,
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
DROP FUNCTION case_events_append_only;
DROP TABLE cases;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE routing_rules;
DROP TABLE categories;
DROP TABLE grids;
DROP TABLE org_units;
