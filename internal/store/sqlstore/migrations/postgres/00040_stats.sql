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
    case_id           BIGINT PRIMARY KEY,
    version           BIGINT NOT NULL,
    type              TEXT    NOT NULL,
    channel           TEXT    NOT NULL DEFAULT '',
    subtype           TEXT    NOT NULL DEFAULT '',
    category_id       BIGINT NOT NULL DEFAULT 0,
    grid_id           BIGINT NOT NULL DEFAULT 0,
    community_id      BIGINT NOT NULL DEFAULT 0,
    street_id         BIGINT NOT NULL DEFAULT 0,
    unit_id           BIGINT NOT NULL DEFAULT 0,
    created_by        BIGINT NOT NULL DEFAULT 0,
    registered_by     BIGINT NOT NULL DEFAULT 0,
    dispatched_by     BIGINT NOT NULL DEFAULT 0,
    handled_by        BIGINT NOT NULL DEFAULT 0,
    closed_by         BIGINT NOT NULL DEFAULT 0,
    received_at       BIGINT NOT NULL,
    registered_at     BIGINT NOT NULL DEFAULT 0,
    reg_on_time       BIGINT NOT NULL DEFAULT 0,
    dispatched_at     BIGINT NOT NULL DEFAULT 0,
    accurate          BIGINT NOT NULL DEFAULT 0,
    extended          BIGINT NOT NULL DEFAULT 0,
    responded         BIGINT NOT NULL DEFAULT 0,
    handled_at        BIGINT NOT NULL DEFAULT 0,
    handled_on_time   BIGINT NOT NULL DEFAULT 0,
    reworked          BIGINT NOT NULL DEFAULT 0,
    settle_at         BIGINT NOT NULL DEFAULT 0,
    closed            BIGINT NOT NULL DEFAULT 0,
    closed_on_time    BIGINT NOT NULL DEFAULT 0,
    closed_at         BIGINT NOT NULL DEFAULT 0,
    handle_ms         BIGINT NOT NULL DEFAULT 0,
    satisfaction      BIGINT NOT NULL DEFAULT 0,
    resolved          BIGINT NOT NULL DEFAULT 0,
    funds_recovered   BIGINT NOT NULL DEFAULT 0,
    funds_returned    BIGINT NOT NULL DEFAULT 0,
    people_handled    BIGINT NOT NULL DEFAULT 0,
    people_refunded   BIGINT NOT NULL DEFAULT 0,
    clues_transferred BIGINT NOT NULL DEFAULT 0,
    rules_made        BIGINT NOT NULL DEFAULT 0,
    percent           BIGINT NOT NULL DEFAULT 0,
    investment        BIGINT NOT NULL DEFAULT 0,
    funds_spent       BIGINT NOT NULL DEFAULT 0,
    beneficiaries     BIGINT NOT NULL DEFAULT 0,
    due_at            BIGINT NOT NULL DEFAULT 0,
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
    day                 BIGINT NOT NULL,
    type                TEXT    NOT NULL,
    street_id           BIGINT NOT NULL,
    unit_id             BIGINT NOT NULL,
    received            BIGINT NOT NULL DEFAULT 0,
    referral_up         BIGINT NOT NULL DEFAULT 0,
    referral_down       BIGINT NOT NULL DEFAULT 0,
    registered          BIGINT NOT NULL DEFAULT 0,
    reg_on_time         BIGINT NOT NULL DEFAULT 0,
    dispatched          BIGINT NOT NULL DEFAULT 0,
    accurate            BIGINT NOT NULL DEFAULT 0,
    extended            BIGINT NOT NULL DEFAULT 0,
    responded           BIGINT NOT NULL DEFAULT 0,
    handled             BIGINT NOT NULL DEFAULT 0,
    handled_on_time     BIGINT NOT NULL DEFAULT 0,
    reworked            BIGINT NOT NULL DEFAULT 0,
    due                 BIGINT NOT NULL DEFAULT 0,
    closed              BIGINT NOT NULL DEFAULT 0,
    closed_on_time      BIGINT NOT NULL DEFAULT 0,
    closed_in_period    BIGINT NOT NULL DEFAULT 0,
    handle_ms           BIGINT NOT NULL DEFAULT 0,
    handle_n            BIGINT NOT NULL DEFAULT 0,
    satisfied           BIGINT NOT NULL DEFAULT 0,
    basically_satisfied BIGINT NOT NULL DEFAULT 0,
    dissatisfied        BIGINT NOT NULL DEFAULT 0,
    resolved            BIGINT NOT NULL DEFAULT 0,
    rectified           BIGINT NOT NULL DEFAULT 0,
    funds_recovered     BIGINT NOT NULL DEFAULT 0,
    funds_returned      BIGINT NOT NULL DEFAULT 0,
    people_handled      BIGINT NOT NULL DEFAULT 0,
    people_refunded     BIGINT NOT NULL DEFAULT 0,
    clues_transferred   BIGINT NOT NULL DEFAULT 0,
    rules_made          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, type, street_id, unit_id)
);

