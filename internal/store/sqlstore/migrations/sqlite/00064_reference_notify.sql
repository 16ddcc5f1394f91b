-- +goose Up
-- PostgreSQL notifies other nodes when reference data changes (LISTEN/
-- NOTIFY); SQLite runs one node, which reloads itself.
SELECT 1;

-- +goose Down
SELECT 1;
