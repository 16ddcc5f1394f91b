package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/stats"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
	"pgregory.net/rapid"
)

func TestStatsSQLite(t *testing.T)   { runStats(t, openSQLite) }
func TestStatsPostgres(t *testing.T) { runStats(t, openPostgres) }

func runStats(t *testing.T, open func(testing.TB) store.Store) {
	t.Run("DirtyMarks", func(t *testing.T) { testStatsDirty(t, open(t)) })
	t.Run("EnginesAgree", func(t *testing.T) { testStatsEngines(t, open) })
	t.Run("LedgerLinks", func(t *testing.T) { testLedgerLinks(t, open(t)) })
	t.Run("BulkImport", func(t *testing.T) { testStatsBulk(t, open(t)) })
	t.Run("CategoryBackfill", func(t *testing.T) { testCategoryBackfill(t, open(t)) })
}

// testCategoryBackfill runs migration 00043's statements over facts
// already stored and checks the by-category roll-up they build is the one
// the store keeps up itself.
func testCategoryBackfill(t *testing.T, st store.Store) {
	ctx := context.Background()
	base := time.Date(2025, 1, 25, 0, 0, 0, 0, calendar.Beijing()).UnixMilli()
	var facts []stats.Fact
	for i := int64(1); i <= 300; i++ {
		at := func(k int64) int64 { return base + (i*7919+k*104729)%(70*86400000) }
		facts = append(facts, stats.Fact{CaseID: i, Version: 1, Type: []string{"city_case", "referral"}[i%2], Subtype: []string{"up", "down"}[i%3%2],
			CategoryID: i % 4, StreetID: i % 3, UnitID: i % 5, ReceivedAt: at(1), RegisteredAt: at(2), RegOnTime: i%2 == 0, DispatchedAt: at(3),
			Accurate: i%3 == 0, HandledAt: at(4), SettleAt: at(5), Closed: i%4 != 0, ClosedAt: at(6), HandleMs: i * 1000, Satisfaction: int(i % 4),
			FundsRecovered: i * 10})
	}
	if err := st.StatsApply(ctx, facts, nil); err != nil {
		t.Fatal(err)
	}
	r := stats.Range{From: time.UnixMilli(base).Add(-24 * time.Hour), To: time.UnixMilli(base).AddDate(0, 3, 0)}
	q := store.StatsQuery{Range: r, Group: store.GroupCategory, Engine: store.EngineAggregates}
	kept, err := st.StatsCounts(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("migrations/" + st.Dialect() + "/00043_stats_categories.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, _, _ := strings.Cut(string(raw), "-- +goose Down")
	ex := st.(interface{ ExecForTest(string) (int64, error) })
	for _, stmt := range strings.Split(up, ";\n") {
		if strings.TrimSpace(stmt) == "" || strings.HasPrefix(strings.TrimSpace(stmt), "-- +goose") && !strings.Contains(stmt, "\n") {
			continue
		}
		if _, err := ex.ExecForTest(stmt); err != nil {
			t.Fatalf("%v in %.200s", err, stmt)
		}
	}
	rebuilt, err := st.StatsCounts(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(kept) != fmt.Sprint(rebuilt) || len(kept) < 4 {
		t.Fatalf("backfilled roll-up differs:\nkept    %v\nrebuilt %v", kept, rebuilt)
	}
	q.Engine = store.EngineFacts
	if facts, _ := st.StatsCounts(ctx, q); fmt.Sprint(facts) != fmt.Sprint(kept) {
		t.Fatalf("roll-up differs from the facts:\n%v\n%v", kept, facts)
	}
}

// testStatsBulk checks the bulk path: ids in order, timelines and facts
// written, nothing left marked, and the aggregates the facts' sums.
func testStatsBulk(t *testing.T, st store.Store) {
	ctx := context.Background()
	if err := st.LoadReference(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	first, ev := storetest.NewCase(0, time.Date(2025, 2, 1, 8, 0, 0, 0, calendar.Beijing()))
	if err := st.CreateCase(ctx, &first, &ev, ""); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, calendar.Beijing())
	var cases []store.CaseWithTimeline
	for i := 1; i <= 250; i++ {
		c, ev := storetest.NewCase(i, t0.Add(time.Duration(i)*time.Hour))
		c.Receipt = fmt.Sprintf("BULK%08d", i)
		ev.Seq = 1
		evs := []model.Event{ev}
		if i%2 == 0 {
			c.Status, c.Version = model.StateRegistered, 2
			evs = append(evs, model.Event{Seq: 2, At: c.CreatedAt.Add(time.Minute), ActorName: "x", Role: model.RoleOperator, Action: "accept",
				FromState: model.StateReported, ToState: model.StateRegistered})
		}
		cases = append(cases, store.CaseWithTimeline{Case: c, Events: evs})
	}
	derive := func(cw *store.CaseWithTimeline) stats.Fact {
		f := stats.Fact{CaseID: cw.Case.ID, Version: cw.Case.Version, Type: cw.Case.Type, StreetID: cw.Case.StreetID, UnitID: cw.Case.UnitID,
			ReceivedAt: cw.Case.CreatedAt.UnixMilli()}
		if len(cw.Events) > 1 {
			f.RegisteredAt = cw.Events[1].At.UnixMilli()
		}
		return f
	}
	if err := st.StatsBulkImport(ctx, cases, derive); err != nil {
		t.Fatal(err)
	}
	for i, cw := range cases {
		if cw.Case.ID != first.ID+1+int64(i) && st.Dialect() == "sqlite" {
			t.Fatalf("case %d got id %d", i, cw.Case.ID)
		}
	}
	got, err := st.Case(ctx, cases[9].Case.ID)
	if err != nil || got.Receipt != "BULK00000010" || got.Status != model.StateRegistered {
		t.Fatalf("bulk case: %+v %v", got, err)
	}
	tl, err := st.Timeline(ctx, got.ID)
	if err != nil || len(tl) != 2 || tl[1].Action != "accept" {
		t.Fatalf("bulk timeline: %+v %v", tl, err)
	}
	// Only the case created the usual way is marked.
	if d, n, _ := st.StatsDirtyCases(ctx, 10); n != 1 || d[0].CaseID != first.ID {
		t.Fatalf("dirty after bulk: %v", d)
	}
	r := stats.Range{From: t0, To: t0.AddDate(0, 2, 0)}
	for _, e := range []store.StatsEngine{store.EngineFacts, store.EngineAggregates} {
		rows, err := st.StatsCounts(ctx, store.StatsQuery{Range: r, Engine: e})
		if err != nil || rows[0].Counts[stats.CReceived] != 250 || rows[0].Counts[stats.CRegistered] != 125 {
			t.Fatalf("%s after bulk: %v %v", e, rows, err)
		}
	}
	// The next case the usual way gets the next id.
	c, ev := storetest.NewCase(999, t0)
	if err := st.CreateCase(ctx, &c, &ev, ""); err != nil {
		t.Fatal(err)
	}
	if c.ID <= cases[len(cases)-1].Case.ID {
		t.Fatalf("id %d reused after bulk (last %d)", c.ID, cases[len(cases)-1].Case.ID)
	}
}

// testStatsDirty checks the trigger marks a case whenever it is written to
// a version its fact does not have, and StatsApply clears the mark only
// for the version the fact was derived from.
func testStatsDirty(t *testing.T, st store.Store) {
	ctx := context.Background()
	if err := st.LoadReference(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, calendar.Beijing())
	c, ev := storetest.NewCase(1, t0)
	if err := st.CreateCase(ctx, &c, &ev, ""); err != nil {
		t.Fatal(err)
	}
	dirty, n, err := st.StatsDirtyCases(ctx, 10)
	if err != nil || n != 1 || len(dirty) != 1 || dirty[0] != (store.StatsDirty{CaseID: c.ID, Version: 1}) {
		t.Fatalf("after create: %v %d %v", dirty, n, err)
	}
	// A fact for version 1 clears the mark.
	f := stats.Fact{CaseID: c.ID, Version: 1, Type: "city_case", ReceivedAt: t0.UnixMilli(), StreetID: 2, UnitID: 5}
	if err := st.StatsApply(ctx, []stats.Fact{f}, dirty); err != nil {
		t.Fatal(err)
	}
	if _, n, _ := st.StatsDirtyCases(ctx, 10); n != 0 {
		t.Fatalf("after apply: %d dirty", n)
	}
	// An update marks it again with the new version.
	next := c
	next.Status, next.Version, next.UpdatedAt = model.StateRegistered, 2, t0.Add(time.Hour)
	ev2 := model.Event{At: next.UpdatedAt, ActorName: "x", Role: model.RoleOperator, Action: "accept", FromState: model.StateReported, ToState: model.StateRegistered}
	if err := st.UpdateCase(ctx, &next, 1, &ev2); err != nil {
		t.Fatal(err)
	}
	dirty, n, _ = st.StatsDirtyCases(ctx, 10)
	if n != 1 || dirty[0].Version != 2 {
		t.Fatalf("after update: %v", dirty)
	}
	// Clearing with a stale version leaves the mark.
	if err := st.StatsApply(ctx, []stats.Fact{f}, []store.StatsDirty{{CaseID: c.ID, Version: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, n, _ := st.StatsDirtyCases(ctx, 10); n != 1 {
		t.Fatalf("stale clear removed the mark")
	}
	loaded, err := st.StatsLoad(ctx, []int64{c.ID})
	if err != nil || len(loaded) != 1 || loaded[0].Case.Version != 2 || len(loaded[0].Events) != 2 || loaded[0].Events[1].Action != "accept" {
		t.Fatalf("StatsLoad: %+v %v", loaded, err)
	}
	// Counting through both engines sees the one received case.
	r := stats.Range{From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}
	for _, e := range []store.StatsEngine{store.EngineFacts, store.EngineAggregates} {
		rows, err := st.StatsCounts(ctx, store.StatsQuery{Range: r, Engine: e})
		if err != nil || len(rows) != 1 || rows[0].Counts[stats.CReceived] != 1 {
			t.Fatalf("%s: %+v %v", e, rows, err)
		}
	}
	// Marking everything marks the case with its current version.
	if err := st.StatsMarkAll(ctx); err != nil {
		t.Fatal(err)
	}
	if d, n, _ := st.StatsDirtyCases(ctx, 10); n != 1 || d[0].Version != 2 {
		t.Fatalf("mark all: %v", d)
	}
}

// testStatsEngines applies random facts (and replacements of them) and
// checks that both engines give, for random ranges, filters and groups,
// what summing the current facts in Go gives.
func testStatsEngines(t *testing.T, open func(testing.TB) store.Store) {
	span := int64(100 * 24 * time.Hour / time.Millisecond) // spans month ends
	types := []string{"city_case", "hotline_order", "rectification", "referral"}
	// One store for every run: each run writes its facts into a time window
	// and an id range of its own, years away from the others', and only
	// asks about that window.
	st := open(t)
	iteration := 0
	rapid.Check(t, func(rt *rapid.T) {
		iteration++
		base := time.Date(2025+3*iteration, 1, 20, 0, 0, 0, 0, calendar.Beijing()).UnixMilli()
		idBase := int64(iteration) * 1000
		ctx := context.Background()
		tm := func(label string) int64 {
			if rapid.IntRange(0, 4).Draw(rt, label+"?") == 0 {
				return 0
			}
			return base + rapid.Int64Range(0, span).Draw(rt, label)
		}
		current := map[int64]stats.Fact{}
		n := rapid.IntRange(1, 60).Draw(rt, "cases")
		rounds := rapid.IntRange(1, 3).Draw(rt, "rounds")
		for round := 0; round < rounds; round++ {
			var batch []stats.Fact
			for i := 1; i <= n; i++ {
				if round > 0 && !rapid.Bool().Draw(rt, "change") {
					continue
				}
				f := stats.Fact{
					CaseID: idBase + int64(i), Version: round + 1, Type: rapid.SampledFrom(types).Draw(rt, "type"),
					Channel:  rapid.SampledFrom([]string{"app", "hotline"}).Draw(rt, "channel"),
					Subtype:  rapid.SampledFrom([]string{"", "up", "down"}).Draw(rt, "subtype"),
					StreetID: rapid.Int64Range(0, 3).Draw(rt, "street"), UnitID: rapid.Int64Range(0, 3).Draw(rt, "unit"),
					GridID: rapid.Int64Range(0, 2).Draw(rt, "grid"), CategoryID: rapid.Int64Range(1, 3).Draw(rt, "cat"),
					CreatedBy:    rapid.Int64Range(0, 2).Draw(rt, "by"),
					ReceivedAt:   base + rapid.Int64Range(0, span).Draw(rt, "received"),
					RegisteredAt: tm("registered"), RegOnTime: rapid.Bool().Draw(rt, "regok"),
					DispatchedAt: tm("dispatched"), Accurate: rapid.Bool().Draw(rt, "acc"), Responded: rapid.Bool().Draw(rt, "resp"),
					HandledAt: tm("handled"), Reworked: rapid.Bool().Draw(rt, "rew"),
					SettleAt: tm("settle"), Closed: rapid.Bool().Draw(rt, "closed"), ClosedOnTime: rapid.Bool().Draw(rt, "cot"),
					ClosedAt: tm("closedAt"), HandleMs: rapid.Int64Range(0, 1e9).Draw(rt, "hms"),
					Satisfaction: rapid.IntRange(0, 3).Draw(rt, "sat"), FundsRecovered: rapid.Int64Range(0, 1e6).Draw(rt, "funds"),
				}
				batch = append(batch, f)
				current[f.CaseID] = f
			}
			if err := st.StatsApply(ctx, batch, nil); err != nil {
				rt.Fatal(err)
			}
		}
		for q := 0; q < 8; q++ {
			a := base - 3*86400000 + rapid.Int64Range(0, span+6*86400000).Draw(rt, "from")
			if rapid.Bool().Draw(rt, "aligned") {
				a = stats.DayStart(stats.DayOf(a))
			}
			b := a + 1 + rapid.Int64Range(0, span).Draw(rt, "len")
			if rapid.Bool().Draw(rt, "alignedTo") {
				b = stats.DayStart(stats.DayOf(b) + 1)
			}
			r := stats.Range{From: time.UnixMilli(a), To: time.UnixMilli(b)}
			var f store.StatsFilter
			if rapid.Bool().Draw(rt, "byStreet") {
				f.StreetID = rapid.Int64Range(0, 3).Draw(rt, "fstreet")
			}
			if rapid.IntRange(0, 2).Draw(rt, "byUnitF") == 0 {
				f.UnitID = rapid.Int64Range(1, 3).Draw(rt, "funit")
			}
			if rapid.Bool().Draw(rt, "byType") {
				f.Types = []string{rapid.SampledFrom(types).Draw(rt, "ftype")}
			}
			if rapid.Bool().Draw(rt, "hide") {
				f.HideTypes = []string{"rectification"}
			}
			if rapid.IntRange(0, 3).Draw(rt, "byCat") == 0 {
				f.CategoryIDs = []int64{rapid.Int64Range(1, 3).Draw(rt, "fcat"), rapid.Int64Range(1, 3).Draw(rt, "fcat2")}
			}
			g := rapid.SampledFrom([]store.StatsGroup{store.GroupNone, store.GroupUnit, store.GroupStreet, store.GroupType, store.GroupMonth, store.GroupDay, store.GroupCategory}).Draw(rt, "group")
			want := bruteCounts(current, r, f, g)
			for _, e := range []store.StatsEngine{store.EngineFacts, store.EngineAggregates, store.EngineAuto} {
				rows, err := st.StatsCounts(ctx, store.StatsQuery{Range: r, Filter: f, Group: g, Engine: e})
				if errors.Is(err, store.ErrNotAggregatable) && e == store.EngineAggregates {
					continue // a street or unit with a category: the facts answer
				}
				if err != nil {
					rt.Fatal(err)
				}
				got := map[string]stats.Counts{}
				for _, row := range rows {
					if !row.Counts.IsZero() {
						got[fmt.Sprint(row.Key, row.Name)] = row.Counts
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					rt.Fatalf("engine %s group %q range %v–%v filter %+v:\n got %v\nwant %v", e, g, a, b, f, got, want)
				}
			}
		}
	})
}

func bruteCounts(facts map[int64]stats.Fact, r stats.Range, f store.StatsFilter, g store.StatsGroup) map[string]stats.Counts {
	out := map[string]stats.Counts{}
	for _, fa := range facts {
		if len(f.CategoryIDs) > 0 && !slices.Contains(f.CategoryIDs, fa.CategoryID) {
			continue
		}
		if f.StreetID != 0 && fa.StreetID != f.StreetID || f.UnitID != 0 && fa.UnitID != f.UnitID || len(f.Types) > 0 && !slices.Contains(f.Types, fa.Type) || slices.Contains(f.HideTypes, fa.Type) {
			continue
		}
		for a := stats.Axis(0); a < stats.NumAxes; a++ {
			t := fa.Time(a)
			if t == 0 || t < r.FromMs() || t >= r.ToMs() {
				continue
			}
			var k string
			switch g {
			case store.GroupNone:
				k = "0"
			case store.GroupUnit:
				k = fmt.Sprint(fa.UnitID)
			case store.GroupStreet:
				k = fmt.Sprint(fa.StreetID)
			case store.GroupType:
				k = "0" + fa.Type
			case store.GroupCategory:
				k = fmt.Sprint(fa.CategoryID)
			case store.GroupDay:
				k = fmt.Sprint(stats.DayOf(t))
			case store.GroupMonth:
				k = fmt.Sprint(stats.MonthOf(stats.DayOf(t)))
			}
			c := out[k]
			c.Add(fa.AxisCounts(a))
			out[k] = c
		}
	}
	for k, c := range out {
		if c.IsZero() {
			delete(out, k)
		}
	}
	return out
}

func testLedgerLinks(t *testing.T, st store.Store) {
	ctx := context.Background()
	if err := st.LoadReference(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	c, ev := storetest.NewCase(1, time.Now())
	if err := st.CreateCase(ctx, &c, &ev, ""); err != nil {
		t.Fatal(err)
	}
	now := time.UnixMilli(time.Now().UnixMilli())
	if err := st.AddLedgerLinks(ctx, []store.LedgerLink{{Kind: "rectification", LedgerNo: "ZG-001", CaseID: c.ID, ImportedAt: now}}); err != nil {
		t.Fatal(err)
	}
	err := st.AddLedgerLinks(ctx, []store.LedgerLink{{Kind: "rectification", LedgerNo: "ZG-002", CaseID: c.ID, ImportedAt: now}, {Kind: "rectification", LedgerNo: "ZG-001", CaseID: c.ID, ImportedAt: now}})
	if err != store.ErrConflict {
		t.Fatalf("duplicate number: %v", err)
	}
	links, err := st.LedgerLinks(ctx, "rectification", []string{"ZG-001", "ZG-002", "ZG-003"})
	if err != nil || len(links) != 1 || links["ZG-001"].CaseID != c.ID || !links["ZG-001"].ImportedAt.Equal(now) {
		t.Fatalf("links: %v %v (the failed batch must write nothing)", links, err)
	}
	if l, _ := st.LedgerLinks(ctx, "clue", []string{"ZG-001"}); len(l) != 0 {
		t.Fatalf("kinds are separate: %v", l)
	}
}
