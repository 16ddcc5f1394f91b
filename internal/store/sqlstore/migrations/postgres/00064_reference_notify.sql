-- +goose Up
-- When the geography generation moves on (grids, rules, components or
-- addresses changed), tell every node listening so it reloads its
-- in-memory snapshot at once instead of at its next poll.
-- +goose StatementBegin
CREATE FUNCTION yiwang_reference_changed() RETURNS trigger AS $$
BEGIN
    IF NEW.key = 'geo.generation' THEN
        PERFORM pg_notify('yiwang_reference', NEW.value);
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER settings_reference_notify AFTER INSERT OR UPDATE ON settings
FOR EACH ROW EXECUTE FUNCTION yiwang_reference_changed();

-- +goose Down
DROP TRIGGER settings_reference_notify ON settings;
DROP FUNCTION yiwang_reference_changed;
