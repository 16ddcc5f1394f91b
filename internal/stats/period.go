package stats

import (
	"errors"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
)

// Statistics count days and months in calendar.Beijing (UTC+8 all year, no
// daylight saving), so a day is always 86 400 000 ms and day numbers are
// plain integer division.
const (
	dayMs    = int64(24 * time.Hour / time.Millisecond)
	offsetMs = int64(8 * time.Hour / time.Millisecond)
)

// Range is a half-open time range [From, To). Every measure counts a case
// in a range when the case's time on that measure's axis falls in it.
type Range struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// ErrRange is returned for a range whose end is not after its start.
var ErrRange = errors.New("stats: range end must be after its start")

// Valid reports whether the range is non-empty.
func (r Range) Valid() bool { return r.To.After(r.From) }

// FromMs and ToMs are the bounds in Unix milliseconds.
func (r Range) FromMs() int64 { return r.From.UnixMilli() }
func (r Range) ToMs() int64   { return r.To.UnixMilli() }

// DayOf returns the CST day number (days since 1970-01-01 CST) of a Unix
// millisecond time.
func DayOf(ms int64) int64 {
	v := ms + offsetMs
	if v < 0 {
		return -((-v + dayMs - 1) / dayMs)
	}
	return v / dayMs
}

// DayStart returns the Unix millisecond time at which CST day d starts.
func DayStart(d int64) int64 { return d*dayMs - offsetMs }

// MonthOf returns the month number (year*12 + month-1, CST) of a CST day.
func MonthOf(day int64) int64 {
	t := time.UnixMilli(DayStart(day)).In(calendar.Beijing())
	return int64(t.Year())*12 + int64(t.Month()) - 1
}

// MonthStartDay returns the first CST day of month number m.
func MonthStartDay(m int64) int64 {
	y, mo := m/12, time.Month(m%12+1)
	return DayOf(time.Date(int(y), mo, 1, 0, 0, 0, 0, calendar.Beijing()).UnixMilli())
}

// Split is how a range is answered: whole months and whole days from the
// aggregates, and at most two partial days at the edges from the per-case
// facts. Days are [FirstDay, EndDay); months [FirstMonth, EndMonth) lie
// inside the days and are excluded from them by the caller.
type Split struct {
	Head, Tail Range // partial days; zero when the edge is a day boundary
	// Days not covered by months: [DayLo1, DayHi1) and [DayLo2, DayHi2).
	DayLo1, DayHi1, DayLo2, DayHi2 int64
	MonthLo, MonthHi               int64 // whole months [MonthLo, MonthHi)
}

// SplitRange cuts r into partial edge days, whole days and whole months.
func SplitRange(r Range) Split {
	from, to := r.FromMs(), r.ToMs()
	var s Split
	d0 := DayOf(from)
	if DayStart(d0) != from {
		d0++ // first whole day starts after from
	}
	d1 := DayOf(to) // days before d1 end by to
	if d0 >= d1 {
		// No whole day: the whole range is one partial piece.
		s.Head = r
		return s
	}
	if DayStart(d0) != from {
		s.Head = Range{From: r.From, To: time.UnixMilli(DayStart(d0))}
	}
	if DayStart(d1) != to {
		s.Tail = Range{From: time.UnixMilli(DayStart(d1)), To: r.To}
	}
	// Whole months inside [d0, d1).
	m0 := MonthOf(d0)
	if MonthStartDay(m0) != d0 {
		m0++
	}
	m1 := MonthOf(d1) // months before m1 end by day MonthStartDay(m1) <= d1
	if MonthStartDay(m1) > d1 {
		m1--
	}
	if m0 >= m1 {
		s.DayLo1, s.DayHi1 = d0, d1
		return s
	}
	s.MonthLo, s.MonthHi = m0, m1
	s.DayLo1, s.DayHi1 = d0, MonthStartDay(m0)
	s.DayLo2, s.DayHi2 = MonthStartDay(m1), d1
	return s
}

// PreviousPeriod is the period just before r, for month-on-month (环比)
// change: the previous calendar month when r is exactly one month, the
// previous calendar quarter or year likewise, otherwise the range of the
// same length ending at r.From.
func PreviousPeriod(r Range) Range {
	f, t := r.From.In(calendar.Beijing()), r.To.In(calendar.Beijing())
	if isMonthStart(f) && isMonthStart(t) {
		months := (t.Year()-f.Year())*12 + int(t.Month()) - int(f.Month())
		if months > 0 {
			return Range{From: f.AddDate(0, -months, 0), To: r.From}
		}
	}
	return Range{From: r.From.Add(-r.To.Sub(r.From)), To: r.From}
}

// YearEarlier is the same range one year before, for year-on-year (同比)
// change. 29 February maps to 1 March, as time.AddDate does.
func YearEarlier(r Range) Range {
	return Range{From: r.From.In(calendar.Beijing()).AddDate(-1, 0, 0), To: r.To.In(calendar.Beijing()).AddDate(-1, 0, 0)}
}

func isMonthStart(t time.Time) bool {
	return t.Day() == 1 && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
}

// MonthRange returns the CST calendar month containing t.
func MonthRange(t time.Time) Range {
	t = t.In(calendar.Beijing())
	f := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, calendar.Beijing())
	return Range{From: f, To: f.AddDate(0, 1, 0)}
}
