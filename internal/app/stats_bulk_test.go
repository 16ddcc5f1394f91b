package app_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// TestBulkDemoFacts loads a demo history through the bulk path (which
// writes each case's facts and the aggregates with the cases) and checks
// that recomputing every fact from the stored cases and timelines changes
// no figure, for the whole history and by type, street and month.
func TestBulkDemoFacts(t *testing.T) {
	t.Setenv("YIWANG_DEMO_BULK_MIN", "100")
	now := time.Date(2025, 12, 1, 10, 0, 0, 0, calendar.Beijing())
	a, err := openApp(t, context.Background(), app.Config{DataDir: t.TempDir(), Demo: true, DemoCases: 1500, Now: func() time.Time { return now }, TimerTick: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	if _, n, _ := a.Store.StatsDirtyCases(ctx, 1); n != 0 {
		t.Fatalf("%d cases marked after the bulk load: their facts should have been written with them", n)
	}
	var leader model.User
	users, _ := a.Store.ListUsers(ctx)
	for _, u := range users {
		if u.Role == model.RoleLeader {
			leader = u
		}
	}
	p := service.StatsParams{From: time.Date(2025, 1, 1, 0, 0, 0, 0, calendar.Beijing()), To: now, Engine: store.EngineAggregates}
	snapshot := func() string {
		var out []any
		sum, err := a.Service.StatsSummary(ctx, leader, p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sum.Measures)
		for _, by := range []string{"type", "street", "month", "unit"} {
			b, err := a.Service.StatsBreakdown(ctx, leader, p, by)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b.Rows)
		}
		js, _ := json.Marshal(out)
		return string(js)
	}
	before := snapshot()
	sum, _ := a.Service.StatsSummary(ctx, leader, p)
	if sum.Received != 1500 || sum.Rectification.ProblemsRectified == 0 || sum.Referrals.Up+sum.Referrals.Down == 0 || sum.Closed == 0 {
		t.Errorf("the bulk demo lacks variety: %+v", sum.Measures)
	}
	if err := a.Store.StatsMarkAll(ctx); err != nil {
		t.Fatal(err)
	}
	if pending, err := a.Service.StatsRefresh(ctx, 0); err != nil || pending != 0 {
		t.Fatalf("refresh: %d %v", pending, err)
	}
	if after := snapshot(); after != before {
		t.Errorf("recomputed facts differ from the bulk-written ones:\nbefore %.2000s\nafter  %.2000s", before, after)
	}
}
