package calendar

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
)

func rule(kind model.DeadlineKind, n int) model.DeadlineRule {
	return model.DeadlineRule{Kind: kind, Amount: n}
}

type addCase struct {
	name string
	from string
	n    int
	want string
}

func runAdd(t *testing.T, f func(time.Time, int) (time.Time, error), loc *time.Location, tests []addCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f(at(t, tt.from), tt.n)
			if err != nil {
				t.Fatal(err)
			}
			want := at(t, tt.want)
			if !got.Equal(want) {
				t.Errorf("from %s + %d = %s, want %s", tt.from, tt.n, got.Format(time.RFC3339), tt.want)
			}
			if got.Location() != loc {
				t.Errorf("result in %v, want the calendar's zone", got.Location())
			}
		})
	}
}

func TestAddWorkingDays(t *testing.T) {
	c := mustDefault(t)
	runAdd(t, c.AddWorkingDays, c.Location(), []addCase{
		// The brief's example: 02-14 is a make-up workday, 02-15..02-23 the
		// Spring Festival, then 02-24..02-27.
		{"Spring Festival 2026 example", "2026-02-13T10:00:00+08:00", 5, "2026-02-27T23:59:59+08:00"},
		{"time of day does not matter (late)", "2026-02-13T23:59:59+08:00", 5, "2026-02-27T23:59:59+08:00"},
		{"time of day does not matter (midnight)", "2026-02-13T00:00:00+08:00", 5, "2026-02-27T23:59:59+08:00"},
		{"UTC input counted in China days", "2026-02-13T02:00:00Z", 5, "2026-02-27T23:59:59+08:00"},
		{"UTC evening is next China day", "2026-02-13T17:00:00Z", 2, "2026-02-25T23:59:59+08:00"},
		{"make-up Saturday is the first day", "2026-02-13T10:00:00+08:00", 1, "2026-02-14T23:59:59+08:00"},
		{"after the make-up day comes the holiday", "2026-02-13T10:00:00+08:00", 2, "2026-02-24T23:59:59+08:00"},
		{"weekend skipped", "2026-03-06T10:00:00+08:00", 1, "2026-03-09T23:59:59+08:00"},
		{"one week", "2026-03-06T10:00:00+08:00", 5, "2026-03-13T23:59:59+08:00"},
		{"from Saturday", "2026-03-07T10:00:00+08:00", 1, "2026-03-09T23:59:59+08:00"},
		{"from Sunday", "2026-03-08T10:00:00+08:00", 1, "2026-03-09T23:59:59+08:00"},
		{"make-up Sunday before National Day counted", "2026-09-18T10:00:00+08:00", 1, "2026-09-20T23:59:59+08:00"},
		{"Mid-Autumn 2026 skipped", "2026-09-24T10:00:00+08:00", 1, "2026-09-28T23:59:59+08:00"},
		{"National Day 2026 skipped", "2026-09-30T10:00:00+08:00", 1, "2026-10-08T23:59:59+08:00"},
		{"National Day 2026 then make-up Saturday", "2026-09-30T10:00:00+08:00", 3, "2026-10-10T23:59:59+08:00"},
		{"National Day 2026 then next week", "2026-09-30T10:00:00+08:00", 4, "2026-10-12T23:59:59+08:00"},
		{"from inside a holiday", "2026-10-03T10:00:00+08:00", 1, "2026-10-08T23:59:59+08:00"},
		{"2025 make-up Sunday before National Day", "2025-09-26T10:00:00+08:00", 1, "2025-09-28T23:59:59+08:00"},
		{"2025 National Day and Mid-Autumn skipped", "2025-09-30T10:00:00+08:00", 1, "2025-10-09T23:59:59+08:00"},
		{"2025 make-up Saturday 10-11", "2025-09-30T10:00:00+08:00", 3, "2025-10-11T23:59:59+08:00"},
		{"2025 Spring Festival make-up Sunday", "2025-01-24T10:00:00+08:00", 1, "2025-01-26T23:59:59+08:00"},
		{"2025 Spring Festival skipped", "2025-01-24T10:00:00+08:00", 3, "2025-02-05T23:59:59+08:00"},
		{"2025 into 2026: New Year then make-up Sunday", "2025-12-31T10:00:00+08:00", 1, "2026-01-04T23:59:59+08:00"},
		{"2025 into 2026, two days", "2025-12-31T10:00:00+08:00", 2, "2026-01-05T23:59:59+08:00"},
		{"2025 into 2026, a week", "2025-12-26T10:00:00+08:00", 5, "2026-01-05T23:59:59+08:00"},
		{"zero is the end of the same day", "2026-02-13T10:00:00+08:00", 0, "2026-02-13T23:59:59+08:00"},
		{"zero on a holiday", "2026-02-16T10:00:00+08:00", 0, "2026-02-16T23:59:59+08:00"},
	})
}

