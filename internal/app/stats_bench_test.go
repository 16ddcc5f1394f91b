package app_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/stats"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// BenchmarkStats measures the summary (with its year-on-year and
// month-on-month ranges) and the rankings of units and streets through each
// engine — the per-case facts through their indexes, and the daily and
// monthly aggregates — over a whole store and over one month. The store is
// the data dir YIWANG_BENCH_DATA made by `yiwang demo --cases 1000000`, or
// a fresh one of YIWANG_BENCH_CASES cases (default 30000, so `make bench`
// stays short). Each sub-benchmark reports its median and 95th percentile
// in milliseconds.
//
//	yiwang demo --data /tmp/yw1m --cases 1000000
//	YIWANG_BENCH_DATA=/tmp/yw1m go test -run '^$' -bench BenchmarkStats -benchtime 20x ./internal/app/
func BenchmarkStats(b *testing.B) {
	ctx := context.Background()
	dir := os.Getenv("YIWANG_BENCH_DATA")
	cfg := app.Config{DataDir: dir, TimerTick: -1}
	if dir == "" {
		n := 30000
		if v, err := strconv.Atoi(os.Getenv("YIWANG_BENCH_CASES")); err == nil && v > 0 {
			n = v
		}
		cfg = app.Config{DataDir: b.TempDir(), Demo: true, DemoCases: n, SQLiteSync: "NORMAL", TimerTick: -1}
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	svc := a.Service
	start := time.Now()
	pending, err := svc.StatsRefresh(ctx, 0)
	if err != nil || pending != 0 {
		b.Fatalf("refresh: %d pending, %v", pending, err)
	}
	total, _ := a.Store.CountCases(ctx, model.CaseFilter{})
	b.Logf("%d cases; facts brought up to date in %s", total, time.Since(start).Round(time.Millisecond))
	users, _ := a.Store.ListUsers(ctx)
	var leader model.User
	for _, u := range users {
		if u.Role == model.RoleLeader {
			leader = u
		}
	}
	now := time.Now().In(calendar.Beijing())
	ranges := map[string][2]time.Time{
		"all":   {time.Date(2025, 1, 1, 0, 0, 0, 0, calendar.Beijing()), now},
		"month": {time.Date(2025, 10, 1, 0, 0, 0, 0, calendar.Beijing()), time.Date(2025, 11, 1, 0, 0, 0, 0, calendar.Beijing())},
	}
	for _, rn := range []string{"all", "month"} {
		rg := ranges[rn]
		for _, eng := range []store.StatsEngine{store.EngineAggregates, store.EngineFacts} {
			p := service.StatsParams{From: rg[0], To: rg[1], Engine: eng}
			cases := []struct {
				name string
				fn   func() error
			}{
				{"summary", func() error { _, err := svc.StatsSummary(ctx, leader, p); return err }},
				{"counts", func() error {
					_, err := a.Store.StatsCounts(ctx, store.StatsQuery{Range: stats.Range{From: rg[0], To: rg[1]}, Engine: eng})
					return err
				}},
				{"ranking-unit", func() error { _, err := svc.StatsRanking(ctx, leader, p, "unit", nil); return err }},
				{"ranking-street", func() error { _, err := svc.StatsRanking(ctx, leader, p, "street", nil); return err }},
			}
			for _, c := range cases {
				b.Run(fmt.Sprintf("%s/%s/%s", c.name, rn, eng), func(b *testing.B) {
					var ds []time.Duration
					for b.Loop() {
						t0 := time.Now()
						if err := c.fn(); err != nil {
							b.Fatal(err)
						}
						ds = append(ds, time.Since(t0))
					}
					slices.Sort(ds)
					b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "median-ms")
					b.ReportMetric(float64(ds[min(len(ds)-1, len(ds)*95/100)].Microseconds())/1000, "p95-ms")
				})
			}
		}
	}
}
