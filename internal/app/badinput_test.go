package app_test

import (
	"fmt"
	"maps"
	"strings"
	"testing"
)

// TestBadInputWritesNothing feeds the create and action endpoints bad input
// and checks each answer's status, error code and field, and that no row
// was written anywhere.
func TestBadInputWritesNothing(t *testing.T) {
	h := newHarness(t, t.TempDir())
	lat, lng, _ := demoPoint(t, h, 3)
	cat := pickCategory(t, h, true)
	var parent string
	for _, c := range categories(t, h) {
		if !c.Leaf {
			parent = c.Code
			break
		}
	}
	good := func(mod func(m map[string]any)) map[string]any {
		m := map[string]any{"category": cat.Code, "description": "路灯不亮", "lat": lat, "lng": lng, "reporter": map[string]any{"name": "王五", "phone": "13912345678"}}
		mod(m)
		return m
	}
	operator := h.login("operator1")
	r := h.do("POST", "/api/v1/cases", operator, good(func(map[string]any) {}))
	if r.status != 201 {
		t.Fatalf("good create: %d %s", r.status, r.raw)
	}
	id := num(r.body["id"])
	before := h.counts()

	cases := []struct {
		name   string
		path   string
		body   any
		status int
		code   string
		field  string
	}{
		{"lat 999", "/api/v1/cases", good(func(m map[string]any) { m["lat"] = 999 }), 422, "validation", "lat"},
		{"lng -181", "/api/v1/cases", good(func(m map[string]any) { m["lng"] = -181.5 }), 422, "validation", "lng"},
		{"missing lat", "/api/v1/cases", good(func(m map[string]any) { delete(m, "lat") }), 422, "validation", "lat"},
		{"lat as text", "/api/v1/cases", good(func(m map[string]any) { m["lat"] = "27.7" }), 400, "invalid_json", "lat"},
		{"unknown category", "/api/v1/cases", good(func(m map[string]any) { m["category"] = "9999" }), 422, "validation", "category"},
		{"category id unknown", "/api/v1/cases", good(func(m map[string]any) { m["category"] = 987654 }), 422, "validation", "category"},
		{"category not a leaf", "/api/v1/cases", good(func(m map[string]any) { m["category"] = parent }), 422, "validation", "category"},
		{"no category", "/api/v1/cases", good(func(m map[string]any) { delete(m, "category") }), 422, "validation", "category"},
		{"empty description", "/api/v1/cases", good(func(m map[string]any) { m["description"] = "   " }), 422, "validation", "description"},
		{"description too long", "/api/v1/cases", good(func(m map[string]any) { m["description"] = strings.Repeat("长", 4001) }), 422, "validation", "description"},
		{"bad phone", "/api/v1/cases", good(func(m map[string]any) { m["reporter"] = map[string]any{"phone": "12345"} }), 422, "validation", "reporter.phone"},
		{"unknown channel", "/api/v1/cases", good(func(m map[string]any) { m["channel"] = "pigeon" }), 422, "validation", "channel"},
		{"unknown coord", "/api/v1/cases", good(func(m map[string]any) { m["coord"] = "mars" }), 422, "validation", "coord"},
		{"unknown type", "/api/v1/cases", good(func(m map[string]any) { m["type"] = "nope" }), 422, "validation", "type"},
		{"unknown field", "/api/v1/cases", good(func(m map[string]any) { m["priority"] = 1 }), 400, "invalid_json", "priority"},
		{"not json", "/api/v1/cases", "{lat: 1", 400, "invalid_json", ""},
		{"trailing data", "/api/v1/cases", `{"description":"x"} {"description":"y"}`, 400, "invalid_json", ""},
		{"empty body", "/api/v1/cases", "", 400, "invalid_json", ""},
		{"oversized body", "/api/v1/cases", `{"description":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "body_too_large", ""},
		{"action: missing version", fmt.Sprintf("/api/v1/cases/%d/actions/accept", id), map[string]any{}, 422, "validation", "version"},
		{"action: stale version", fmt.Sprintf("/api/v1/cases/%d/actions/accept", id), map[string]any{"version": 7}, 409, "conflict", ""},
		{"action: unknown", fmt.Sprintf("/api/v1/cases/%d/actions/teleport", id), map[string]any{"version": 1}, 404, "unknown_action", ""},
		{"action: reject without reason", fmt.Sprintf("/api/v1/cases/%d/actions/reject", id), map[string]any{"version": 1}, 422, "validation", "note"},
		{"action: merge into itself", fmt.Sprintf("/api/v1/cases/%d/actions/merge", id), map[string]any{"version": 1, "master": id}, 422, "validation", "master"},
		{"action: merge into nothing", fmt.Sprintf("/api/v1/cases/%d/actions/merge", id), map[string]any{"version": 1, "master": 99999999}, 422, "validation", "master"},
		{"action: case id not a number", "/api/v1/cases/abc/actions/accept", map[string]any{"version": 1}, 404, "not_found", ""},
		{"action: no such case", "/api/v1/cases/99999999/actions/accept", map[string]any{"version": 1}, 404, "not_found", ""},
		{"action: bad version type", fmt.Sprintf("/api/v1/cases/%d/actions/accept", id), map[string]any{"version": "1"}, 400, "invalid_json", "version"},
		{"login: wrong password", "/api/v1/login", map[string]any{"username": "operator1", "password": "nope"}, 401, "login_failed", ""},
		{"login: unknown user", "/api/v1/login", map[string]any{"username": "nobody", "password": "yiwang-demo"}, 401, "login_failed", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do("POST", tc.path, operator, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			e, _ := r.body["error"].(map[string]any)
			if e == nil || e["code"] != tc.code || e["message"] == "" {
				t.Fatalf("error = %s, want code %s", r.raw, tc.code)
			}
			msg, _ := e["message"].(string)
			if !hasHan(msg) {
				t.Errorf("message %q is not in Chinese by default", msg)
			}
			if tc.field != "" {
				f, _ := e["fields"].(map[string]any)
				if fm, _ := f[tc.field].(string); fm == "" {
					t.Fatalf("no message for field %s: %s", tc.field, r.raw)
				}
			}
		})
	}
	if after := h.counts(); !maps.Equal(before, after) {
		t.Fatalf("bad input wrote rows: before %v after %v", before, after)
	}

	// English on request, for the message and the fields.
	r = h.do("POST", "/api/v1/cases", "", good(func(m map[string]any) { m["lat"] = 999 }), "Accept-Language", "en-US,en;q=0.9")
	e := r.body["error"].(map[string]any)
	if msg := e["fields"].(map[string]any)["lat"].(string); !strings.Contains(msg, "Latitude") || hasHan(e["message"].(string)) {
		t.Fatalf("English error: %s", r.raw)
	}
	// Without a token, staff endpoints say 401 in the same shape.
	r = h.do("GET", "/api/v1/cases", "", nil)
	if r.status != 401 || r.body["error"].(map[string]any)["code"] != "unauthorized" {
		t.Fatalf("unauthenticated list: %d %s", r.status, r.raw)
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}
