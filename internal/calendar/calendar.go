package calendar

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"time"
)

// embeddedYears holds the State Council holiday arrangements shipped with the
// binary. Later years are loaded by an administrator (ParseYear + WithYear).
//
//go:embed years/*.json
var embeddedYears embed.FS

// Calendar is the Chinese working calendar that deadlines are counted in:
// loaded years of holiday arrangements plus the office hours of a working
// day. It is immutable once built and safe for concurrent use; WithYear
// returns a new Calendar.
//
// All day boundaries are those of China (UTC+8). Times passed in may be in
// any zone; results are in Location().
type Calendar struct {
	loc   *time.Location
	hours OfficeHours
	years map[int]*yearData
}

type yearData struct {
	src     Year
	working [366]bool // by day of year - 1
}

// Beijing returns China Standard Time (UTC+8), the one zone yiwang counts
// in: calendar days and deadlines here, days and months in the statistics,
// and every time a person reads (pages, the API's +08:00, Open311, the
// timeline's notes, the audit export). Every package takes it from here
// rather than building its own, so the definitions cannot drift.
//
// Decision: a fixed UTC+8 zone rather than time.LoadLocation("Asia/Shanghai").
// China has kept UTC+8 without daylight saving since September 1991 and the
// calendar only accepts years from MinYear (1992), so for every date it can
// answer about the fixed zone gives exactly the same instants as the IANA
// zone. It cannot fail, does not depend on the host's tzdata (minimal
// containers often have none) and does not need the ~450 KB time/tzdata
// embed. The zone is named "CST" (China Standard Time), as tzdata names it.
//
// It is a function over one unexported value built once. A *time.Location
// is immutable, so sharing it is not the mutable global state the house
// style refuses; a function rather than an exported variable means no
// package can reassign the zone under the others.
func Beijing() *time.Location { return beijing }

var beijing = time.FixedZone("CST", 8*60*60)

// New builds a calendar from years (each validated with Year.Validate; no
// year twice) and the office hours used by AddWorkingHours. Years may be
// empty, but then every working-day question fails with ErrNoCalendarData.
func New(years []Year, hours OfficeHours) (*Calendar, error) {
	if hours.IsZero() {
		return nil, fieldErr(ErrInvalidCalendar, "office_hours",
			"未设置办公时间", "office hours are not set")
	}
	c := &Calendar{
		loc:   beijing,
		hours: OfficeHours{periods: hours.Periods()},
		years: make(map[int]*yearData, len(years)),
	}
	for i, y := range years {
		if _, dup := c.years[y.Year]; dup {
			return nil, fieldErr(ErrInvalidCalendar, fmt.Sprintf("years[%d]", i),
				fmt.Sprintf("%d 年的数据重复提供", y.Year),
				fmt.Sprintf("year %d given more than once", y.Year))
		}
		yd, err := buildYear(y)
		if err != nil {
			return nil, fmt.Errorf("calendar: years[%d] (%d): %w", i, y.Year, err)
		}
		c.years[y.Year] = yd
	}
	return c, nil
}

// Default returns the calendar of the embedded years (2025 and 2026) with
// DefaultOfficeHours (08:30–12:00, 14:00–17:30).
func Default() (*Calendar, error) {
	years, err := EmbeddedYears()
	if err != nil {
		return nil, err
	}
	return New(years, DefaultOfficeHours())
}

// EmbeddedYears parses the year files shipped with the binary, in year order.
func EmbeddedYears() ([]Year, error) {
	names, err := fs.Glob(embeddedYears, "years/*.json")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	years := make([]Year, 0, len(names))
	for _, name := range names {
		data, err := embeddedYears.ReadFile(name)
		if err != nil {
			return nil, err
		}
		y, err := ParseYear(data)
		if err != nil {
			return nil, fmt.Errorf("calendar: embedded %s: %w", path.Base(name), err)
		}
		years = append(years, y)
	}
	return years, nil
}

// WithYear returns a new calendar with y added, or replacing the loaded data
// of the same year. c itself is unchanged.
func (c *Calendar) WithYear(y Year) (*Calendar, error) {
	yd, err := buildYear(y)
	if err != nil {
		return nil, err
	}
	n := &Calendar{loc: c.loc, hours: c.hours, years: make(map[int]*yearData, len(c.years)+1)}
	for k, v := range c.years {
		n.years[k] = v // yearData is never mutated after build, so sharing is safe
	}
	n.years[y.Year] = yd
	return n, nil
}

// Years lists the loaded years in ascending order.
func (c *Calendar) Years() []int {
	ys := make([]int, 0, len(c.years))
	for y := range c.years {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	return ys
}

// Year returns a copy of the loaded data of year y.
func (c *Calendar) Year(y int) (Year, bool) {
	yd, ok := c.years[y]
	if !ok {
		return Year{}, false
	}
	return yd.src.clone(), true
}

// OfficeHours returns the office hours used by AddWorkingHours.
func (c *Calendar) OfficeHours() OfficeHours { return OfficeHours{periods: c.hours.Periods()} }

// Location is the fixed UTC+8 zone in which days are counted and results
// are expressed.
func (c *Calendar) Location() *time.Location { return c.loc }

// IsWorkingDay reports whether t's day in China is a working day: Monday to
// Friday unless inside a holiday, and Saturdays or Sundays listed as make-up
// workdays. If t's year has no loaded data the error is a *NoDataError
// (errors.Is(err, ErrNoCalendarData)).
func (c *Calendar) IsWorkingDay(t time.Time) (bool, error) {
	return c.IsWorkingDate(DateOf(t.In(c.loc)))
}

// IsWorkingDate is IsWorkingDay for a civil date.
func (c *Calendar) IsWorkingDate(d Date) (bool, error) {
	if !d.Valid() {
		return false, fieldErr(ErrInvalidDate, "date",
			fmt.Sprintf("日期 %04d-%02d-%02d 无效", d.Year, int(d.Month), d.Day),
			fmt.Sprintf("invalid date %04d-%02d-%02d", d.Year, int(d.Month), d.Day))
	}
	yd, ok := c.years[d.Year]
	if !ok {
		return false, &NoDataError{Year: d.Year}
	}
	return yd.working[d.yearDay()-1], nil
}

// buildYear validates y and precomputes its working days.
func buildYear(y Year) (*yearData, error) {
	if err := y.Validate(); err != nil {
		return nil, err
	}
	yd := &yearData{src: y.clone()}
	n := 365
	if daysIn(time.February, y.Year) == 29 {
		n = 366
	}
	for i := 0; i < n; i++ {
		wd := dateOfYearDay(y.Year, i+1).Weekday()
		yd.working[i] = wd != time.Saturday && wd != time.Sunday
	}
	for _, h := range y.Holidays {
		for i := h.From.yearDay(); i <= h.To.yearDay(); i++ {
			yd.working[i-1] = false
		}
	}
	for _, d := range y.Workdays {
		yd.working[d.yearDay()-1] = true
	}
	return yd, nil
}