CREATE TABLE stat_month (
    month               BIGINT NOT NULL,
    type                TEXT    NOT NULL,
    street_id           BIGINT NOT NULL,
    unit_id             BIGINT NOT NULL,
    received            BIGINT NOT NULL DEFAULT 0,
    referral_up         BIGINT NOT NULL DEFAULT 0,
    referral_down       BIGINT NOT NULL DEFAULT 0,
    registered          BIGINT NOT NULL DEFAULT 0,
    reg_on_time         BIGINT NOT NULL DEFAULT 0,
    dispatched          BIGINT NOT NULL DEFAULT 0,
    accurate            BIGINT NOT NULL DEFAULT 0,
    extended            BIGINT NOT NULL DEFAULT 0,
    responded           BIGINT NOT NULL DEFAULT 0,
    handled             BIGINT NOT NULL DEFAULT 0,
    handled_on_time     BIGINT NOT NULL DEFAULT 0,
    reworked            BIGINT NOT NULL DEFAULT 0,
    due                 BIGINT NOT NULL DEFAULT 0,
    closed              BIGINT NOT NULL DEFAULT 0,
    closed_on_time      BIGINT NOT NULL DEFAULT 0,
    closed_in_period    BIGINT NOT NULL DEFAULT 0,
    handle_ms           BIGINT NOT NULL DEFAULT 0,
    handle_n            BIGINT NOT NULL DEFAULT 0,
    satisfied           BIGINT NOT NULL DEFAULT 0,
    basically_satisfied BIGINT NOT NULL DEFAULT 0,
    dissatisfied        BIGINT NOT NULL DEFAULT 0,
    resolved            BIGINT NOT NULL DEFAULT 0,
    rectified           BIGINT NOT NULL DEFAULT 0,
    funds_recovered     BIGINT NOT NULL DEFAULT 0,
    funds_returned      BIGINT NOT NULL DEFAULT 0,
    people_handled      BIGINT NOT NULL DEFAULT 0,
    people_refunded     BIGINT NOT NULL DEFAULT 0,
    clues_transferred   BIGINT NOT NULL DEFAULT 0,
    rules_made          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (month, type, street_id, unit_id)
);

CREATE TABLE stat_dirty (
    case_id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION stat_mark() RETURNS trigger AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM case_facts WHERE case_id = NEW.id AND version = NEW.version) THEN
        INSERT INTO stat_dirty (case_id, version) VALUES (NEW.id, NEW.version)
        ON CONFLICT (case_id) DO UPDATE SET version = EXCLUDED.version;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER stat_mark AFTER INSERT OR UPDATE ON cases FOR EACH ROW EXECUTE FUNCTION stat_mark();
-- Cases that exist before this migration get their facts at the first refresh.
INSERT INTO stat_dirty (case_id, version) SELECT id, version FROM cases;

-- Ledger rows imported from spreadsheets (问题整改台账, 问题线索台账): the
-- ledger number makes an import idempotent.
CREATE TABLE ledger_links (
    kind        TEXT    NOT NULL,
    ledger_no   TEXT    NOT NULL,
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    imported_by BIGINT,
    imported_at BIGINT NOT NULL,
    PRIMARY KEY (kind, ledger_no)
);
CREATE INDEX ledger_links_case ON ledger_links(case_id);

-- +goose Down
DROP TABLE ledger_links;
DROP TRIGGER stat_mark ON cases;
DROP FUNCTION stat_mark();
DROP TABLE stat_dirty;
DROP TABLE stat_month;
DROP TABLE stat_day;
DROP TABLE case_facts;
