-- +goose Up
-- Interoperability: API keys for Open311 clients, Open311 service metadata
-- and service-definition attributes per category, and what an Open311
-- request carried beyond the case itself.

-- Only a SHA-256 of each key is kept; prefix is its first characters, shown
-- in listings so an administrator can tell keys apart.
CREATE TABLE api_keys (
    id              BIGSERIAL PRIMARY KEY,
    name            TEXT    NOT NULL,
    prefix          TEXT    NOT NULL,
    key_hash        TEXT    NOT NULL UNIQUE,
    jurisdiction_id TEXT    NOT NULL DEFAULT '',
    rate_per_minute BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);

-- Open311 service metadata of a category (all optional): a description
-- for citizens, keywords, the service type, and an explicit metadata flag
-- (NULL: true when the category has attributes).
CREATE TABLE open311_services (
    category_id BIGINT PRIMARY KEY REFERENCES categories(id),
    description TEXT    NOT NULL DEFAULT '',
    keywords    TEXT    NOT NULL DEFAULT '',
    type        TEXT    NOT NULL DEFAULT 'realtime',
    metadata    BIGINT
);

-- Extra fields of a category, served as the Open311 service definition.
-- datatype: string, number, datetime, text, singlevaluelist, multivaluelist.
-- vals is a JSON array of {"key","name"} for the list types.
CREATE TABLE category_attributes (
    category_id          BIGINT NOT NULL REFERENCES categories(id),
    code                 TEXT    NOT NULL,
    datatype             TEXT    NOT NULL,
    required             BIGINT NOT NULL DEFAULT 0,
    variable             BIGINT NOT NULL DEFAULT 1,
    datatype_description TEXT    NOT NULL DEFAULT '',
    description          TEXT    NOT NULL DEFAULT '',
    ord                  BIGINT NOT NULL DEFAULT 0,
    vals                 TEXT    NOT NULL DEFAULT '[]',
    PRIMARY KEY (category_id, code)
);

-- What an Open311 POST carried besides the case: who sent it through which
-- key, contact data (personal data: never served back), the attribute
-- answers (JSON object code → [values]) and the media.
CREATE TABLE open311_requests (
    case_id         BIGINT PRIMARY KEY REFERENCES cases(id),
    token           TEXT    NOT NULL UNIQUE,
    api_key_id      BIGINT REFERENCES api_keys(id),
    jurisdiction_id TEXT    NOT NULL DEFAULT '',
    email           TEXT    NOT NULL DEFAULT '',
    device_id       TEXT    NOT NULL DEFAULT '',
    account_id      TEXT    NOT NULL DEFAULT '',
    address_id      TEXT    NOT NULL DEFAULT '',
    media_url       TEXT    NOT NULL DEFAULT '',
    media           TEXT    NOT NULL DEFAULT '',
    attributes      TEXT    NOT NULL DEFAULT '{}',
    created_at      BIGINT NOT NULL
);

-- Updates pushed by a citizen front end (FixMyStreet servicerequestupdates).
-- They are kept beside the case, not in its timeline: they change nothing.
CREATE TABLE open311_updates (
    id          BIGSERIAL PRIMARY KEY,
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    api_key_id  BIGINT REFERENCES api_keys(id),
    external_id TEXT,
    status      TEXT    NOT NULL DEFAULT '',
    description TEXT    NOT NULL,
    name        TEXT    NOT NULL DEFAULT '',
    email       TEXT    NOT NULL DEFAULT '',
    media_url   TEXT    NOT NULL DEFAULT '',
    updated_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX open311_updates_case ON open311_updates(case_id, id);
CREATE UNIQUE INDEX open311_updates_ext ON open311_updates(api_key_id, external_id) WHERE external_id IS NOT NULL;

-- Open311 GET requests filters on the last change; servicerequestupdates
-- on the time of timeline entries.
CREATE INDEX cases_updated ON cases(updated_at);
-- case_events(at) may already be indexed by the workflow migration.
CREATE INDEX IF NOT EXISTS case_events_at ON case_events(at);

-- +goose Down
-- case_events_at is shared with migration 00010; left in place.
DROP INDEX cases_updated;
DROP TABLE open311_updates;
DROP TABLE open311_requests;
DROP TABLE category_attributes;
DROP TABLE open311_services;
DROP TABLE api_keys;
