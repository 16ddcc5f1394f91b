package app_test

import (
	"testing"
)

// TestPublicRateLimit: anonymous reports from one address beyond the limit
// get 429 with Retry-After; staff with a token are not limited by it.
func TestPublicRateLimit(t *testing.T) {
	// On SQLite a token bucket per node: a burst of 3. On PostgreSQL the
	// nodes share a count per clock minute in the database: 6, on a clock
	// standing still so that the minute cannot turn during the test.
	h, _ := clockHarness(t, 6)
	allowed := 3
	if onPostgres() {
		allowed = 6
	}
	lat, lng, _ := demoPoint(t, h, 2)
	body := map[string]any{"category": pickCategory(t, h, true).Code, "description": "限流测试", "lat": lat, "lng": lng}
	var limited resp
	created := 0
	for range allowed + 3 {
		r := h.do("POST", "/api/v1/cases", "", body)
		switch r.status {
		case 201:
			created++
		case 429:
			limited = r
		default:
			t.Fatalf("unexpected %d %s", r.status, r.raw)
		}
	}
	if created != allowed || limited.status != 429 || limited.header.Get("Retry-After") == "" || limited.body["error"].(map[string]any)["code"] != "rate_limited" {
		t.Fatalf("created %d; limited answer %d %s", created, limited.status, limited.raw)
	}
	op := h.login("operator1")
	for range 5 {
		if r := h.do("POST", "/api/v1/cases", op, body); r.status != 201 {
			t.Fatalf("staff create limited: %d %s", r.status, r.raw)
		}
	}
}