func TestAddWorkingHours(t *testing.T) {
	c := mustDefault(t)
	runAdd(t, c.AddWorkingHours, c.Location(), []addCase{
		// 1.5 h on Wed 09-30, National Day 10-01..10-07, then 3.5 h + 3 h on
		// Thu 10-08 (a working day: the holiday ends on 10-07).
		{"across National Day 2026", "2026-09-30T16:00:00+08:00", 8, "2026-10-08T17:00:00+08:00"},
		{"UTC input", "2026-09-30T08:00:00Z", 8, "2026-10-08T17:00:00+08:00"},
		{"within the afternoon", "2026-09-30T16:00:00+08:00", 1, "2026-09-30T17:00:00+08:00"},
		{"first half hour after the holiday", "2026-09-30T16:00:00+08:00", 2, "2026-10-08T09:00:00+08:00"},
		{"ends exactly at noon", "2026-09-30T16:00:00+08:00", 5, "2026-10-08T12:00:00+08:00"},
		{"skips lunch", "2026-09-30T16:00:00+08:00", 6, "2026-10-08T15:00:00+08:00"},
		{"two days after the holiday", "2026-09-30T16:00:00+08:00", 15, "2026-10-09T17:00:00+08:00"},
		{"into the make-up Saturday 10-10", "2026-09-30T16:00:00+08:00", 16, "2026-10-10T09:00:00+08:00"},
		{"2025 National Day and Mid-Autumn", "2025-09-30T16:00:00+08:00", 2, "2025-10-09T09:00:00+08:00"},
		{"from the end of the day", "2026-03-04T17:30:00+08:00", 1, "2026-03-05T09:30:00+08:00"},
		{"from noon", "2026-03-04T12:00:00+08:00", 1, "2026-03-04T15:00:00+08:00"},
		{"from lunch break", "2026-03-04T12:30:00+08:00", 1, "2026-03-04T15:00:00+08:00"},
		{"from before office hours", "2026-03-04T07:00:00+08:00", 1, "2026-03-04T09:30:00+08:00"},
		{"from the evening", "2026-03-04T21:00:00+08:00", 1, "2026-03-05T09:30:00+08:00"},
		{"a full day ends at 17:30, not next morning", "2026-03-04T08:30:00+08:00", 7, "2026-03-04T17:30:00+08:00"},
		{"odd minutes carried", "2026-03-04T11:45:00+08:00", 1, "2026-03-04T14:45:00+08:00"},
		{"make-up Saturday counted", "2026-02-13T16:00:00+08:00", 2, "2026-02-14T09:00:00+08:00"},
		{"make-up Saturday then Spring Festival", "2026-02-14T16:00:00+08:00", 2, "2026-02-24T09:00:00+08:00"},
		{"from a weekend", "2026-03-07T10:00:00+08:00", 1, "2026-03-09T09:30:00+08:00"},
		{"2025 into 2026, half hour each side", "2025-12-31T17:00:00+08:00", 1, "2026-01-04T09:00:00+08:00"},
		{"2025 into 2026 from closing time", "2025-12-31T17:30:00+08:00", 1, "2026-01-04T09:30:00+08:00"},
		{"2025 into 2026, make-up Sunday afternoon", "2025-12-31T16:00:00+08:00", 8, "2026-01-04T17:00:00+08:00"},
		{"zero returns from", "2026-03-07T10:00:00+08:00", 0, "2026-03-07T10:00:00+08:00"},
	})
}

