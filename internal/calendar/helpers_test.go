package calendar

import (
	"testing"
	"time"
)

func mustDefault(t testing.TB) *Calendar {
	t.Helper()
	c, err := Default()
	if err != nil {
		t.Fatalf("Default: %v", err)
	}
	return c
}

// at parses an RFC 3339 time; tests spell out the zone.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("bad test time %q: %v", s, err)
	}
	return v
}

func mustParseYear(t testing.TB, s string) Year {
	t.Helper()
	y, err := ParseYear([]byte(s))
	if err != nil {
		t.Fatalf("ParseYear: %v", err)
	}
	return y
}

// year2027 is a made-up 2027 calendar for tests only (not the real notice).
const year2027 = `{"year":2027,"holidays":[{"name":"元旦","name_en":"New Year's Day","from":"2027-01-01","to":"2027-01-03"}],"workdays":[]}`
