package calendar

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	c := mustDefault(t)
	if got := c.Years(); !slices.Equal(got, []int{2025, 2026}) {
		t.Fatalf("Years() = %v, want [2025 2026]", got)
	}
	if got := c.OfficeHours().String(); got != "08:30-12:00,14:00-17:30" {
		t.Errorf("OfficeHours = %q", got)
	}
	if _, offset := time.Date(2026, 7, 1, 0, 0, 0, 0, c.Location()).Zone(); offset != 8*3600 {
		t.Errorf("zone offset %d, want +8h", offset)
	}
}

// Independent oracle: the State Council notices as literal lists, counted
// without the package's own holiday logic.
var (
	oracleOff = map[string]bool{}
	oracleOn  = map[string]bool{
		"2025-01-26": true, "2025-02-08": true, "2025-04-27": true, "2025-09-28": true, "2025-10-11": true,
		"2026-01-04": true, "2026-02-14": true, "2026-02-28": true, "2026-05-09": true, "2026-09-20": true, "2026-10-10": true,
	}
)

func init() {
	ranges := [][2]string{
		{"2025-01-01", "2025-01-01"}, {"2025-01-28", "2025-02-04"}, {"2025-04-04", "2025-04-06"},
		{"2025-05-01", "2025-05-05"}, {"2025-05-31", "2025-06-02"}, {"2025-10-01", "2025-10-08"},
		{"2026-01-01", "2026-01-03"}, {"2026-02-15", "2026-02-23"}, {"2026-04-04", "2026-04-06"},
		{"2026-05-01", "2026-05-05"}, {"2026-06-19", "2026-06-21"}, {"2026-09-25", "2026-09-27"},
		{"2026-10-01", "2026-10-07"},
	}
	for _, r := range ranges {
		from, _ := time.Parse(time.DateOnly, r[0])
		to, _ := time.Parse(time.DateOnly, r[1])
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			oracleOff[d.Format(time.DateOnly)] = true
		}
	}
}

func TestIsWorkingDayMatchesNotices(t *testing.T) {
	c := mustDefault(t)
	for _, year := range []int{2025, 2026} {
		count := 0
		for d := time.Date(year, 1, 1, 12, 0, 0, 0, c.Location()); d.Year() == year; d = d.AddDate(0, 0, 1) {
			key := d.Format(time.DateOnly)
			want := d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
			if oracleOff[key] {
				want = false
			}
			if oracleOn[key] {
				want = true
			}
			got, err := c.IsWorkingDay(d)
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			if got != want {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", key, got, want)
			}
			if got {
				count++
			}
		}
		// 365 days - 104 weekend days - 13 statutory holidays (since 2025).
		if count != 248 {
			t.Errorf("%d has %d working days, want 248", year, count)
		}
	}
}

func TestIsWorkingDay(t *testing.T) {
	c := mustDefault(t)
	tests := []struct {
		name string
		t    string
		want bool
	}{
		{"ordinary weekday", "2026-03-04T10:00:00+08:00", true},
		{"ordinary Saturday", "2026-03-07T10:00:00+08:00", false},
		{"ordinary Sunday", "2026-03-08T10:00:00+08:00", false},
		{"make-up Saturday before Spring Festival", "2026-02-14T10:00:00+08:00", true},
		{"make-up Sunday after New Year 2026", "2026-01-04T10:00:00+08:00", true},
		{"make-up Sunday 2025", "2025-01-26T10:00:00+08:00", true},
		{"make-up Saturday after National Day", "2026-10-10T10:00:00+08:00", true},
		{"Spring Festival weekday", "2026-02-16T10:00:00+08:00", false},
		{"National Day 2026 last day", "2026-10-07T10:00:00+08:00", false},
		{"day after National Day 2026", "2026-10-08T10:00:00+08:00", true},
		{"National Day 2025 last day (with Mid-Autumn)", "2025-10-08T10:00:00+08:00", false},
		{"New Year's Day 2025", "2025-01-01T10:00:00+08:00", false},
		// 2026-02-14 16:30 UTC is already 2-15 00:30 in China: holiday.
		{"UTC input uses the China day", "2026-02-14T16:30:00Z", false},
		// 2026-02-13 15:59 UTC is 2-13 23:59 in China: Friday.
		{"UTC late evening still Friday in China", "2026-02-13T15:59:00Z", true},
		{"midnight boundary, New York", "2026-02-14T11:00:00-05:00", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.IsWorkingDay(at(t, tt.t))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("IsWorkingDay(%s) = %v, want %v", tt.t, got, tt.want)
			}
		})
	}
}

