package calendar

import (
	"fmt"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// Upper bounds on amounts (about 100 years), so that no input can overflow
// time arithmetic. Working-day counting is in any case bounded by the loaded
// years: it stops with ErrNoCalendarData at the first day without data.
const (
	MaxDays  = 36600
	MaxHours = 876000
)

// Deadline computes the deadline of rule counted from from (usually the
// moment a case is dispatched to a unit):
//
//   - natural_days:  AddNaturalDays
//   - working_days:  AddWorkingDays
//   - working_hours: AddWorkingHours
//   - urgent_hours:  AddUrgentHours
//
// rule.Amount must be at least 1 (ErrInvalidAmount); an unknown rule.Kind
// fails with ErrUnknownDeadlineKind. Both are *FieldError.
func (c *Calendar) Deadline(rule model.DeadlineRule, from time.Time) (time.Time, error) {
	if rule.Amount < 1 {
		return time.Time{}, fieldErr(ErrInvalidAmount, "amount",
			fmt.Sprintf("期限数值必须为正整数，实际为 %d", rule.Amount),
			fmt.Sprintf("deadline amount must be a positive integer, got %d", rule.Amount))
	}
	switch rule.Kind {
	case model.DeadlineNaturalDays:
		return c.AddNaturalDays(from, rule.Amount)
	case model.DeadlineWorkingDays:
		return c.AddWorkingDays(from, rule.Amount)
	case model.DeadlineWorkingHours:
		return c.AddWorkingHours(from, rule.Amount)
	case model.DeadlineUrgentHours:
		return c.AddUrgentHours(from, rule.Amount)
	}
	return time.Time{}, fieldErr(ErrUnknownDeadlineKind, "kind",
		fmt.Sprintf("未知的期限类型 %q（应为 natural_days、working_days、working_hours 或 urgent_hours）", rule.Kind),
		fmt.Sprintf("unknown deadline kind %q (want natural_days, working_days, working_hours or urgent_hours)", rule.Kind))
}

// AddWorkingDays returns the end (23:59:59 China time) of the n-th working
// day after from's day; from's own day never counts, whatever the time.
// From Friday 2026-02-13 10:00, 5 working days end 2026-02-27 23:59:59
// (02-14 is a make-up workday, 02-15..02-23 the Spring Festival).
// n = 0 gives the end of from's own day. Fails with ErrNoCalendarData when
// a day to be counted has no loaded year.
func (c *Calendar) AddWorkingDays(from time.Time, n int) (time.Time, error) {
	if err := checkAmount(n, MaxDays, "天", "days"); err != nil {
		return time.Time{}, err
	}
	d := DateOf(from.In(c.loc))
	for counted := 0; counted < n; {
		d = d.AddDays(1)
		ok, err := c.IsWorkingDate(d)
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			counted++
		}
	}
	return c.endOfDay(d), nil
}

// AddNaturalDays returns the end (23:59:59 China time) of the n-th calendar
// day after from's day, holidays included. It needs no loaded year.
func (c *Calendar) AddNaturalDays(from time.Time, n int) (time.Time, error) {
	if err := checkAmount(n, MaxDays, "天", "days"); err != nil {
		return time.Time{}, err
	}
	return c.endOfDay(DateOf(from.In(c.loc)).AddDays(n)), nil
}

// AddUrgentHours returns from + n clock hours, day and night, holidays
// included, in China time. It needs no loaded year.
func (c *Calendar) AddUrgentHours(from time.Time, n int) (time.Time, error) {
	if err := checkAmount(n, MaxHours, "小时", "hours"); err != nil {
		return time.Time{}, err
	}
	return from.In(c.loc).Add(time.Duration(n) * time.Hour), nil
}

// AddWorkingHours counts n hours of office time: only the office periods of
// working days count. If from is outside office time, counting starts at the
// next office period. The result is the instant the n-th hour completes,
// which may be the very end of a period (17:30), not the start of the next.
// With the default hours, 8 working hours from Wednesday 2026-09-30 16:00
// are 1.5 h that day, then (National Day 10-01..10-07) 3.5 h + 3 h on
// 10-08, ending 2026-10-08 17:00. n = 0 returns from.
func (c *Calendar) AddWorkingHours(from time.Time, n int) (time.Time, error) {
	if err := checkAmount(n, MaxHours, "小时", "hours"); err != nil {
		return time.Time{}, err
	}
	cursor := from.In(c.loc)
	if n == 0 {
		return cursor, nil
	}
	remaining := time.Duration(n) * time.Hour
	d := DateOf(cursor)
	for {
		ok, err := c.IsWorkingDate(d)
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			midnight := d.midnight(c.loc)
			for _, p := range c.hours.periods {
				start, end := midnight.Add(p.Start), midnight.Add(p.End)
				if cursor.After(start) {
					start = cursor
				}
				if !start.Before(end) {
					continue
				}
				if avail := end.Sub(start); remaining <= avail {
					return start.Add(remaining), nil
				} else {
					remaining -= avail
				}
			}
		}
		d = d.AddDays(1)
		cursor = d.midnight(c.loc)
	}
}

// WorkingDaysBetween counts the working days after a's day up to and
// including b's day (China time), so that
// WorkingDaysBetween(t, AddWorkingDays(t, n)) == n. It is negative when b's
// day is before a's day, and 0 on the same day. Use it for rules such as
// "returned within 2 working days": late when WorkingDaysBetween(dispatched,
// returned) > 2.
func (c *Calendar) WorkingDaysBetween(a, b time.Time) (int, error) {
	da, db := DateOf(a.In(c.loc)), DateOf(b.In(c.loc))
	sign := 1
	if db.Compare(da) < 0 {
		da, db, sign = db, da, -1
	}
	n := 0
	for d := da.AddDays(1); d.Compare(db) <= 0; d = d.AddDays(1) {
		ok, err := c.IsWorkingDate(d)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	return sign * n, nil
}

func (c *Calendar) endOfDay(d Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 23, 59, 59, 0, c.loc)
}

func checkAmount(n, limit int, unitZh, unitEn string) error {
	if n < 0 || n > limit {
		return fieldErr(ErrInvalidAmount, "amount",
			fmt.Sprintf("期限数值 %d 无效：应在 0–%d %s之间", n, limit, unitZh),
			fmt.Sprintf("invalid amount %d: want 0 to %d %s", n, limit, unitEn))
	}
	return nil
}
