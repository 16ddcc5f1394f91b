-- +goose Up
-- Inbox counts filtered by street and status (a leader's or street's view)
-- would otherwise scan every case of the street.
CREATE INDEX cases_street_status ON cases(street_id, status, id);

-- +goose Down
DROP INDEX cases_street_status;
