-- +goose Up
-- Statistics (docs/STATISTICS.md). case_facts keeps one row per case: its
-- dimensions and its time on each measure's axis, derived in Go from the
-- case and its timeline. stat_day and stat_month keep the same counts
-- summed by CST day / month, type, street and unit, moved by the
-- difference whenever a fact changes. stat_dirty lists the cases whose fact
-- is behind: a trigger marks a case in the same transaction that writes it,
-- unless its fact already has that version (so copying a store whose facts
-- are current marks nothing). Unknown ids and times are 0, not NULL, so
-- they can be part of a primary key. Names sort before "cases" where it
-- matters for migrate-store, which copies tables in name order.
CREATE TABLE case_facts (
    case_id           INTEGER PRIMARY KEY,
    version           INTEGER NOT NULL,
    type              TEXT    NOT NULL,
    channel           TEXT    NOT NULL DEFAULT '',
    subtype           TEXT    NOT NULL DEFAULT '',
    category_id       INTEGER NOT NULL DEFAULT 0,
    grid_id           INTEGER NOT NULL DEFAULT 0,
    community_id      INTEGER NOT NULL DEFAULT 0,
    street_id         INTEGER NOT NULL DEFAULT 0,
    unit_id           INTEGER NOT NULL DEFAULT 0,
    created_by        INTEGER NOT NULL DEFAULT 0,
    registered_by     INTEGER NOT NULL DEFAULT 0,
    dispatched_by     INTEGER NOT NULL DEFAULT 0,
    handled_by        INTEGER NOT NULL DEFAULT 0,
    closed_by         INTEGER NOT NULL DEFAULT 0,
    received_at       INTEGER NOT NULL,
    registered_at     INTEGER NOT NULL DEFAULT 0,
    reg_on_time       INTEGER NOT NULL DEFAULT 0,
    dispatched_at     INTEGER NOT NULL DEFAULT 0,
    accurate          INTEGER NOT NULL DEFAULT 0,
    extended          INTEGER NOT NULL DEFAULT 0,
    responded         INTEGER NOT NULL DEFAULT 0,
    handled_at        INTEGER NOT NULL DEFAULT 0,
    handled_on_time   INTEGER NOT NULL DEFAULT 0,
    reworked          INTEGER NOT NULL DEFAULT 0,
    settle_at         INTEGER NOT NULL DEFAULT 0,
    closed            INTEGER NOT NULL DEFAULT 0,
    closed_on_time    INTEGER NOT NULL DEFAULT 0,
    closed_at         INTEGER NOT NULL DEFAULT 0,
    handle_ms         INTEGER NOT NULL DEFAULT 0,
    satisfaction      INTEGER NOT NULL DEFAULT 0,
    resolved          INTEGER NOT NULL DEFAULT 0,
    funds_recovered   INTEGER NOT NULL DEFAULT 0,
    funds_returned    INTEGER NOT NULL DEFAULT 0,
    people_handled    INTEGER NOT NULL DEFAULT 0,
    people_refunded   INTEGER NOT NULL DEFAULT 0,
    clues_transferred INTEGER NOT NULL DEFAULT 0,
    rules_made        INTEGER NOT NULL DEFAULT 0,
    percent           INTEGER NOT NULL DEFAULT 0,
    investment        INTEGER NOT NULL DEFAULT 0,
    funds_spent       INTEGER NOT NULL DEFAULT 0,
    beneficiaries     INTEGER NOT NULL DEFAULT 0,
    due_at            INTEGER NOT NULL DEFAULT 0,
    status            TEXT    NOT NULL DEFAULT ''
);
-- One index per axis: the facts engine counts a range on an axis through it.
CREATE INDEX case_facts_received   ON case_facts(received_at);
CREATE INDEX case_facts_registered ON case_facts(registered_at);
CREATE INDEX case_facts_dispatched ON case_facts(dispatched_at);
CREATE INDEX case_facts_handled    ON case_facts(handled_at);
CREATE INDEX case_facts_settle     ON case_facts(settle_at);
CREATE INDEX case_facts_closed     ON case_facts(closed_at);
CREATE INDEX case_facts_type       ON case_facts(type, received_at);

