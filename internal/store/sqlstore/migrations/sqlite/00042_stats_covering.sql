-- +goose Up
-- Covering indexes for the statistics facts (docs/PERFORMANCE.md): each
-- axis's index also holds what is counted on that axis and the type,
-- street and unit, so counting a range — the partial days at the edges of
-- an aggregates answer, or a whole range through the facts engine — reads
-- the index alone, never the table.
DROP INDEX case_facts_received;
CREATE INDEX case_facts_received ON case_facts(received_at, type, subtype, street_id, unit_id);
DROP INDEX case_facts_registered;
CREATE INDEX case_facts_registered ON case_facts(registered_at, reg_on_time, type, street_id, unit_id);
DROP INDEX case_facts_dispatched;
CREATE INDEX case_facts_dispatched ON case_facts(dispatched_at, accurate, extended, responded, type, street_id, unit_id);
DROP INDEX case_facts_handled;
CREATE INDEX case_facts_handled ON case_facts(handled_at, handled_on_time, reworked, type, street_id, unit_id);
DROP INDEX case_facts_settle;
CREATE INDEX case_facts_settle ON case_facts(settle_at, closed, closed_on_time, type, street_id, unit_id);
DROP INDEX case_facts_closed;
CREATE INDEX case_facts_closed ON case_facts(closed_at, type, street_id, unit_id, dispatched_at, handle_ms, satisfaction, resolved, funds_recovered, funds_returned, people_handled, people_refunded, clues_transferred, rules_made);

-- +goose Down
DROP INDEX case_facts_received;
CREATE INDEX case_facts_received ON case_facts(received_at);
DROP INDEX case_facts_registered;
CREATE INDEX case_facts_registered ON case_facts(registered_at);
DROP INDEX case_facts_dispatched;
CREATE INDEX case_facts_dispatched ON case_facts(dispatched_at);
DROP INDEX case_facts_handled;
CREATE INDEX case_facts_handled ON case_facts(handled_at);
DROP INDEX case_facts_settle;
CREATE INDEX case_facts_settle ON case_facts(settle_at);
DROP INDEX case_facts_closed;
CREATE INDEX case_facts_closed ON case_facts(closed_at);
