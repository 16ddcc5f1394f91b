package app_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// waitFor polls cond until it holds or 10 s pass.
func wfWait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTimerEscalationSurvivesRestart dispatches an urgent case (2 clock
// hours), restarts the server before, between and after its warning and
// due times, and checks that the case turns yellow at 80 % and red at
// 100 %, with exactly one warning, one automatic 督办单 and one overdue
// notice however often the server restarts.
func TestTimerEscalationSurvivesRestart(t *testing.T) {
	w := newWFHarness(t, wfMonday, 10*time.Millisecond)
	lat, lng, _ := demoPoint(t, w.harness, 41)
	// 路面塌陷: 住建局, 2 urgent hours.
	r := w.do("POST", "/api/v1/cases", "", map[string]any{"category": "E0401", "description": "路面塌陷约两平方米", "lat": lat, "lng": lng})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	id := num(r.body["id"])
	unit := w.org("zhujian")
	w.act("operator1", id, "accept", map[string]any{"version": 1})
	r = w.act("dispatcher", id, "dispatch", map[string]any{"version": 2})
	if r.status != 200 || r.body["due_at"] != "2026-03-02T11:00:00+08:00" {
		t.Fatalf("dispatch: %d %s", r.status, r.raw)
	}
	alert := func() string {
		s, _ := w.get("admin", id).body["alert"].(string)
		return s
	}
	count := func(q string, args ...any) int { return w.query(q, args...) }
	supervisions := func() int {
		return count(`SELECT COUNT(*) FROM supervision_cases sc JOIN supervisions s ON s.id = sc.supervision_id WHERE sc.case_id = ? AND s.auto = 1`, id)
	}
	notices := func(kind string) int {
		return count(`SELECT COUNT(*) FROM notifications WHERE case_id = ? AND unit_id = ? AND kind = ?`, id, unit, kind)
	}
	settle := func() { time.Sleep(100 * time.Millisecond) } // ten ticks

	// 50 %: nothing yet. Restart mid-countdown.
	w.clock.Set(wfMonday.Add(time.Hour))
	settle()
	if a := alert(); a != "" || notices("warning") != 0 {
		t.Fatalf("at 50%%: alert %q, %d warnings", a, notices("warning"))
	}
	w.reboot()
	if n := count(`SELECT COUNT(*) FROM timers WHERE case_id = ? AND fired_at IS NULL AND cancelled_at IS NULL`, id); n != 2 {
		t.Fatalf("after restart: %d pending timers, want 2 (warning and due)", n)
	}

	// 83 %: yellow, one warning to the unit.
	w.clock.Set(wfMonday.Add(100 * time.Minute))
	wfWait(t, "yellow", func() bool { return alert() == "yellow" })
	settle()
	if notices("warning") != 1 || supervisions() != 0 {
		t.Fatalf("at 83%%: %d warnings, %d supervisions", notices("warning"), supervisions())
	}
	w.reboot()

	// 150 %: red, one automatic 督办单 to the unit.
	w.clock.Set(wfMonday.Add(3 * time.Hour))
	wfWait(t, "red", func() bool { return alert() == "red" })
	settle()
	w.reboot()
	settle()
	w.reboot()
	settle()
	if supervisions() != 1 || notices("overdue") != 1 || notices("warning") != 1 {
		t.Fatalf("after restarts: %d supervisions, %d overdue, %d warnings", supervisions(), notices("overdue"), notices("warning"))
	}
	if n := count(`SELECT COUNT(*) FROM timers WHERE case_id = ? AND fired_at IS NOT NULL`, id); n != 2 {
		t.Fatalf("%d fired timers, want 2", n)
	}
	r = w.do("GET", fmt.Sprintf("/api/v1/supervisions?case=%d", id), w.tok("zhujian"), nil)
	docs, _ := r.body["supervisions"].([]any)
	if r.status != 200 || len(docs) != 1 {
		t.Fatalf("unit's supervisions: %d %s", r.status, r.raw)
	}
	doc := docs[0].(map[string]any)
	if doc["kind"] != "duban" || doc["auto"] != true || num(doc["unit_id"]) != unit || doc["status"] != "open" || doc["kind_label"] != "督办单" {
		t.Fatalf("automatic 督办单: %v", doc)
	}
	// It must be answered within 2 working days: by Wednesday night.
	if doc["due_at"] != "2026-03-04T23:59:59+08:00" {
		t.Fatalf("reply due %v", doc["due_at"])
	}
	r = w.do("GET", "/api/v1/notifications", w.tok("zhujian"), nil)
	if ns, _ := r.body["notifications"].([]any); len(ns) < 2 {
		t.Fatalf("unit notifications: %s", r.raw)
	}

	// The clock stops when the unit reports back (alert cleared) and
	// resumes on rework: red again at once, but no second 督办单.
	w.act("zhujian", id, "sign", map[string]any{"version": 3})
	r = w.act("zhujian", id, "report_back", map[string]any{"version": 4, "note": "已设置围挡并回填"})
	if r.status != 200 || r.body["alert"] != nil {
		t.Fatalf("report_back: %d alert %v", r.status, r.body["alert"])
	}
	r = w.act("supervisor", id, "verify", map[string]any{"version": 5, "result": "fail", "note": "回填不实"})
	if r.status != 200 || r.body["alert"] != "red" {
		t.Fatalf("rework: %d alert %v", r.status, r.body["alert"])
	}
	settle()
	if supervisions() != 1 || notices("overdue") != 1 {
		t.Fatalf("after rework: %d supervisions, %d overdue", supervisions(), notices("overdue"))
	}

	// The 督办单 unanswered past its reply deadline: one reminder.
	w.clock.Set(time.Date(2026, 3, 5, 9, 0, 0, 0, calendar.Beijing()))
	docID := num(doc["id"])
	wfWait(t, "reply overdue", func() bool {
		return count(`SELECT COUNT(*) FROM notifications WHERE supervision_id = ? AND kind = 'reply_overdue'`, docID) == 1
	})
	w.reboot()
	settle()
	r = w.do("POST", fmt.Sprintf("/api/v1/supervisions/%d/reply", docID), w.tok("zhujian"), map[string]any{"reply": "已组织抢修，预计今日恢复通行"})
	if r.status != 200 || r.body["status"] != "replied" || r.body["overdue"] != false {
		t.Fatalf("reply: %d %s", r.status, r.raw)
	}
	if r := w.do("POST", fmt.Sprintf("/api/v1/supervisions/%d/reply", docID), w.tok("zhujian"), map[string]any{"reply": "再次回复"}); r.status != 422 {
		t.Fatalf("second reply: %d", r.status)
	}
	if n := count(`SELECT COUNT(*) FROM notifications WHERE supervision_id = ? AND kind = 'reply_overdue'`, docID); n != 1 {
		t.Fatalf("%d reply reminders", n)
	}
}

// TestTimersTwoNodes runs two servers on one database, both firing timers
// every few milliseconds, and checks every escalation happens exactly once;
// then races eight claims on one timer.
func TestTimersTwoNodes(t *testing.T) {
	w := newWFHarness(t, wfMonday, 3*time.Millisecond)
	second, err := openApp(t, context.Background(), app.Config{DataDir: w.dir, Demo: true, Now: w.clock.Now, TimerTick: 3 * time.Millisecond, SQLiteSync: "NORMAL", PublicPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	srv2 := httptest.NewServer(second.Handler)
	defer srv2.Close()

	lat, lng, _ := demoPoint(t, w.harness, 7)
	const n = 12
	var ids []int64
	for i := range n {
		r := w.do("POST", "/api/v1/cases", "", map[string]any{"category": "E0403", "description": fmt.Sprintf("燃气泄漏 %d", i), "lat": lat, "lng": lng})
		id := num(r.body["id"])
		w.act("operator1", id, "accept", map[string]any{"version": 1})
		if r := w.act("dispatcher", id, "dispatch", map[string]any{"version": 2}); r.status != 200 {
			t.Fatalf("dispatch: %d %s", r.status, r.raw)
		}
		ids = append(ids, id)
	}
	w.clock.Set(wfMonday.Add(5 * time.Hour))
	wfWait(t, "all red", func() bool {
		return w.query(`SELECT COUNT(*) FROM cases WHERE id >= ? AND alert = 'red'`, ids[0]) == n
	})
	time.Sleep(50 * time.Millisecond)
	for _, id := range ids {
		if k := w.query(`SELECT COUNT(*) FROM supervision_cases WHERE case_id = ?`, id); k != 1 {
			t.Errorf("case %d: %d supervisions", id, k)
		}
		if k := w.query(`SELECT COUNT(*) FROM notifications WHERE case_id = ? AND kind = 'warning'`, id); k != 1 {
			t.Errorf("case %d: %d warnings", id, k)
		}
	}

	// Eight claims on one pending timer: one wins.
	r := w.do("POST", "/api/v1/cases", "", map[string]any{"category": "E0403", "description": "燃气泄漏 race", "lat": lat, "lng": lng})
	id := num(r.body["id"])
	w.act("operator1", id, "accept", map[string]any{"version": 1})
	w.clock.Set(wfMonday.Add(5 * time.Hour)) // due 2 h later: pending
	w.act("dispatcher", id, "dispatch", map[string]any{"version": 2})
	ts, err := w.app.Store.CaseTimers(context.Background(), id)
	if err != nil || len(ts) != 2 {
		t.Fatalf("timers %v %v", ts, err)
	}
	var wg sync.WaitGroup
	wins := make(chan bool, 8)
	for i := range 8 {
		st := w.app.Store
		if i%2 == 1 {
			st = second.Store
		}
		wg.Go(func() {
			ok, err := st.FireTimer(context.Background(), ts[1].ID, wfMonday.Add(8*time.Hour), store.Escalation{
				Notifications: []store.Notification{{CaseID: id, Kind: "race", Title: "race", CreatedAt: wfMonday}},
			})
			if err != nil {
				t.Error(err)
			}
			wins <- ok
		})
	}
	wg.Wait()
	close(wins)
	won := 0
	for ok := range wins {
		if ok {
			won++
		}
	}
	if won != 1 || w.query(`SELECT COUNT(*) FROM notifications WHERE case_id = ? AND kind = 'race'`, id) != 1 {
		t.Fatalf("%d claims won", won)
	}
}
