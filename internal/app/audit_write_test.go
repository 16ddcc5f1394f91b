package app_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// TestAuditEntryCommitsWithWrite: an acknowledged create's audit entry
// names the case it made and is the request's only entry (the middleware
// writes none of its own for it); a refused create is recorded by the
// middleware with its status; a reveal of a case the caller may not see is
// recorded as denied (the reveal's own entry; the middleware's is skipped
// for it); the chain verifies.
func TestAuditEntryCommitsWithWrite(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ctx := context.Background()
	op := h.login("operator1")
	h.app.Service.FlushAudit(ctx)
	seq0, _, err := h.app.Store.AuditHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := h.do("POST", "/api/v1/cases", op, map[string]any{"type": "hotline_order", "description": "审计测试：路灯不亮",
		"fields": map[string]any{"appeal_kind": "complaint"}, "lat": 27.7301, "lng": 111.9901, "reporter": map[string]any{"name": "欧阳", "phone": "13987654321"}})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	id := num(r.body["id"])
	bad := h.do("POST", "/api/v1/cases", op, map[string]any{"type": "hotline_order", "description": ""})
	if bad.status != 422 {
		t.Fatalf("empty create: %d %s", bad.status, bad.raw)
	}
	hidden := h.do("POST", "/api/v1/cases/987654321/reveal", op, map[string]any{"reason": "回访核实情况"})
	if hidden.status != 404 {
		t.Fatalf("reveal of a missing case: %d %s", hidden.status, hidden.raw)
	}
	h.app.Service.FlushAudit(ctx)
	entries, err := h.app.Store.AuditEntries(ctx, seq0, 100)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range entries {
		count[e.Action+" "+e.Target+" "+e.Result]++
		if e.Username != "operator1" {
			t.Errorf("entry by %q, want operator1: %+v", e.Username, e)
		}
	}
	want := map[string]int{
		fmt.Sprintf("POST /api/v1/cases case:%d ok", id): 1,
		"POST /api/v1/cases /api/v1/cases 422":           1,
		"reveal_reporter case:987654321 denied":          1,
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d entries %q, want %d; all: %v", count[k], k, n, count)
		}
	}
	if len(entries) != len(want) {
		t.Errorf("%d entries, want %d: %v", len(entries), len(want), count)
	}
	if n, err := audit.VerifyAll(ctx, h.app.Store); err != nil || n == 0 {
		t.Fatalf("verify: %d, %v", n, err)
	}
}

// TestAuditEntryCommitsWithEvents: a machine-event post's entry commits
// with its first written event, naming the event record, under the
// source's name; a post whose events all fail validation is recorded by
// the middleware with its status.
func TestAuditEntryCommitsWithEvents(t *testing.T) {
	h, key := intakeHarness(t, service.IntakeOptions{})
	ctx := context.Background()
	h.app.Service.FlushAudit(ctx)
	seq0, _, _ := h.app.Store.AuditHead(ctx)
	lat, lng := gridPoint(t, h, 0)
	r := h.do("POST", "/api/v1/events", key, map[string]any{"device_id": "cam-audit", "event_type": "occupy_road", "confidence": 0.95,
		"lat": lat, "lng": lng, "event_id": "audit-1"})
	if r.status != 201 && r.status != 200 {
		t.Fatalf("event: %d %s", r.status, r.raw)
	}
	rec := num(r.body["machine_event_id"])
	bad := h.do("POST", "/api/v1/events", key, map[string]any{"device_id": "cam-audit", "event_type": "occupy_road", "confidence": 3})
	if bad.status < 400 {
		t.Fatalf("invalid event: %d %s", bad.status, bad.raw)
	}
	h.app.Service.FlushAudit(ctx)
	entries, err := h.app.Store.AuditEntries(ctx, seq0, 100)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range entries {
		if e.Action == "POST /api/v1/events" {
			got[e.Target+" "+e.Result+" "+e.Username]++
		}
	}
	want := map[string]int{
		fmt.Sprintf("machine_event:%d ok eventsource:xueliang", rec):      1,
		fmt.Sprintf("/api/v1/events %d eventsource:xueliang", bad.status): 1,
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%d entries %q, want %d; all: %v", got[k], k, n, got)
		}
	}
}