func TestNoCalendarData(t *testing.T) {
	c := mustDefault(t)
	check := func(t *testing.T, err error, year int) {
		t.Helper()
		if !errors.Is(err, ErrNoCalendarData) {
			t.Fatalf("err = %v, want ErrNoCalendarData", err)
		}
		var nd *NoDataError
		if !errors.As(err, &nd) || nd.Year != year {
			t.Fatalf("err = %#v, want *NoDataError{Year: %d}", err, year)
		}
		zh, en := nd.Localized()
		want := fmt.Sprint(year)
		if !strings.Contains(zh, want) || !strings.Contains(en, want) || !strings.Contains(err.Error(), want) {
			t.Errorf("messages do not name the year %d: %q / %q", year, zh, en)
		}
	}
	t.Run("IsWorkingDay 2027", func(t *testing.T) {
		_, err := c.IsWorkingDay(at(t, "2027-01-04T10:00:00+08:00"))
		check(t, err, 2027)
	})
	t.Run("IsWorkingDay 2024", func(t *testing.T) {
		_, err := c.IsWorkingDay(at(t, "2024-12-31T10:00:00+08:00"))
		check(t, err, 2024)
	})
	t.Run("UTC instant that is already 2027 in China", func(t *testing.T) {
		_, err := c.IsWorkingDay(at(t, "2026-12-31T17:00:00Z"))
		check(t, err, 2027)
	})
	t.Run("AddWorkingDays runs into 2027", func(t *testing.T) {
		_, err := c.AddWorkingDays(at(t, "2026-12-28T10:00:00+08:00"), 5)
		check(t, err, 2027)
	})
	t.Run("AddWorkingHours runs into 2027", func(t *testing.T) {
		_, err := c.AddWorkingHours(at(t, "2026-12-31T16:00:00+08:00"), 8)
		check(t, err, 2027)
	})
	t.Run("AddWorkingHours from 2024", func(t *testing.T) {
		_, err := c.AddWorkingHours(at(t, "2024-12-31T16:00:00+08:00"), 1)
		check(t, err, 2024)
	})
	t.Run("WorkingDaysBetween into 2027", func(t *testing.T) {
		_, err := c.WorkingDaysBetween(at(t, "2026-12-20T10:00:00+08:00"), at(t, "2027-01-10T10:00:00+08:00"))
		check(t, err, 2027)
	})
	t.Run("Deadline working_days into 2027", func(t *testing.T) {
		_, err := c.Deadline(rule("working_days", 3), at(t, "2026-12-30T10:00:00+08:00"))
		check(t, err, 2027)
	})
	t.Run("huge amount stops at missing data", func(t *testing.T) {
		_, err := c.AddWorkingDays(at(t, "2026-12-30T10:00:00+08:00"), MaxDays)
		check(t, err, 2027)
	})
}

func TestIsWorkingDateInvalid(t *testing.T) {
	c := mustDefault(t)
	for _, d := range []Date{{2026, 2, 30}, {}, {10000, 1, 1}} {
		if _, err := c.IsWorkingDate(d); !errors.Is(err, ErrInvalidDate) {
			t.Errorf("IsWorkingDate(%v) err = %v, want ErrInvalidDate", d, err)
		}
	}
}

