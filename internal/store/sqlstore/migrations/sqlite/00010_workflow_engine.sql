-- +goose NO TRANSACTION
-- +goose Up
-- Case types as data. Some types have no category (a discipline clue, a
-- hospital referral), so cases.category_id becomes nullable; SQLite cannot
-- alter a column, so the table is rebuilt (sqlite.org/lang_altertable.html,
-- "making other kinds of table schema changes"), with foreign keys off
-- for the swap and checked before commit. Each case also keeps its type's
-- fields and the engine's bookkeeping (clocks, extension) as JSON text; the
-- owning leader (包案) and the deadline alert are columns because lists
-- filter on them.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE cases_new (
    id             INTEGER PRIMARY KEY,
    receipt        TEXT    NOT NULL UNIQUE,
    type           TEXT    NOT NULL,
    def_version    INTEGER NOT NULL,
    channel        TEXT    NOT NULL,
    category_id    INTEGER REFERENCES categories(id),
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
    idem_key       TEXT,
    fields         TEXT    NOT NULL DEFAULT '',
    flow           TEXT    NOT NULL DEFAULT '',
    owner_id       INTEGER,
    alert          TEXT    NOT NULL DEFAULT ''
);
INSERT INTO cases_new (id, receipt, type, def_version, channel, category_id, description, lat, lng, address,
    grid_id, community_id, street_id, unit_id, routing, reporter_name, reporter_phone, anonymous, status, version,
    master_id, due_at, satisfaction, created_by, created_at, updated_at, closed_at, idem_key)
SELECT id, receipt, type, def_version, channel, category_id, description, lat, lng, address,
    grid_id, community_id, street_id, unit_id, routing, reporter_name, reporter_phone, anonymous, status, version,
    master_id, due_at, satisfaction, created_by, created_at, updated_at, closed_at, idem_key FROM cases;
DROP TABLE cases;
ALTER TABLE cases_new RENAME TO cases;
CREATE UNIQUE INDEX cases_idem ON cases(idem_key) WHERE idem_key IS NOT NULL;
CREATE INDEX cases_status ON cases(status, id);
CREATE INDEX cases_unit ON cases(unit_id, status, id);
CREATE INDEX cases_street ON cases(street_id, id);
CREATE INDEX cases_grid ON cases(grid_id, id);
CREATE INDEX cases_created ON cases(created_at);
CREATE INDEX cases_owner ON cases(owner_id, status) WHERE owner_id IS NOT NULL;
CREATE INDEX cases_alert ON cases(alert, unit_id) WHERE alert <> '';
CREATE INDEX cases_due ON cases(due_at) WHERE due_at IS NOT NULL;

-- The rest of an action's input, so a timeline replays to the same case.
ALTER TABLE case_events ADD COLUMN data TEXT NOT NULL DEFAULT '';
-- The daily dispatch sheet reads what changed since yesterday.
CREATE INDEX case_events_at ON case_events(at);

-- Deadline timers. A running clock has two rows (warn at 80 %, due at
-- 100 %); a supervision document has one (reply due). Pending rows are
-- found through timers_pending, never by a scan. A row fires once: the
-- firing node claims it with UPDATE ... WHERE fired_at IS NULL, which only
-- one node can win, and writes the escalation in the same transaction.
CREATE TABLE timers (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER REFERENCES cases(id),
    supervision_id INTEGER,
    clock          TEXT    NOT NULL,
    kind           TEXT    NOT NULL, -- warn, due, reply_due
    fire_at        INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    fired_at       INTEGER,
    cancelled_at   INTEGER
);
CREATE INDEX timers_pending ON timers(fire_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
CREATE UNIQUE INDEX timers_case_key ON timers(case_id, clock, kind, fire_at) WHERE case_id IS NOT NULL;
CREATE UNIQUE INDEX timers_supervision_key ON timers(supervision_id, kind) WHERE supervision_id IS NOT NULL;

-- Supervision documents: 督办单, 工作提示函, 纪检监察建议书, 约谈记录.
CREATE TABLE supervisions (
    id           INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    auto         INTEGER NOT NULL DEFAULT 0,
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL DEFAULT '',
    unit_id      INTEGER NOT NULL REFERENCES org_units(id),
    issued_by    INTEGER,
    issuer_name  TEXT    NOT NULL,
    issued_at    INTEGER NOT NULL,
    due_at       INTEGER,
    status       TEXT    NOT NULL, -- open, replied
    reply        TEXT    NOT NULL DEFAULT '',
    reply_files  TEXT    NOT NULL DEFAULT '',
    replied_by   INTEGER,
    replied_at   INTEGER,
    source_timer INTEGER UNIQUE -- the timer that issued an automatic 督办单
);
CREATE INDEX supervisions_unit ON supervisions(unit_id, status, id);
CREATE INDEX supervisions_status ON supervisions(status, due_at);

CREATE TABLE supervision_cases (
    supervision_id INTEGER NOT NULL REFERENCES supervisions(id),
    case_id        INTEGER NOT NULL REFERENCES cases(id),
    PRIMARY KEY (supervision_id, case_id)
);
CREATE INDEX supervision_cases_case ON supervision_cases(case_id);

-- What units and people are told (warnings, 督办, replies due).
CREATE TABLE notifications (
    id             INTEGER PRIMARY KEY,
    unit_id        INTEGER,
    user_id        INTEGER,
    kind           TEXT    NOT NULL,
    case_id        INTEGER,
    supervision_id INTEGER,
    title          TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    read_at        INTEGER
);
CREATE INDEX notifications_unit ON notifications(unit_id, id) WHERE unit_id IS NOT NULL;
CREATE INDEX notifications_user ON notifications(user_id, id) WHERE user_id IS NOT NULL;

-- Case-type definitions an administrator added (embedded ones are in the binary).
CREATE TABLE workflow_defs (
    type       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    definition TEXT    NOT NULL,
    created_by INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (type, version)
);

-- Holiday arrangements an administrator loaded, applied at start-up.
CREATE TABLE calendar_years (
    year       INTEGER PRIMARY KEY,
    data       TEXT    NOT NULL,
    loaded_by  INTEGER,
    loaded_at  INTEGER NOT NULL
);

COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
-- The nullable category stays: cases without a category could not go back.
DROP TABLE calendar_years;
DROP TABLE workflow_defs;
DROP TABLE notifications;
DROP TABLE supervision_cases;
DROP TABLE supervisions;
DROP TABLE timers;
DROP INDEX case_events_at;
ALTER TABLE case_events DROP COLUMN data;
DROP INDEX cases_due;
DROP INDEX cases_alert;
DROP INDEX cases_owner;
ALTER TABLE cases DROP COLUMN alert;
ALTER TABLE cases DROP COLUMN owner_id;
ALTER TABLE cases DROP COLUMN flow;
ALTER TABLE cases DROP COLUMN fields;
