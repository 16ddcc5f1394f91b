-- +goose Up
-- Who may read a file is who may see a case whose timeline links it: the
-- reverse lookup, from an attachment to its cases, needs its own index.
CREATE INDEX case_attachments_attachment ON case_attachments(attachment_id);

-- Every account that uploaded a file's bytes (attachments are stored by
-- hash, so a second upload of the same bytes is the same row): having sent
-- the bytes, each may cite the file in its own cases.
CREATE TABLE attachment_uploaders (
    attachment_id TEXT    NOT NULL REFERENCES attachments(id),
    user_id       BIGINT NOT NULL,
    PRIMARY KEY (attachment_id, user_id)
);

-- +goose Down
DROP TABLE attachment_uploaders;
DROP INDEX case_attachments_attachment;
