-- +goose Up
-- Roll-ups of the statistics aggregates (docs/STATISTICS.md): the same
-- counts as stat_day / stat_month summed over every street and unit
-- (dim 0), by street (dim 1, key_id the street) and by unit (dim 2, key_id the
-- unit), per day (grain 0) or month (grain 1) and type. A district summary
-- or a ranking reads a few thousand rows here instead of every (street,
-- unit) pair; stat_day and stat_month still answer a street and a unit
-- together. Kept in step with them by the same differences.
CREATE TABLE stat_roll (
    grain               BIGINT NOT NULL,
    dim                 BIGINT NOT NULL,
    period              BIGINT NOT NULL,
    type                TEXT    NOT NULL,
    key_id              BIGINT NOT NULL,
    received            BIGINT NOT NULL DEFAULT 0,
    referral_up         BIGINT NOT NULL DEFAULT 0,
    referral_down       BIGINT NOT NULL DEFAULT 0,
    registered          BIGINT NOT NULL DEFAULT 0,
    reg_on_time         BIGINT NOT NULL DEFAULT 0,
    dispatched          BIGINT NOT NULL DEFAULT 0,
    accurate            BIGINT NOT NULL DEFAULT 0,
    extended            BIGINT NOT NULL DEFAULT 0,
    responded           BIGINT NOT NULL DEFAULT 0,
    handled             BIGINT NOT NULL DEFAULT 0,
    handled_on_time     BIGINT NOT NULL DEFAULT 0,
    reworked            BIGINT NOT NULL DEFAULT 0,
    due                 BIGINT NOT NULL DEFAULT 0,
    closed              BIGINT NOT NULL DEFAULT 0,
    closed_on_time      BIGINT NOT NULL DEFAULT 0,
    closed_in_period    BIGINT NOT NULL DEFAULT 0,
    handle_ms           BIGINT NOT NULL DEFAULT 0,
    handle_n            BIGINT NOT NULL DEFAULT 0,
    satisfied           BIGINT NOT NULL DEFAULT 0,
    basically_satisfied BIGINT NOT NULL DEFAULT 0,
    dissatisfied        BIGINT NOT NULL DEFAULT 0,
    resolved            BIGINT NOT NULL DEFAULT 0,
    rectified           BIGINT NOT NULL DEFAULT 0,
    funds_recovered     BIGINT NOT NULL DEFAULT 0,
    funds_returned      BIGINT NOT NULL DEFAULT 0,
    people_handled      BIGINT NOT NULL DEFAULT 0,
    people_refunded     BIGINT NOT NULL DEFAULT 0,
    clues_transferred   BIGINT NOT NULL DEFAULT 0,
    rules_made          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (grain, dim, period, type, key_id)
);
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
