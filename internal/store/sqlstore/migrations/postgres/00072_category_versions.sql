-- +goose Up
-- Administrators change a category's deadline, default unit, names and
-- whether citizens see it (/admin/categories). Every state a category had
-- is kept, with who set it and from when to when: the deadline a case was
-- given is then explainable long after the rule changed. A category
-- loaded with the reference data gets its version 1 on its first change.
CREATE TABLE category_versions (
    id          BIGSERIAL PRIMARY KEY,
    category_id BIGINT NOT NULL REFERENCES categories(id),
    version     INTEGER NOT NULL,
    data        TEXT    NOT NULL, -- the category as JSON (model.Category)
    valid_from  BIGINT NOT NULL,
    valid_to    BIGINT,
    changed_by  BIGINT,
    UNIQUE (category_id, version)
);

-- +goose Down
DROP TABLE category_versions;
