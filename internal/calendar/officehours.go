package calendar

import (
	"fmt"
	"strings"
	"time"
)

// Period is one office period of a working day, as offsets from midnight:
// Start inclusive, End exclusive. 08:30–12:00 is {8h30m, 12h}.
type Period struct {
	Start time.Duration
	End   time.Duration
}

func (p Period) String() string { return clock(p.Start) + "-" + clock(p.End) }

// OfficeHours is the office periods of every working day, in order and not
// overlapping. Build it with ParseOfficeHours, NewOfficeHours or
// DefaultOfficeHours; the zero value has no periods and is rejected by New.
type OfficeHours struct {
	periods []Period
}

// DefaultOfficeHours is 08:30–12:00 and 14:00–17:30.
func DefaultOfficeHours() OfficeHours {
	return OfficeHours{periods: []Period{
		{Start: 8*time.Hour + 30*time.Minute, End: 12 * time.Hour},
		{Start: 14 * time.Hour, End: 17*time.Hour + 30*time.Minute},
	}}
}

// ParseOfficeHours parses "HH:MM-HH:MM,HH:MM-HH:MM,...", for example
// "08:30-12:00,14:00-17:30". Spaces around periods are ignored; "24:00" is
// allowed as an end. Errors are ValidationErrors wrapping
// ErrInvalidOfficeHours, with Field "office_hours" or "office_hours[i]".
func ParseOfficeHours(s string) (OfficeHours, error) {
	errs := errList{sentinel: ErrInvalidOfficeHours}
	if strings.TrimSpace(s) == "" {
		errs.add("office_hours", "办公时间不能为空", "office hours are empty")
		return OfficeHours{}, errs.err()
	}
	var periods []Period
	for i, part := range strings.Split(s, ",") {
		if errs.full() {
			break
		}
		field := fmt.Sprintf("office_hours[%d]", i)
		part = strings.TrimSpace(part)
		from, to, ok := strings.Cut(part, "-")
		if !ok {
			errs.add(field,
				fmt.Sprintf("时间段 %q 格式错误：应为 HH:MM-HH:MM，多个时间段用英文逗号分隔", part),
				fmt.Sprintf("period %q: want HH:MM-HH:MM, periods separated by commas", part))
			continue
		}
		start, okS := parseClock(strings.TrimSpace(from), false)
		end, okE := parseClock(strings.TrimSpace(to), true)
		if !okS || !okE {
			errs.add(field,
				fmt.Sprintf("时间段 %q 格式错误：应为 HH:MM-HH:MM（00:00–24:00）", part),
				fmt.Sprintf("period %q: want HH:MM-HH:MM (00:00 to 24:00)", part))
			continue
		}
		periods = append(periods, Period{Start: start, End: end})
	}
	if err := errs.err(); err != nil {
		return OfficeHours{}, err
	}
	return NewOfficeHours(periods...)
}

// NewOfficeHours validates periods: at least one; each on whole minutes
// within 00:00–24:00 with Start before End; in ascending order without
// overlap (one may start where the previous ends).
func NewOfficeHours(periods ...Period) (OfficeHours, error) {
	errs := errList{sentinel: ErrInvalidOfficeHours}
	if len(periods) == 0 {
		errs.add("office_hours", "办公时间不能为空", "office hours are empty")
		return OfficeHours{}, errs.err()
	}
	for i, p := range periods {
		field := fmt.Sprintf("office_hours[%d]", i)
		switch {
		case p.Start < 0 || p.End > 24*time.Hour || p.Start%time.Minute != 0 || p.End%time.Minute != 0:
			errs.add(field,
				"时间段必须在 00:00–24:00 之内，且精确到分钟",
				"a period must lie within 00:00–24:00, in whole minutes")
		case p.Start >= p.End:
			errs.add(field,
				fmt.Sprintf("时间段 %s 的开始时间必须早于结束时间", p),
				fmt.Sprintf("period %s: start must be before end", p))
		case i > 0 && p.Start < periods[i-1].End:
			errs.add(field,
				fmt.Sprintf("时间段 %s 与前一时间段 %s 重叠或顺序颠倒；请按时间先后列出且不要重叠", p, periods[i-1]),
				fmt.Sprintf("period %s overlaps or comes before the previous period %s; list periods in order without overlap", p, periods[i-1]))
		}
	}
	if err := errs.err(); err != nil {
		return OfficeHours{}, err
	}
	return OfficeHours{periods: append([]Period(nil), periods...)}, nil
}

// Periods returns a copy of the periods.
func (h OfficeHours) Periods() []Period { return append([]Period(nil), h.periods...) }

// Daily is the office time of one working day (7h for the default).
func (h OfficeHours) Daily() time.Duration {
	var d time.Duration
	for _, p := range h.periods {
		d += p.End - p.Start
	}
	return d
}

// IsZero reports whether h has no periods (the unusable zero value).
func (h OfficeHours) IsZero() bool { return len(h.periods) == 0 }

// String formats h the way ParseOfficeHours reads it.
func (h OfficeHours) String() string {
	parts := make([]string, len(h.periods))
	for i, p := range h.periods {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

// MarshalText writes the ParseOfficeHours form, for JSON/config files.
func (h OfficeHours) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText parses with ParseOfficeHours.
func (h *OfficeHours) UnmarshalText(b []byte) error {
	v, err := ParseOfficeHours(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// parseClock reads exactly "HH:MM"; "24:00" only if allow24.
func parseClock(s string, allow24 bool) (time.Duration, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	switch {
	case m > 59, h > 24, h == 24 && (m != 0 || !allow24):
		return 0, false
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, true
}

func clock(d time.Duration) string {
	m := int(d / time.Minute)
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}
