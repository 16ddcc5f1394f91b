package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
)

// TestOutboxOnlyWithASink: a single SQLite node with no event sink writes
// no outbox rows (nothing would deliver or prune them); with a webhook
// configured each new timeline entry goes through the outbox and out; rows
// left from a time with a sink are pruned after the retention week when
// the node starts without one.
func TestOutboxOnlyWithASink(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var got []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, string(b))
		mu.Unlock()
	}))
	defer hook.Close()
	dir := t.TempDir()
	// The single-node rule: on PostgreSQL another node may hold the sink,
	// so every node keeps the outbox (TestThreeNodesOnePostgres).
	sqliteOnly(t, dir)
	t0 := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	clock := t0
	open := func(webhook string) *harness {
		t.Helper()
		a, err := openApp(t, ctx, app.Config{DataDir: dir, Demo: true, DemoCases: 20, TimerTick: -1, PublicPerMinute: -1,
			WebhookURL: webhook, WebhookSecret: "s3cret", Now: func() time.Time { return clock }})
		if err != nil {
			t.Fatal(err)
		}
		return &harness{t: t, dir: dir, app: a, srv: newServer(a), publicRate: -1}
	}
	create := func(h *harness) {
		t.Helper()
		lat, lng := gridPoint(t, h, 3)
		cat := eventCategory(t, h)
		if r := h.do("POST", "/api/v1/cases", "", map[string]any{"category": cat, "description": "垃圾桶满溢", "lat": lat, "lng": lng}); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
	}

	// No sink: no rows.
	h := open("")
	create(h)
	if n := h.sqlCount(`SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Fatalf("%d outbox rows with no sink configured", n)
	}
	h.stop()

	// A webhook: the new case's entry is queued and delivered.
	h = open(hook.URL)
	create(h)
	if n := h.sqlCount(`SELECT COUNT(*) FROM outbox`); n != 1 {
		t.Fatalf("%d outbox rows with a webhook, want 1", n)
	}
	if n, err := h.app.Publisher.Flush(ctx); err != nil || n != 1 {
		t.Fatalf("flush delivered %d (%v)", n, err)
	}
	mu.Lock()
	if len(got) != 1 || !strings.Contains(got[0], `"action":"create"`) {
		t.Fatalf("webhook got %q", got)
	}
	mu.Unlock()
	h.stop()

	// Without the sink again: a day later the row stays, after the week it
	// is gone.
	clock = t0.Add(24 * time.Hour)
	h = open("")
	if n := h.sqlCount(`SELECT COUNT(*) FROM outbox`); n != 1 {
		t.Fatalf("a day later %d outbox rows, want 1", n)
	}
	h.stop()
	clock = t0.Add(8 * 24 * time.Hour)
	h = open("")
	defer h.stop()
	if n := h.sqlCount(`SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Fatalf("after the retention week %d outbox rows, want 0", n)
	}
}
