package app_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
)

// TestCalendarAPI previews deadline rules over HTTP, loads a year an
// administrator publishes and checks it survives a restart.
func TestCalendarAPI(t *testing.T) {
	w := newWFHarness(t, wfMonday, -1)
	deadline := func(q string) resp {
		t.Helper()
		return w.do("GET", "/api/v1/calendar/deadline?"+q, "", nil)
	}
	due := func(q, want string) {
		t.Helper()
		r := deadline(q)
		if r.status != 200 || r.body["due"] != want {
			t.Fatalf("%s: %d %s, want due %s", q, r.status, r.raw, want)
		}
	}
	from := func(s string) string { return "from=" + url.QueryEscape(s) }

	// Friday before the Spring Festival: 02-14 (Saturday) is a make-up
	// working day, 02-15..02-23 are off: 14, 24, 25, 26, 27.
	due(from("2026-02-13T10:00:00+08:00")+"&working_days=5", "2026-02-27T23:59:59+08:00")
	// The same instant written in UTC gives the same answer, in +08:00.
	due(from("2026-02-13T02:00:00Z")+"&working_days=5", "2026-02-27T23:59:59+08:00")
	// 8 working hours from 16:00 on 30 September 2026: 1.5 h that day,
	// National Day 10-01..10-07, then 3.5 h + 3 h on 10-08.
	due(from("2026-09-30T16:00:00+08:00")+"&working_hours=8", "2026-10-08T17:00:00+08:00")
	// Outside office hours the count starts at the next period.
	due(from("2026-09-30T18:30:00+08:00")+"&working_hours=1", "2026-10-08T09:30:00+08:00")
	due(from("2026-09-30T16:00:00+08:00")+"&natural_days=3", "2026-10-03T23:59:59+08:00")
	due(from("2026-09-30T16:00:00+08:00")+"&urgent_hours=2", "2026-09-30T18:00:00+08:00")

	// A year without data is an explicit error naming the year, never a guess.
	r := deadline(from("2027-03-01T10:00:00+08:00") + "&working_days=3")
	if r.status != 422 || wfErrCode(r) != "no_calendar_data" || !strings.Contains(string(r.raw), "2027") {
		t.Fatalf("2027: %d %s", r.status, r.raw)
	}
	r = w.do("GET", "/api/v1/calendar/deadline?"+from("2026-12-28T10:00:00+08:00")+"&working_days=5", "", nil, "Accept-Language", "en")
	if r.status != 422 || !strings.Contains(r.body["error"].(map[string]any)["message"].(string), "no working calendar") {
		t.Fatalf("crossing into 2027, English: %d %s", r.status, r.raw)
	}
	// Natural days need no calendar.
	due(from("2026-12-30T10:00:00+08:00")+"&natural_days=5", "2027-01-04T23:59:59+08:00")

	// Malformed requests: 400 with the field named.
	for _, c := range []struct{ q, field string }{
		{"working_days=5", "from"},
		{from("2026-02-13 10:00") + "&working_days=5", "from"},
		{from("2026-02-13T10:00:00+08:00"), "working_days"},
		{from("2026-02-13T10:00:00+08:00") + "&working_days=5&working_hours=3", "working_hours"},
		{from("2026-02-13T10:00:00+08:00") + "&working_days=-1", "working_days"},
		{from("2026-02-13T10:00:00+08:00") + "&working_days=x", "working_days"},
	} {
		r := deadline(c.q)
		if r.status != 400 || wfFieldErr(r, c.field) == "" {
			t.Errorf("%s: %d %s, want 400 on %s", c.q, r.status, r.raw, c.field)
		}
	}

	// Loading a year: administrators only, validated, then live at once.
	year2027 := `{"year": 2027,
	  "holidays": [{"name": "元旦", "name_en": "New Year's Day", "from": "2027-01-01", "to": "2027-01-03"},
	               {"name": "春节", "name_en": "Spring Festival", "from": "2027-02-05", "to": "2027-02-13"}],
	  "workdays": ["2027-02-14"]}`
	if r := w.do("POST", "/api/v1/admin/calendar/years", "", year2027); r.status != 401 {
		t.Fatalf("anonymous load: %d", r.status)
	}
	if r := w.do("POST", "/api/v1/admin/calendar/years", w.tok("supervisor"), year2027); r.status != 403 {
		t.Fatalf("supervisor load: %d", r.status)
	}
	bad := strings.Replace(year2027, `"2027-02-14"`, `"2027-02-15"`, 1) // a Monday is no make-up day
	r = w.do("POST", "/api/v1/admin/calendar/years", w.tok("admin"), bad)
	if r.status != 400 || wfFieldErr(r, "workdays[0]") == "" {
		t.Fatalf("bad year: %d %s", r.status, r.raw)
	}
	r = w.do("POST", "/api/v1/admin/calendar/years", w.tok("admin"), year2027)
	if r.status != 201 || num(r.body["year"]) != 2027 {
		t.Fatalf("load 2027: %d %s", r.status, r.raw)
	}
	due(from("2027-03-01T10:00:00+08:00")+"&working_days=3", "2027-03-04T23:59:59+08:00")
	// 2026-12-31 (Thu) +2: 01-01..01-03 off, so 01-04 and 01-05.
	due(from("2026-12-31T10:00:00+08:00")+"&working_days=2", "2027-01-05T23:59:59+08:00")

	// The stored year is applied again at start-up.
	w.reboot()
	due(from("2027-02-04T10:00:00+08:00")+"&working_days=2", "2027-02-15T23:59:59+08:00")
	r = w.do("GET", "/api/v1/calendar/years", "", nil)
	if ys, _ := r.body["years"].([]any); len(ys) != 3 || r.body["office_hours"] != "08:30-12:00,14:00-17:30" {
		t.Fatalf("years after restart: %s", r.raw)
	}

	// A case dispatched in 2027 now gets its deadline from the loaded year.
	w.clock.Set(time.Date(2027, 2, 4, 10, 0, 0, 0, calendar.Beijing()))
	lat, lng, _ := demoPoint(t, w.harness, 3)
	r = w.do("POST", "/api/v1/cases", "", map[string]any{"category": "0105", "description": "路灯损坏", "lat": lat, "lng": lng})
	id := num(r.body["id"])
	w.act("operator1", id, "accept", map[string]any{"version": 1})
	r = w.act("dispatcher", id, "dispatch", map[string]any{"version": 2})
	// 3 working days from Thursday 4 February 2027: the festival (5..13
	// off), then 14 (a make-up Sunday), 15, 16.
	if r.status != 200 || r.body["due_at"] != "2027-02-16T23:59:59+08:00" {
		t.Fatalf("dispatch in 2027: %d due %v", r.status, r.body["due_at"])
	}
}