CREATE TABLE stat_day (
    day                 INTEGER NOT NULL,
    type                TEXT    NOT NULL,
    street_id           INTEGER NOT NULL,
    unit_id             INTEGER NOT NULL,
    received            INTEGER NOT NULL DEFAULT 0,
    referral_up         INTEGER NOT NULL DEFAULT 0,
    referral_down       INTEGER NOT NULL DEFAULT 0,
    registered          INTEGER NOT NULL DEFAULT 0,
    reg_on_time         INTEGER NOT NULL DEFAULT 0,
    dispatched          INTEGER NOT NULL DEFAULT 0,
    accurate            INTEGER NOT NULL DEFAULT 0,
    extended            INTEGER NOT NULL DEFAULT 0,
    responded           INTEGER NOT NULL DEFAULT 0,
    handled             INTEGER NOT NULL DEFAULT 0,
    handled_on_time     INTEGER NOT NULL DEFAULT 0,
    reworked            INTEGER NOT NULL DEFAULT 0,
    due                 INTEGER NOT NULL DEFAULT 0,
    closed              INTEGER NOT NULL DEFAULT 0,
    closed_on_time      INTEGER NOT NULL DEFAULT 0,
    closed_in_period    INTEGER NOT NULL DEFAULT 0,
    handle_ms           INTEGER NOT NULL DEFAULT 0,
    handle_n            INTEGER NOT NULL DEFAULT 0,
    satisfied           INTEGER NOT NULL DEFAULT 0,
    basically_satisfied INTEGER NOT NULL DEFAULT 0,
    dissatisfied        INTEGER NOT NULL DEFAULT 0,
    resolved            INTEGER NOT NULL DEFAULT 0,
    rectified           INTEGER NOT NULL DEFAULT 0,
    funds_recovered     INTEGER NOT NULL DEFAULT 0,
    funds_returned      INTEGER NOT NULL DEFAULT 0,
    people_handled      INTEGER NOT NULL DEFAULT 0,
    people_refunded     INTEGER NOT NULL DEFAULT 0,
    clues_transferred   INTEGER NOT NULL DEFAULT 0,
    rules_made          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, type, street_id, unit_id)
) WITHOUT ROWID;

CREATE TABLE stat_month (
    month               INTEGER NOT NULL,
    type                TEXT    NOT NULL,
    street_id           INTEGER NOT NULL,
    unit_id             INTEGER NOT NULL,
    received            INTEGER NOT NULL DEFAULT 0,
    referral_up         INTEGER NOT NULL DEFAULT 0,
    referral_down       INTEGER NOT NULL DEFAULT 0,
    registered          INTEGER NOT NULL DEFAULT 0,
    reg_on_time         INTEGER NOT NULL DEFAULT 0,
    dispatched          INTEGER NOT NULL DEFAULT 0,
    accurate            INTEGER NOT NULL DEFAULT 0,
    extended            INTEGER NOT NULL DEFAULT 0,
    responded           INTEGER NOT NULL DEFAULT 0,
    handled             INTEGER NOT NULL DEFAULT 0,
    handled_on_time     INTEGER NOT NULL DEFAULT 0,
    reworked            INTEGER NOT NULL DEFAULT 0,
    due                 INTEGER NOT NULL DEFAULT 0,
    closed              INTEGER NOT NULL DEFAULT 0,
    closed_on_time      INTEGER NOT NULL DEFAULT 0,
    closed_in_period    INTEGER NOT NULL DEFAULT 0,
    handle_ms           INTEGER NOT NULL DEFAULT 0,
    handle_n            INTEGER NOT NULL DEFAULT 0,
    satisfied           INTEGER NOT NULL DEFAULT 0,
    basically_satisfied INTEGER NOT NULL DEFAULT 0,
    dissatisfied        INTEGER NOT NULL DEFAULT 0,
    resolved            INTEGER NOT NULL DEFAULT 0,
    rectified           INTEGER NOT NULL DEFAULT 0,
    funds_recovered     INTEGER NOT NULL DEFAULT 0,
    funds_returned      INTEGER NOT NULL DEFAULT 0,
    people_handled      INTEGER NOT NULL DEFAULT 0,
    people_refunded     INTEGER NOT NULL DEFAULT 0,
    clues_transferred   INTEGER NOT NULL DEFAULT 0,
    rules_made          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (month, type, street_id, unit_id)
) WITHOUT ROWID;

CREATE TABLE stat_dirty (
    case_id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);

-- +goose StatementBegin
CREATE TRIGGER stat_mark_insert AFTER INSERT ON cases
WHEN NOT EXISTS (SELECT 1 FROM case_facts WHERE case_id = NEW.id AND version = NEW.version)
BEGIN INSERT OR REPLACE INTO stat_dirty (case_id, version) VALUES (NEW.id, NEW.version); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER stat_mark_update AFTER UPDATE ON cases
WHEN NOT EXISTS (SELECT 1 FROM case_facts WHERE case_id = NEW.id AND version = NEW.version)
BEGIN INSERT OR REPLACE INTO stat_dirty (case_id, version) VALUES (NEW.id, NEW.version); END;
-- +goose StatementEnd
-- Cases that exist before this migration get their facts at the first refresh.
INSERT INTO stat_dirty (case_id, version) SELECT id, version FROM cases;

-- Ledger rows imported from spreadsheets (问题整改台账, 问题线索台账): the
-- ledger number makes an import idempotent.
CREATE TABLE ledger_links (
    kind        TEXT    NOT NULL,
    ledger_no   TEXT    NOT NULL,
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    imported_by INTEGER,
    imported_at INTEGER NOT NULL,
    PRIMARY KEY (kind, ledger_no)
);
CREATE INDEX ledger_links_case ON ledger_links(case_id);

-- +goose Down
DROP TABLE ledger_links;
DROP TRIGGER stat_mark_update;
DROP TRIGGER stat_mark_insert;
DROP TABLE stat_dirty;
DROP TABLE stat_month;
DROP TABLE stat_day;
DROP TABLE case_facts;
