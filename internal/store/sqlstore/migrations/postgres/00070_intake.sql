-- +goose Up
-- Machine-event intake (issue 10): video-analytics and IoT sources post
-- events with a key; repeats of an open event fold into one record (a
-- counter and the last sighting) instead of new cases; low-confidence
-- events wait in a review queue. Times are Unix milliseconds.
CREATE TABLE event_sources (
    id              BIGSERIAL PRIMARY KEY,
    code            TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL DEFAULT 'video',
    key_prefix      TEXT    NOT NULL,
    key_hash        TEXT    NOT NULL UNIQUE,
    min_confidence  DOUBLE PRECISION NOT NULL DEFAULT 0.6,
    fold_window_ms  BIGINT  NOT NULL DEFAULT 600000,
    fold_distance_m DOUBLE PRECISION NOT NULL DEFAULT 50,
    note_every      BIGINT  NOT NULL DEFAULT 10,
    type_map        TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL,
    revoked_at      BIGINT
);

-- One row per open event: its first sighting, and every repeat folded
-- into it (count, last_at). noted is the count at the last timeline note.
CREATE TABLE machine_events (
    id             BIGSERIAL PRIMARY KEY,
    source_id      BIGINT  NOT NULL REFERENCES event_sources(id),
    device_id      TEXT    NOT NULL DEFAULT '',
    event_type     TEXT    NOT NULL,
    category_id    BIGINT  NOT NULL REFERENCES categories(id),
    status         TEXT    NOT NULL,
    case_id        BIGINT  REFERENCES cases(id),
    count          BIGINT  NOT NULL DEFAULT 1,
    noted          BIGINT  NOT NULL DEFAULT 1,
    confidence     DOUBLE PRECISION NOT NULL,
    lat            DOUBLE PRECISION NOT NULL,
    lng            DOUBLE PRECISION NOT NULL,
    component_code TEXT    NOT NULL DEFAULT '',
    address        TEXT    NOT NULL DEFAULT '',
    description    TEXT    NOT NULL DEFAULT '',
    snapshot       TEXT    NOT NULL DEFAULT '',
    last_snapshot  TEXT    NOT NULL DEFAULT '',
    first_at       BIGINT  NOT NULL,
    last_at        BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    reviewed_by    BIGINT,
    reviewed_at    BIGINT,
    review_note    TEXT    NOT NULL DEFAULT ''
);
-- Folding reads the newest records of a source, device and type. The
-- sighting times are not in the index, so counting a repeat (count,
-- last_at) rewrites the row only.
CREATE INDEX machine_events_fold ON machine_events(source_id, device_id, category_id, id);
-- The review queue, newest first.
CREATE INDEX machine_events_status ON machine_events(status, id);
CREATE INDEX machine_events_case ON machine_events(case_id) WHERE case_id IS NOT NULL;

-- +goose Down
DROP TABLE machine_events;
DROP TABLE event_sources;
