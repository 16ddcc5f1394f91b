-- +goose Up
-- Roll-ups of the statistics aggregates (docs/STATISTICS.md): the same
-- counts as stat_day / stat_month summed over every street and unit
-- (dim 0), by street (dim 1, key_id the street) and by unit (dim 2, key_id the
-- unit), per day (grain 0) or month (grain 1) and type. A district summary
-- or a ranking reads a few thousand rows here instead of every (street,
-- unit) pair; stat_day and stat_month still answer a street and a unit
-- together. Kept in step with them by the same differences.
CREATE TABLE stat_roll (
    grain               INTEGER NOT NULL,
    dim                 INTEGER NOT NULL,
    period              INTEGER NOT NULL,
    type                TEXT    NOT NULL,
    key_id              INTEGER NOT NULL,
    received            INTEGER NOT NULL DEFAULT 0,
    referral_up         INTEGER NOT NULL DEFAULT 0,
    referral_down       INTEGER NOT NULL DEFAULT 0,
    registered          INTEGER NOT NULL DEFAULT 0,
    reg_on_time         INTEGER NOT NULL DEFAULT 0,
    dispatched          INTEGER NOT NULL DEFAULT 0,
    accurate            INTEGER NOT NULL DEFAULT 0,
    extended            INTEGER NOT NULL DEFAULT 0,
    responded           INTEGER NOT NULL DEFAULT 0,
    handled             INTEGER NOT NULL DEFAULT 0,
    handled_on_time     INTEGER NOT NULL DEFAULT 0,
    reworked            INTEGER NOT NULL DEFAULT 0,
    due                 INTEGER NOT NULL DEFAULT 0,
    closed              INTEGER NOT NULL DEFAULT 0,
    closed_on_time      INTEGER NOT NULL DEFAULT 0,
    closed_in_period    INTEGER NOT NULL DEFAULT 0,
    handle_ms           INTEGER NOT NULL DEFAULT 0,
    handle_n            INTEGER NOT NULL DEFAULT 0,
    satisfied           INTEGER NOT NULL DEFAULT 0,
    basically_satisfied INTEGER NOT NULL DEFAULT 0,
    dissatisfied        INTEGER NOT NULL DEFAULT 0,
    resolved            INTEGER NOT NULL DEFAULT 0,
    rectified           INTEGER NOT NULL DEFAULT 0,
    funds_recovered     INTEGER NOT NULL DEFAULT 0,
    funds_returned      INTEGER NOT NULL DEFAULT 0,
    people_handled      INTEGER NOT NULL DEFAULT 0,
    people_refunded     INTEGER NOT NULL DEFAULT 0,
    clues_transferred   INTEGER NOT NULL DEFAULT 0,
    rules_made          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (grain, dim, period, type, key_id)
) WITHOUT ROWID;
INSERT INTO stat_roll (grain, dim, period, type, key_id, received, referral_up, referral_down, registered, reg_on_time, dispatched, accurate, extended, responded, handled, handled_on_time, reworked, due, closed, closed_on_time, closed_in_period, handle_ms, handle_n, satisfied, basically_satisfied, dissatisfied, resolved, rectified, funds_recovered, funds_returned, people_handled, people_refunded, clues_transferred, rules_made)
SELECT 0, 0, day, type, 0, SUM(received), SUM(referral_up), SUM(referral_down), SUM(registered), SUM(reg_on_time), SUM(dispatched), SUM(accurate), SUM(extended), SUM(responded), SUM(handled), SUM(handled_on_time), SUM(reworked), SUM(due), SUM(closed), SUM(closed_on_time), SUM(closed_in_period), SUM(handle_ms), SUM(handle_n), SUM(satisfied), SUM(basically_satisfied), SUM(dissatisfied), SUM(resolved), SUM(rectified), SUM(funds_recovered), SUM(funds_returned), SUM(people_handled), SUM(people_refunded), SUM(clues_transferred), SUM(rules_made)
FROM stat_day GROUP BY day, type;
INSERT INTO stat_roll (grain, dim, period, type, key_id, received, referral_up, referral_down, registered, reg_on_time, dispatched, accurate, extended, responded, handled, handled_on_time, reworked, due, closed, closed_on_time, closed_in_period, handle_ms, handle_n, satisfied, basically_satisfied, dissatisfied, resolved, rectified, funds_recovered, funds_returned, people_handled, people_refunded, clues_transferred, rules_made)
SELECT 0, 1, day, type, street_id, SUM(received), SUM(referral_up), SUM(referral_down), SUM(registered), SUM(reg_on_time), SUM(dispatched), SUM(accurate), SUM(extended), SUM(responded), SUM(handled), SUM(handled_on_time), SUM(reworked), SUM(due), SUM(closed), SUM(closed_on_time), SUM(closed_in_period), SUM(handle_ms), SUM(handle_n), SUM(satisfied), SUM(basically_satisfied), SUM(dissatisfied), SUM(resolved), SUM(rectified), SUM(funds_recovered), SUM(funds_returned), SUM(people_handled), SUM(people_refunded), SUM(clues_transferred), SUM(rules_made)
FROM stat_day GROUP BY day, type, street_id;
INSERT INTO stat_roll (grain, dim, period, type, key_id, received, referral_up, referral_down, registered, reg_on_time, dispatched, accurate, extended, responded, handled, handled_on_time, reworked, due, closed, closed_on_time, closed_in_period, handle_ms, handle_n, satisfied, basically_satisfied, dissatisfied, resolved, rectified, funds_recovered, funds_returned, people_handled, people_refunded, clues_transferred, rules_made)
SELECT 0, 2, day, type, unit_id, SUM(received), SUM(referral_up), SUM(referral_down), SUM(registered), SUM(reg_on_time), SUM(dispatched), SUM(accurate), SUM(extended), SUM(responded), SUM(handled), SUM(handled_on_time), SUM(reworked), SUM(due), SUM(closed), SUM(closed_on_time), SUM(closed_in_period), SUM(handle_ms), SUM(handle_n), SUM(satisfied), SUM(basically_satisfied), SUM(dissatisfied), SUM(resolved), SUM(rectified), SUM(funds_recovered), SUM(funds_returned), SUM(people_handled), SUM(people_refunded), SUM(clues_transferred), SUM(rules_made)
FROM stat_day GROUP BY day, type, unit_id;
INSERT INTO stat_roll (grain, dim, period, type, key_id, received, referral_up, referral_down, registered, reg_on_time, dispatched, accurate, extended, responded, handled, handled_on_time, reworked, due, closed, closed_on_time, closed_in_period, handle_ms, handle_n, satisfied, basically_satisfied, dissatisfied, resolved, rectified, funds_recovered, funds_returned, people_handled, people_refunded, clues_transferred, rules_made)
SELECT 1, 0, month, type, 0, SUM(received), SUM(referral_up), SUM(referral_down), SUM(registered), SUM(reg_on_time), SUM(dispatched), SUM(accurate), SUM(extended), SUM(responded), SUM(handled), SUM(handled_on_time), SUM(reworked), SUM(due), SUM(closed), SUM(closed_on_time), SUM(closed_in_period), SUM(handle_ms), SUM(handle_n), SUM(satisfied), SUM(basically_satisfied), SUM(dissatisfied), SUM(resolved), SUM(rectified), SUM(funds_recovered), SUM(funds_returned), SUM(people_handled), SUM(people_refunded), SUM(clues_transferred), SUM(rules_made)
FROM stat_month GROUP BY month, type;
INSERT INTO stat_roll (grain, dim, period, type, key_id, received, referral_up, referral_down, registered, reg_on_time, dispatched, accurate, extended, responded, handled, handled_on_time, reworked, due, closed, closed_on_time, closed_in_period, handle_ms, handle_n, satisfied, basically_satisfied, dissatisfied, resolved, rectified, funds_recovered, funds_returned, people_handled, people_refunded, clues_transferred, rules_made)
SELECT 1, 1, month, type, street_id, SUM(received), SUM(referral_up), SUM(referral_down), SUM(registered), SUM(reg_on_time), SUM(dispatched), SUM(accurate), SUM(extended), SUM(responded), SUM(handled), SUM(handled_on_time), SUM(reworked), SUM(due), SUM(closed), SUM(closed_on_time), SUM(closed_in_period), SUM(handle_ms), SUM(handle_n), SUM(satisfied), SUM(basically_satisfied), SUM(dissatisfied), SUM(resolved), SUM(rectified), SUM(funds_recovered), SUM(funds_returned), SUM(people_handled), SUM(people_refunded), SUM(clues_transferred), SUM(rules_made)
FROM stat_month GROUP BY month, type, street_id;
INSERT INTO stat_roll (grain, dim, period, type, key_id, received, referral_up, referral_down, registered, reg_on_time, dispatched, accurate, extended, responded, handled, handled_on_time, reworked, due, closed, closed_on_time, closed_in_period, handle_ms, handle_n, satisfied, basically_satisfied, dissatisfied, resolved, rectified, funds_recovered, funds_returned, people_handled, people_refunded, clues_transferred, rules_made)
SELECT 1, 2, month, type, unit_id, SUM(received), SUM(referral_up), SUM(referral_down), SUM(registered), SUM(reg_on_time), SUM(dispatched), SUM(accurate), SUM(extended), SUM(responded), SUM(handled), SUM(handled_on_time), SUM(reworked), SUM(due), SUM(closed), SUM(closed_on_time), SUM(closed_in_period), SUM(handle_ms), SUM(handle_n), SUM(satisfied), SUM(basically_satisfied), SUM(dissatisfied), SUM(resolved), SUM(rectified), SUM(funds_recovered), SUM(funds_returned), SUM(people_handled), SUM(people_refunded), SUM(clues_transferred), SUM(rules_made)
FROM stat_month GROUP BY month, type, unit_id;

-- +goose Down
DROP TABLE stat_roll;
