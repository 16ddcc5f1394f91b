package sqlstore_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
)

// TestTimerClaim checks the timer table on both databases: timers follow
// the case (a stopped clock's are cancelled, a resumed clock's revived
// without firing again), pending ones are found by time, and of many nodes
// claiming one timer at once exactly one wins and writes the escalation.
func TestTimerClaim(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		open := func() store.Store {
			st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(dir, "t.db"), sqlstore.SQLiteOptions{Synchronous: "NORMAL"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
		// Two handles on one file stand for two nodes.
		a := open()
		timerClaim(t, a, open())
	})
	t.Run("postgres", func(t *testing.T) {
		a := openPostgres(t)
		timerClaim(t, a, a) // one pool, many connections
	})
}

func timerClaim(t *testing.T, a, b store.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if err := a.LoadReference(ctx, store.Reference{
		Org:        []model.OrgUnit{{ID: 1, Kind: model.OrgDistrict, Code: "431302", Name: "娄星区"}, {ID: 2, ParentID: 1, Kind: model.OrgDepartment, Code: "D01", Name: "城管局"}},
		Categories: []model.Category{{ID: 1, Code: "01", Kind: model.CategoryEvent, Name: "市容", CaseType: "city_case", Deadline: model.DeadlineRule{Kind: model.DeadlineUrgentHours, Amount: 2}}},
	}); err != nil {
		t.Fatal(err)
	}
	c := model.Case{Receipt: "R1", Type: "clue", DefVersion: 1, Channel: model.ChannelWeb, Description: "无类别的案件", UnitID: 2,
		Status: "registered", Version: 1, CreatedAt: t0, UpdatedAt: t0, Fields: map[string]any{"subject_name": "某"}}
	ev := model.Event{At: t0, ActorName: "x", Role: model.RoleDiscipline, Action: "create", ToState: "registered"}
	warn, due := t0.Add(96*time.Minute), t0.Add(2*time.Hour)
	specs := []store.TimerSpec{{Clock: "h", Kind: store.TimerWarn, FireAt: warn}, {Clock: "h", Kind: store.TimerDue, FireAt: due}}
	if err := a.CreateCaseTimed(ctx, &c, &ev, "", specs); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Case(ctx, c.ID); err != nil || got.CategoryID != 0 || got.Fields["subject_name"] != "某" {
		t.Fatalf("case without category: %+v %v", got, err)
	}
	pending := func(at time.Time) int {
		ts, err := b.DueTimers(ctx, at, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(ts)
	}
	if pending(t0.Add(time.Hour)) != 0 || pending(t0.Add(100*time.Minute)) != 1 || pending(t0.Add(3*time.Hour)) != 2 {
		t.Fatal("pending timers by time")
	}

	// Eight claims at once on the due timer.
	ts, _ := b.DueTimers(ctx, t0.Add(3*time.Hour), 10)
	dueID := ts[1].ID
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := range 8 {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Go(func() {
			ok, err := st.FireTimer(ctx, dueID, t0.Add(3*time.Hour), store.Escalation{
				Supervision:   &store.Supervision{Kind: store.SupervisionDuban, Auto: true, Title: "超期督办", UnitID: 2, IssuerName: "系统", IssuedAt: t0, CaseIDs: []int64{c.ID}},
				Notifications: []store.Notification{{UnitID: 2, CaseID: c.ID, Kind: "overdue", Title: "超期", CreatedAt: t0}},
			})
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	docs, err := a.ListSupervisions(ctx, store.SupervisionFilter{CaseID: c.ID})
	if won != 1 || err != nil || len(docs) != 1 {
		t.Fatalf("%d claims won, %d documents (%v)", won, len(docs), err)
	}
	got, _ := a.Case(ctx, c.ID)
	if got.Alert != model.AlertRed {
		t.Fatalf("alert %q after the due timer", got.Alert)
	}

	// The clock stops: its timers are cancelled and the alert clears; it
	// resumes: the fired due timer comes back fired (red) and never fires
	// again, the unfired warning is pending again.
	next := got
	next.Status, next.Version, next.UpdatedAt = "shelved", 2, t0.Add(4*time.Hour)
	ev2 := model.Event{At: next.UpdatedAt, ActorName: "x", Role: model.RoleDiscipline, Action: "dispose", FromState: "registered", ToState: "shelved"}
	if err := a.UpdateCaseTimed(ctx, &next, 1, &ev2, nil); err != nil || next.Alert != model.AlertNone || pending(t0.Add(5*time.Hour)) != 0 {
		t.Fatalf("stop: %v alert %q", err, next.Alert)
	}
	next.Status, next.Version = "registered", 3
	ev3 := ev2
	ev3.Action, ev3.FromState, ev3.ToState = "reactivate", "shelved", "registered"
	if err := a.UpdateCaseTimed(ctx, &next, 2, &ev3, specs); err != nil || next.Alert != model.AlertRed || pending(t0.Add(5*time.Hour)) != 1 {
		t.Fatalf("resume: %v alert %q, %d pending", err, next.Alert, pending(t0.Add(5*time.Hour)))
	}
	// A stale version writes nothing, timers included.
	if err := a.UpdateCaseTimed(ctx, &next, 2, &ev3, nil); err != store.ErrConflict || pending(t0.Add(5*time.Hour)) != 1 {
		t.Fatalf("stale update: %v", err)
	}
}