func TestAddWorkingDaysFromPreviousYearWithoutData(t *testing.T) {
	// From's own day never counts, so its year needs no data.
	c := mustDefault(t)
	got, err := c.AddWorkingDays(at(t, "2024-12-31T10:00:00+08:00"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := at(t, "2025-01-02T23:59:59+08:00"); !got.Equal(want) {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestNew(t *testing.T) {
	y2026 := mustParseYear(t, `{"year":2026}`)
	t.Run("duplicate year", func(t *testing.T) {
		_, err := New([]Year{y2026, y2026}, DefaultOfficeHours())
		if !errors.Is(err, ErrInvalidCalendar) {
			t.Fatalf("err = %v, want ErrInvalidCalendar", err)
		}
	})
	t.Run("zero office hours", func(t *testing.T) {
		_, err := New([]Year{y2026}, OfficeHours{})
		if !errors.Is(err, ErrInvalidCalendar) {
			t.Fatalf("err = %v, want ErrInvalidCalendar", err)
		}
	})
	t.Run("invalid year built in code", func(t *testing.T) {
		bad := Year{Year: 2026, Workdays: []Date{{2026, 3, 4}}} // a Wednesday
		_, err := New([]Year{bad}, DefaultOfficeHours())
		if !errors.Is(err, ErrInvalidYear) {
			t.Fatalf("err = %v, want ErrInvalidYear", err)
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != "workdays[0]" {
			t.Fatalf("err = %v, want a FieldError on workdays[0]", err)
		}
	})
	t.Run("no years", func(t *testing.T) {
		c, err := New(nil, DefaultOfficeHours())
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Years()) != 0 {
			t.Fatal("expected no years")
		}
		if _, err := c.IsWorkingDay(time.Now()); !errors.Is(err, ErrNoCalendarData) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("input slices are copied", func(t *testing.T) {
		y := mustParseYear(t, `{"year":2026,"holidays":[{"name":"春节","from":"2026-02-15","to":"2026-02-23"}],"workdays":["2026-02-14"]}`)
		c, err := New([]Year{y}, DefaultOfficeHours())
		if err != nil {
			t.Fatal(err)
		}
		y.Holidays[0].Name = "changed"
		y.Workdays[0] = Date{2026, 2, 21}
		got, _ := c.Year(2026)
		if got.Holidays[0].Name != "春节" || got.Workdays[0] != (Date{2026, 2, 14}) {
			t.Fatalf("calendar shares memory with its input: %+v", got)
		}
		got.Holidays[0].Name = "changed again"
		again, _ := c.Year(2026)
		if again.Holidays[0].Name != "春节" {
			t.Fatal("Year() returns shared memory")
		}
		ok, _ := c.IsWorkingDate(Date{2026, 2, 14})
		if !ok {
			t.Fatal("2026-02-14 should stay a make-up workday")
		}
	})
}

func TestWithYear(t *testing.T) {
	c := mustDefault(t)
	y2027 := mustParseYear(t, year2027)
	c2, err := c.WithYear(y2027)
	if err != nil {
		t.Fatal(err)
	}
	if got := c2.Years(); !slices.Equal(got, []int{2025, 2026, 2027}) {
		t.Fatalf("Years() = %v", got)
	}
	if got := c.Years(); !slices.Equal(got, []int{2025, 2026}) {
		t.Fatalf("original calendar changed: %v", got)
	}
	// 2026-12-31 Thu +1 working day: 2027-01-01..03 off, Mon 01-04.
	got, err := c2.AddWorkingDays(at(t, "2026-12-31T10:00:00+08:00"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := at(t, "2027-01-04T23:59:59+08:00"); !got.Equal(want) {
		t.Errorf("got %s, want %s", got, want)
	}
	if _, err := c.AddWorkingDays(at(t, "2026-12-31T10:00:00+08:00"), 1); !errors.Is(err, ErrNoCalendarData) {
		t.Errorf("original calendar should still lack 2027: %v", err)
	}

	// Replace 2026 with a version without the Spring Festival make-up day.
	y2026, _ := c.Year(2026)
	y2026.Workdays = slices.DeleteFunc(y2026.Workdays, func(d Date) bool { return d == Date{2026, 2, 14} })
	c3, err := c.WithYear(y2026)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := c3.IsWorkingDate(Date{2026, 2, 14}); ok {
		t.Error("replaced 2026 should not have 2026-02-14 as a workday")
	}
	if ok, _ := c.IsWorkingDate(Date{2026, 2, 14}); !ok {
		t.Error("original calendar changed by WithYear")
	}
	if got := c3.Years(); !slices.Equal(got, []int{2025, 2026}) {
		t.Errorf("Years() after replace = %v", got)
	}

	if _, err := c.WithYear(Year{Year: 2027, Workdays: []Date{{2026, 1, 4}}}); !errors.Is(err, ErrInvalidYear) {
		t.Errorf("WithYear(invalid) err = %v, want ErrInvalidYear", err)
	}
}

func TestEmbeddedYearsRoundTrip(t *testing.T) {
	years, err := EmbeddedYears()
	if err != nil {
		t.Fatal(err)
	}
	for _, y := range years {
		data, err := json.Marshal(y)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseYear(data)
		if err != nil {
			t.Fatalf("%d: re-parse of marshalled year: %v\n%s", y.Year, err, data)
		}
		if !reflect.DeepEqual(back, y) {
			t.Errorf("%d: round trip changed the year:\n%+v\n%+v", y.Year, y, back)
		}
	}
}

// TestConcurrentUse is meaningful under -race.
func TestConcurrentUse(t *testing.T) {
	c := mustDefault(t)
	y2027 := mustParseYear(t, year2027)
	from := at(t, "2026-02-13T10:00:00+08:00")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 50 {
				if _, err := c.AddWorkingDays(from, 1+(i+j)%20); err != nil {
					t.Error(err)
				}
				if _, err := c.AddWorkingHours(from, 1+(i+j)%30); err != nil {
					t.Error(err)
				}
				if _, err := c.WorkingDaysBetween(from, from.AddDate(0, 1, 0)); err != nil {
					t.Error(err)
				}
				if _, err := c.WithYear(y2027); err != nil {
					t.Error(err)
				}
				_ = c.Years()
				_, _ = c.Year(2026)
			}
		})
	}
	wg.Wait()
}