func TestAddWorkingHoursCustomOfficeHours(t *testing.T) {
	years, err := EmbeddedYears()
	if err != nil {
		t.Fatal(err)
	}
	nineToFive, err := ParseOfficeHours("09:00-17:00")
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(years, nineToFive)
	if err != nil {
		t.Fatal(err)
	}
	runAdd(t, c.AddWorkingHours, c.Location(), []addCase{
		{"7 h Friday, 1 h make-up Saturday", "2026-02-13T10:00:00+08:00", 8, "2026-02-14T10:00:00+08:00"},
	})
	allDay, err := ParseOfficeHours("00:00-24:00")
	if err != nil {
		t.Fatal(err)
	}
	c, err = New(years, allDay)
	if err != nil {
		t.Fatal(err)
	}
	runAdd(t, c.AddWorkingHours, c.Location(), []addCase{
		{"through midnight into make-up Saturday", "2026-02-13T22:00:00+08:00", 4, "2026-02-14T02:00:00+08:00"},
		{"through midnight into the holiday", "2026-02-14T22:00:00+08:00", 4, "2026-02-24T02:00:00+08:00"},
	})
}

func TestAddNaturalDays(t *testing.T) {
	c := mustDefault(t)
	runAdd(t, c.AddNaturalDays, c.Location(), []addCase{
		{"holidays count", "2026-02-13T10:00:00+08:00", 5, "2026-02-18T23:59:59+08:00"},
		{"zero is end of the day", "2026-02-13T10:00:00+08:00", 0, "2026-02-13T23:59:59+08:00"},
		{"UTC evening is next China day", "2026-02-13T17:00:00Z", 1, "2026-02-15T23:59:59+08:00"},
		{"needs no data for 2027", "2026-12-30T10:00:00+08:00", 3, "2027-01-02T23:59:59+08:00"},
		{"needs no data at all", "2030-02-27T10:00:00+08:00", 2, "2030-03-01T23:59:59+08:00"},
		{"leap day", "2028-02-28T10:00:00+08:00", 1, "2028-02-29T23:59:59+08:00"},
	})
}

func TestAddUrgentHours(t *testing.T) {
	c := mustDefault(t)
	runAdd(t, c.AddUrgentHours, c.Location(), []addCase{
		{"through the night into a holiday", "2026-02-14T22:00:00+08:00", 4, "2026-02-15T02:00:00+08:00"},
		{"UTC input", "2026-02-14T14:00:00Z", 4, "2026-02-15T02:00:00+08:00"},
		{"needs no data", "2030-01-01T10:00:00+08:00", 48, "2030-01-03T10:00:00+08:00"},
		{"zero", "2026-02-14T22:00:00+08:00", 0, "2026-02-14T22:00:00+08:00"},
	})
}

func TestDeadline(t *testing.T) {
	c := mustDefault(t)
	from := "2026-02-13T10:00:00+08:00"
	tests := []struct {
		rule model.DeadlineRule
		want string
	}{
		{rule(model.DeadlineNaturalDays, 5), "2026-02-18T23:59:59+08:00"},
		{rule(model.DeadlineWorkingDays, 5), "2026-02-27T23:59:59+08:00"},
		{rule(model.DeadlineWorkingHours, 8), "2026-02-14T11:00:00+08:00"}, // 5.5 h Fri + 2.5 h make-up Sat
		{rule(model.DeadlineUrgentHours, 24), "2026-02-14T10:00:00+08:00"},
	}
	for _, tt := range tests {
		t.Run(string(tt.rule.Kind), func(t *testing.T) {
			got, err := c.Deadline(tt.rule, at(t, from))
			if err != nil {
				t.Fatal(err)
			}
			if want := at(t, tt.want); !got.Equal(want) {
				t.Errorf("Deadline(%+v) = %s, want %s", tt.rule, got.Format(time.RFC3339), tt.want)
			}
		})
	}
}

