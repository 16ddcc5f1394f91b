-- +goose Up
-- Geography (issue 3): grid history, routing-rule co-units and history,
-- components (部件), the address register (地址库) and case placement.
-- Times are Unix milliseconds.

-- Every version of a unit grid. The grids table keeps the current one;
-- cases keep the grid's org id, which never changes for a code.
CREATE TABLE grid_versions (
    id           BIGSERIAL PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES org_units(id),
    version      BIGINT NOT NULL,
    code         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    community_id BIGINT NOT NULL REFERENCES org_units(id),
    street_id    BIGINT NOT NULL REFERENCES org_units(id),
    geometry     TEXT    NOT NULL,
    area_m2      DOUBLE PRECISION    NOT NULL,
    change       TEXT    NOT NULL,
    source       TEXT    NOT NULL DEFAULT '',
    valid_from   BIGINT NOT NULL,
    valid_to     BIGINT,
    changed_by   BIGINT,
    UNIQUE (org_id, version)
);
CREATE INDEX grid_versions_code ON grid_versions(code, valid_from);

-- Routing rules gain co-units (协办, comma-separated org ids) and a note.
ALTER TABLE routing_rules ADD COLUMN co_units TEXT NOT NULL DEFAULT '';
ALTER TABLE routing_rules ADD COLUMN note TEXT NOT NULL DEFAULT '';
ALTER TABLE routing_rules ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

-- Every state of a rule; a case routed by "rule:ID" is explained by the
-- version valid when it was created.
CREATE TABLE routing_rule_versions (
    id          BIGSERIAL PRIMARY KEY,
    rule_id     BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    category_id BIGINT NOT NULL,
    area_id     BIGINT NOT NULL,
    unit_id     BIGINT NOT NULL,
    co_units    TEXT    NOT NULL DEFAULT '',
    note        TEXT    NOT NULL DEFAULT '',
    valid_from  BIGINT NOT NULL,
    valid_to    BIGINT,
    deleted     BIGINT NOT NULL DEFAULT 0,
    changed_by  BIGINT,
    ended_by    BIGINT,
    UNIQUE (rule_id, version)
);

CREATE TABLE components (
    id                 BIGSERIAL PRIMARY KEY,
    code               TEXT    NOT NULL UNIQUE,
    category_id        BIGINT NOT NULL REFERENCES categories(id),
    name               TEXT    NOT NULL DEFAULT '',
    owner_unit_id      BIGINT REFERENCES org_units(id),
    owner_name         TEXT    NOT NULL DEFAULT '',
    maintainer_unit_id BIGINT REFERENCES org_units(id),
    maintainer_name    TEXT    NOT NULL DEFAULT '',
    lat                DOUBLE PRECISION    NOT NULL,
    lng                DOUBLE PRECISION    NOT NULL,
    address            TEXT    NOT NULL DEFAULT '',
    status             TEXT    NOT NULL DEFAULT '',
    updated_at         BIGINT NOT NULL
);

CREATE TABLE addresses (
    id           BIGSERIAL PRIMARY KEY,
    text         TEXT    NOT NULL UNIQUE,
    alias        TEXT    NOT NULL DEFAULT '',
    lat          DOUBLE PRECISION    NOT NULL,
    lng          DOUBLE PRECISION    NOT NULL,
    street_id    BIGINT REFERENCES org_units(id),
    community_id BIGINT REFERENCES org_units(id),
    grid_id      BIGINT REFERENCES org_units(id)
);

CREATE TABLE case_places (
    case_id        BIGINT PRIMARY KEY REFERENCES cases(id),
    grid_version   BIGINT NOT NULL DEFAULT 0,
    rule_id        BIGINT NOT NULL DEFAULT 0,
    rule_version   BIGINT NOT NULL DEFAULT 0,
    co_units       TEXT    NOT NULL DEFAULT '',
    component_code TEXT    NOT NULL DEFAULT '',
    component_m    DOUBLE PRECISION    NOT NULL DEFAULT 0,
    fallback       BIGINT NOT NULL DEFAULT 0,
    exact          BIGINT NOT NULL DEFAULT 0
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
