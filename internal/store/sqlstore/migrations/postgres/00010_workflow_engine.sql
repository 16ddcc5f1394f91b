-- +goose Up
-- PostgreSQL twin of sqlite/00010_workflow_engine.sql (which rebuilds the
-- table for the same change; here it is one ALTER).
ALTER TABLE cases ALTER COLUMN category_id DROP NOT NULL;
-- Case types as data: each case keeps its type's fields and the engine's
-- bookkeeping (clocks, extension) as JSON text; the owning leader (包案) and
-- the deadline alert are columns because lists filter on them.
ALTER TABLE cases ADD COLUMN fields TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN flow TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN owner_id BIGINT;
ALTER TABLE cases ADD COLUMN alert TEXT NOT NULL DEFAULT '';
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
    id             BIGSERIAL PRIMARY KEY,
    case_id        BIGINT REFERENCES cases(id),
    supervision_id BIGINT,
    clock          TEXT    NOT NULL,
    kind           TEXT    NOT NULL, -- warn, due, reply_due
    fire_at        BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    fired_at       BIGINT,
    cancelled_at   BIGINT
);
CREATE INDEX timers_pending ON timers(fire_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
CREATE UNIQUE INDEX timers_case_key ON timers(case_id, clock, kind, fire_at) WHERE case_id IS NOT NULL;
CREATE UNIQUE INDEX timers_supervision_key ON timers(supervision_id, kind) WHERE supervision_id IS NOT NULL;

-- Supervision documents: 督办单, 工作提示函, 纪检监察建议书, 约谈记录.
CREATE TABLE supervisions (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT    NOT NULL,
    auto         BIGINT NOT NULL DEFAULT 0,
    title        TEXT    NOT NULL,
    body         TEXT    NOT NULL DEFAULT '',
    unit_id      BIGINT NOT NULL REFERENCES org_units(id),
    issued_by    BIGINT,
    issuer_name  TEXT    NOT NULL,
    issued_at    BIGINT NOT NULL,
    due_at       BIGINT,
    status       TEXT    NOT NULL, -- open, replied
    reply        TEXT    NOT NULL DEFAULT '',
    reply_files  TEXT    NOT NULL DEFAULT '',
    replied_by   BIGINT,
    replied_at   BIGINT,
    source_timer BIGINT UNIQUE -- the timer that issued an automatic 督办单
);
CREATE INDEX supervisions_unit ON supervisions(unit_id, status, id);
CREATE INDEX supervisions_status ON supervisions(status, due_at);

CREATE TABLE supervision_cases (
    supervision_id BIGINT NOT NULL REFERENCES supervisions(id),
    case_id        BIGINT NOT NULL REFERENCES cases(id),
    PRIMARY KEY (supervision_id, case_id)
);
CREATE INDEX supervision_cases_case ON supervision_cases(case_id);

-- What units and people are told (warnings, 督办, replies due).
CREATE TABLE notifications (
    id             BIGSERIAL PRIMARY KEY,
    unit_id        BIGINT,
    user_id        BIGINT,
    kind           TEXT    NOT NULL,
    case_id        BIGINT,
    supervision_id BIGINT,
    title          TEXT    NOT NULL,
    created_at     BIGINT NOT NULL,
    read_at        BIGINT
);
CREATE INDEX notifications_unit ON notifications(unit_id, id) WHERE unit_id IS NOT NULL;
CREATE INDEX notifications_user ON notifications(user_id, id) WHERE user_id IS NOT NULL;

-- Case-type definitions an administrator added (embedded ones are in the binary).
CREATE TABLE workflow_defs (
    type       TEXT    NOT NULL,
    version    BIGINT NOT NULL,
    definition TEXT    NOT NULL,
    created_by BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (type, version)
);

-- Holiday arrangements an administrator loaded, applied at start-up.
CREATE TABLE calendar_years (
    year       BIGINT PRIMARY KEY,
    data       TEXT    NOT NULL,
    loaded_by  BIGINT,
    loaded_at  BIGINT NOT NULL
);

-- +goose Down
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