func TestDeadlineErrors(t *testing.T) {
	c := mustDefault(t)
	from := at(t, "2026-02-13T10:00:00+08:00")
	tests := []struct {
		name  string
		rule  model.DeadlineRule
		is    error
		field string
	}{
		{"unknown kind", rule("calendar_weeks", 1), ErrUnknownDeadlineKind, "kind"},
		{"empty kind", rule("", 1), ErrUnknownDeadlineKind, "kind"},
		{"zero amount", rule(model.DeadlineWorkingDays, 0), ErrInvalidAmount, "amount"},
		{"negative amount", rule(model.DeadlineUrgentHours, -3), ErrInvalidAmount, "amount"},
		{"too many days", rule(model.DeadlineNaturalDays, MaxDays+1), ErrInvalidAmount, "amount"},
		{"too many hours", rule(model.DeadlineUrgentHours, MaxHours+1), ErrInvalidAmount, "amount"},
		{"too many working hours", rule(model.DeadlineWorkingHours, MaxHours+1), ErrInvalidAmount, "amount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Deadline(tt.rule, from)
			if !errors.Is(err, tt.is) {
				t.Fatalf("err = %v, want %v", err, tt.is)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || fe.Message == "" || fe.MessageEn == "" {
				t.Fatalf("err = %#v, want a bilingual FieldError on %q", err, tt.field)
			}
		})
	}
	for name, f := range map[string]func(time.Time, int) (time.Time, error){
		"AddWorkingDays": c.AddWorkingDays, "AddWorkingHours": c.AddWorkingHours,
		"AddNaturalDays": c.AddNaturalDays, "AddUrgentHours": c.AddUrgentHours,
	} {
		if _, err := f(from, -1); !errors.Is(err, ErrInvalidAmount) {
			t.Errorf("%s(-1) err = %v, want ErrInvalidAmount", name, err)
		}
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := mustDefault(t)
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{"same instant", "2026-02-13T10:00:00+08:00", "2026-02-13T10:00:00+08:00", 0},
		{"same day", "2026-02-13T08:00:00+08:00", "2026-02-13T23:00:00+08:00", 0},
		{"Spring Festival example", "2026-02-13T10:00:00+08:00", "2026-02-27T23:59:59+08:00", 5},
		{"make-up day and first day after", "2026-02-13T10:00:00+08:00", "2026-02-24T09:00:00+08:00", 2},
		{"holiday only", "2026-02-14T10:00:00+08:00", "2026-02-23T10:00:00+08:00", 0},
		{"reversed is negative", "2026-02-27T10:00:00+08:00", "2026-02-13T10:00:00+08:00", -5},
		{"weekend only", "2026-03-06T10:00:00+08:00", "2026-03-08T10:00:00+08:00", 0},
		{"2025 into 2026", "2025-12-31T10:00:00+08:00", "2026-01-05T10:00:00+08:00", 2},
		{"all of 2026", "2025-12-31T10:00:00+08:00", "2026-12-31T10:00:00+08:00", 248},
		{"China day boundary in UTC", "2026-02-13T15:00:00Z", "2026-02-13T17:00:00Z", 1}, // 23:00 Fri -> 01:00 Sat (make-up)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.WorkingDaysBetween(at(t, tt.a), at(t, tt.b))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("WorkingDaysBetween(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// TestWorkingDaysProperties checks, for random instants in 2025–2026 and
// random n, that AddWorkingDays lands at 23:59:59 of a working day, that
// WorkingDaysBetween agrees (n, and n-1 one day earlier), and that the day
// count is additive.
func TestWorkingDaysProperties(t *testing.T) {
	c := mustDefault(t)
	rng := rand.New(rand.NewPCG(2026, 215))
	start := at(t, "2025-01-01T00:00:00+08:00")
	span := at(t, "2026-10-31T00:00:00+08:00").Sub(start) // room for 40 working days
	for i := 0; i < 3000; i++ {
		from := start.Add(time.Duration(rng.Int64N(int64(span))))
		n := rng.IntN(41)
		got, err := c.AddWorkingDays(from, n)
		if err != nil {
			t.Fatalf("AddWorkingDays(%s, %d): %v", from, n, err)
		}
		if h, m, s := got.Clock(); h != 23 || m != 59 || s != 59 || got.Nanosecond() != 0 {
			t.Fatalf("AddWorkingDays(%s, %d) = %s, not 23:59:59", from, n, got)
		}
		if n > 0 {
			if ok, err := c.IsWorkingDay(got); err != nil || !ok {
				t.Fatalf("AddWorkingDays(%s, %d) = %s, not a working day (%v)", from, n, got, err)
			}
			prev, err := c.WorkingDaysBetween(from, got.AddDate(0, 0, -1))
			if err != nil || prev != n-1 {
				t.Fatalf("WorkingDaysBetween(%s, day before %s) = %d, %v; want %d", from, got, prev, err, n-1)
			}
		}
		between, err := c.WorkingDaysBetween(from, got)
		if err != nil || between != n {
			t.Fatalf("WorkingDaysBetween(%s, %s) = %d, %v; want %d", from, got, between, err, n)
		}
		if back, err := c.WorkingDaysBetween(got, from); err != nil || back != -n {
			t.Fatalf("WorkingDaysBetween(%s, %s) = %d, %v; want %d", got, from, back, err, -n)
		}
		k := rng.IntN(n + 1)
		mid, err := c.AddWorkingDays(from, k)
		if err != nil {
			t.Fatal(err)
		}
		rest, err := c.AddWorkingDays(mid, n-k)
		if err != nil || !rest.Equal(got) {
			t.Fatalf("AddWorkingDays not additive: %s +%d +%d = %s, want %s (%v)", from, k, n-k, rest, got, err)
		}
	}
}

// TestWorkingHoursProperties: results lie inside (or at the end of) an
// office period of a working day, and counting is additive.
func TestWorkingHoursProperties(t *testing.T) {
	c := mustDefault(t)
	rng := rand.New(rand.NewPCG(930, 1008))
	start := at(t, "2025-01-01T00:00:00+08:00")
	span := at(t, "2026-10-31T00:00:00+08:00").Sub(start)
	for i := 0; i < 3000; i++ {
		from := start.Add(time.Duration(rng.Int64N(int64(span))).Truncate(time.Minute))
		n := 1 + rng.IntN(120)
		got, err := c.AddWorkingHours(from, n)
		if err != nil {
			t.Fatalf("AddWorkingHours(%s, %d): %v", from, n, err)
		}
		if !got.After(from) {
			t.Fatalf("AddWorkingHours(%s, %d) = %s, not after from", from, n, got)
		}
		if ok, err := c.IsWorkingDay(got); err != nil || !ok {
			t.Fatalf("AddWorkingHours(%s, %d) = %s, not a working day (%v)", from, n, got, err)
		}
		y, mo, d := got.Date()
		midnight := time.Date(y, mo, d, 0, 0, 0, 0, c.Location())
		inside := false
		for _, p := range c.OfficeHours().Periods() {
			if got.After(midnight.Add(p.Start)) && !got.After(midnight.Add(p.End)) {
				inside = true
			}
		}
		if !inside {
			t.Fatalf("AddWorkingHours(%s, %d) = %s, outside office hours", from, n, got)
		}
		k := rng.IntN(n + 1)
		mid, err := c.AddWorkingHours(from, k)
		if err != nil {
			t.Fatal(err)
		}
		rest, err := c.AddWorkingHours(mid, n-k)
		if err != nil || !rest.Equal(got) {
			t.Fatalf("AddWorkingHours not additive: %s +%d +%d = %s, want %s (%v)", from, k, n-k, rest, got, err)
		}
	}
}
