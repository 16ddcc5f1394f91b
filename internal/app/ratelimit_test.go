package app_test

import (
	"testing"
)

// TestPublicRateLimit: anonymous reports from one address beyond the limit
// get 429 with Retry-After; staff with a token are not limited by it.
func TestPublicRateLimit(t *testing.T) {
	h := &harness{t: t, dir: t.TempDir(), publicRate: 6} // burst of 3
	h.start()
	t.Cleanup(h.stop)
	lat, lng, _ := demoPoint(t, h, 2)
	body := map[string]any{"category": pickCategory(t, h, true).Code, "description": "限流测试", "lat": lat, "lng": lng}
	var limited resp
	created := 0
	for range 6 {
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
	if created != 3 || limited.status != 429 || limited.header.Get("Retry-After") == "" || limited.body["error"].(map[string]any)["code"] != "rate_limited" {
		t.Fatalf("created %d; limited answer %d %s", created, limited.status, limited.raw)
	}
	op := h.login("operator1")
	for range 5 {
		if r := h.do("POST", "/api/v1/cases", op, body); r.status != 201 {
			t.Fatalf("staff create limited: %d %s", r.status, r.raw)
		}
	}
}
