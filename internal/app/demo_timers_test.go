package app_test

import (
	"context"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// TestDemoHistoryTimers: the demo's open cases keep their running clocks'
// timers, so that once the timer loop runs the past-due ones turn red and
// get their automatic 督办单, and the clocks still running have timers
// waiting. (An imported ledger's open items go through the same
// store.ImportCases path.)
func TestDemoHistoryTimers(t *testing.T) {
	ctx := context.Background()
	a, err := openApp(t, ctx, app.Config{DataDir: t.TempDir(), Demo: true, DemoCases: 2400, TimerTick: -1, PublicPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	now := a.Service.Now()
	var cases []model.Case
	for after := int64(0); ; {
		page, err := a.Store.ListCases(ctx, model.CaseFilter{Limit: 1000, AfterID: after})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		cases, after = append(cases, page...), page[len(page)-1].ID
	}
	if len(cases) < 2400 {
		t.Fatalf("read %d demo cases", len(cases))
	}
	running, overdue := 0, map[int64]bool{}
	for _, c := range cases {
		want := a.Service.RunningTimers(c)
		have, err := a.Store.CaseTimers(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(have) != len(want) {
			t.Fatalf("case %d (%s) has %d timers, its clocks want %d", c.ID, c.Status, len(have), len(want))
		}
		if len(want) > 0 {
			running++
		}
		for _, w := range want {
			if w.Kind == store.TimerDue && w.FireAt.Before(now) {
				overdue[c.ID] = true
			}
		}
	}
	if running == 0 || len(overdue) == 0 {
		t.Fatalf("the demo history has %d cases with running clocks, %d overdue: nothing to show", running, len(overdue))
	}
	if _, err := a.Service.FireDueTimers(ctx); err != nil {
		t.Fatal(err)
	}
	for id := range overdue {
		c, err := a.Store.Case(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := a.Store.ListSupervisions(ctx, store.SupervisionFilter{CaseID: id})
		if err != nil {
			t.Fatal(err)
		}
		if c.Alert != model.AlertRed || len(docs) != 1 || !docs[0].Auto {
			t.Fatalf("overdue demo case %d: alert %q, %d supervision documents", id, c.Alert, len(docs))
		}
	}
	// Firing again sets off nothing more.
	if n, err := a.Service.FireDueTimers(ctx); err != nil || n != 0 {
		t.Fatalf("a second round fired %d (%v)", n, err)
	}
	t.Logf("%d demo cases with running clocks, %d overdue", running, len(overdue))
}
