-- +goose Up
-- Hot spots and 每月一题 group the cases received in a range by place and
-- category: this index holds all they read, so they never touch the table.
CREATE INDEX case_facts_places ON case_facts(received_at, street_id, category_id, grid_id, status, closed, type, unit_id);

-- +goose Down
DROP INDEX case_facts_places;
