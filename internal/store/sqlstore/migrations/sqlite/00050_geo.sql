-- +goose Up
-- Geography (issue 3): grid history, routing-rule co-units and history,
-- components (部件), the address register (地址库) and case placement.
-- Times are Unix milliseconds.

-- Every version of a unit grid. The grids table keeps the current one;
-- cases keep the grid's org id, which never changes for a code.
CREATE TABLE grid_versions (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES org_units(id),
    version      INTEGER NOT NULL,
    code         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    community_id INTEGER NOT NULL REFERENCES org_units(id),
    street_id    INTEGER NOT NULL REFERENCES org_units(id),
    geometry     TEXT    NOT NULL,
    area_m2      REAL    NOT NULL,
    change       TEXT    NOT NULL,
    source       TEXT    NOT NULL DEFAULT '',
    valid_from   INTEGER NOT NULL,
    valid_to     INTEGER,
    changed_by   INTEGER,
    UNIQUE (org_id, version)
);
CREATE INDEX grid_versions_code ON grid_versions(code, valid_from);

-- Routing rules gain co-units (协办, comma-separated org ids) and a note.
ALTER TABLE routing_rules ADD COLUMN co_units TEXT NOT NULL DEFAULT '';
ALTER TABLE routing_rules ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE routing_rules ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;

-- Every state of a rule; a case routed by "rule:ID" is explained by the
-- version valid when it was created.
CREATE TABLE routing_rule_versions (
    id          INTEGER PRIMARY KEY,
    rule_id     INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    category_id INTEGER NOT NULL,
    area_id     INTEGER NOT NULL,
    unit_id     INTEGER NOT NULL,
    co_units    TEXT    NOT NULL DEFAULT '',
    note        TEXT    NOT NULL DEFAULT '',
    valid_from  INTEGER NOT NULL,
    valid_to    INTEGER,
    deleted     INTEGER NOT NULL DEFAULT 0,
    changed_by  INTEGER,
    ended_by    INTEGER,
    UNIQUE (rule_id, version)
);

CREATE TABLE components (
    id                 INTEGER PRIMARY KEY,
    code               TEXT    NOT NULL UNIQUE,
    category_id        INTEGER NOT NULL REFERENCES categories(id),
    name               TEXT    NOT NULL DEFAULT '',
    owner_unit_id      INTEGER REFERENCES org_units(id),
    owner_name         TEXT    NOT NULL DEFAULT '',
    maintainer_unit_id INTEGER REFERENCES org_units(id),
    maintainer_name    TEXT    NOT NULL DEFAULT '',
    lat                REAL    NOT NULL,
    lng                REAL    NOT NULL,
    address            TEXT    NOT NULL DEFAULT '',
    status             TEXT    NOT NULL DEFAULT '',
    updated_at         INTEGER NOT NULL
);

CREATE TABLE addresses (
    id           INTEGER PRIMARY KEY,
    text         TEXT    NOT NULL UNIQUE,
    alias        TEXT    NOT NULL DEFAULT '',
    lat          REAL    NOT NULL,
    lng          REAL    NOT NULL,
    street_id    INTEGER REFERENCES org_units(id),
    community_id INTEGER REFERENCES org_units(id),
    grid_id      INTEGER REFERENCES org_units(id)
);

CREATE TABLE case_places (
    case_id        INTEGER PRIMARY KEY REFERENCES cases(id),
    grid_version   INTEGER NOT NULL DEFAULT 0,
    rule_id        INTEGER NOT NULL DEFAULT 0,
    rule_version   INTEGER NOT NULL DEFAULT 0,
    co_units       TEXT    NOT NULL DEFAULT '',
    component_code TEXT    NOT NULL DEFAULT '',
    component_m    REAL    NOT NULL DEFAULT 0,
    fallback       INTEGER NOT NULL DEFAULT 0,
    exact          INTEGER NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE case_places;
DROP TABLE addresses;
DROP TABLE components;
DROP TABLE routing_rule_versions;
ALTER TABLE routing_rules DROP COLUMN updated_at;
ALTER TABLE routing_rules DROP COLUMN note;
ALTER TABLE routing_rules DROP COLUMN co_units;
DROP TABLE grid_versions;
