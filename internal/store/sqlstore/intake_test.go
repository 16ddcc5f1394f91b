package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

type intakeFixture struct {
	t    *testing.T
	db   *DB
	st   store.Store
	src  store.EventSource
	t0   time.Time
	next int
}

func newIntakeFixture(t *testing.T, batching bool) *intakeFixture {
	db, g := openGC(t)
	var st store.Store = db
	if batching {
		st = g
	}
	return newIntakeFixtureOn(t, db, st)
}

func newIntakeFixtureOn(t *testing.T, db *DB, st store.Store) *intakeFixture {
	f := &intakeFixture{t: t, db: db, st: st, t0: time.UnixMilli(1_800_000_000_000)}
	f.src = store.EventSource{Code: "cam", Name: "雪亮工程", Kind: "video", KeyPrefix: "ywev_x", KeyHash: "h1", MinConfidence: 0.6,
		FoldWindow: 10 * time.Minute, FoldDistanceM: 50, NoteEvery: 3, CreatedAt: f.t0}
	if err := f.st.CreateEventSource(context.Background(), &f.src); err != nil {
		t.Fatal(err)
	}
	return f
}

// event is a sighting d after t0 at (lat, lng) by device dev.
func (f *intakeFixture) event(dev string, cat int64, d time.Duration, lat, lng, conf float64) store.MachineEventInput {
	at := f.t0.Add(d)
	return store.MachineEventInput{SourceID: f.src.ID, DeviceID: dev, EventType: "t", CategoryID: cat, Confidence: conf, At: at,
		Lat: lat, Lng: lng, Review: conf < f.src.MinConfidence, Window: f.src.FoldWindow, DistanceM: f.src.FoldDistanceM,
		NoteEvery: f.src.NoteEvery, Terminal: []model.State{model.StateClosed, model.StateRejected, model.StateMerged}, Now: at,
		NewCase: func() (store.NewMachineCase, error) {
			f.next++
			c, ev := storetest.NewCase(90000+f.next, at)
			c.Channel, c.Lat, c.Lng, c.CategoryID = model.ChannelVideo, lat, lng, cat
			return store.NewMachineCase{Case: c, Event: ev}, nil
		},
		Note: func(rec store.MachineEvent) model.Event {
			return model.Event{At: at, ActorName: "雪亮工程", Role: "machine", Action: "machine_repeat", Note: "repeat"}
		},
	}
}

func (f *intakeFixture) ingest(in ...store.MachineEventInput) []store.MachineEventResult {
	f.t.Helper()
	res, err := f.st.IngestMachineEvents(context.Background(), in)
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

func outcomes(res []store.MachineEventResult) []string {
	var out []string
	for _, r := range res {
		if r.Err != nil {
			out = append(out, "error")
			continue
		}
		out = append(out, r.Outcome)
	}
	return out
}

func TestIntakeFolding(t *testing.T) {
	for _, batching := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "group-commit"}[batching]
		t.Run(name, func(t *testing.T) { intakeFolding(t, newIntakeFixture(t, batching)) })
	}
}

// testIntakeOn runs the folding scenario on another database.
func testIntakeOn(t *testing.T, db *DB, st store.Store) {
	intakeFolding(t, newIntakeFixtureOn(t, db, st))
}

// intakeFolding: repeats fold by device, type, window and distance.
func intakeFolding(t *testing.T, f *intakeFixture) {
	const lat, lng = 27.735, 111.985
	const m = 1.0 / 111_195 // degrees of latitude per metre
	res := f.ingest(
		f.event("cam-1", 2, 0, lat, lng, 0.9),                             // first sighting: a case
		f.event("cam-1", 2, time.Minute, lat+10*m, lng, 0.9),              // repeat, 10 m off: folded
		f.event("cam-1", 2, 9*time.Minute, lat, lng, 0.95),                // within the window of the last sighting
		f.event("cam-1", 2, 30*time.Minute, lat, lng, 0.9),                // 21 min after the last one: a new case
		f.event("cam-1", 2, 31*time.Minute, lat+80*m, lng, 0.9),           // same device, 80 m away: a new case
		f.event("cam-1", 1, 31*time.Minute, lat, lng, 0.9),                // other type: a new case
		f.event("cam-2", 2, 31*time.Minute, lat, lng, 0.9),                // other device: a new case
		f.event("", 2, 32*time.Minute, lat, lng, 0.9),                     // no device: by place only, a new case
		f.event("", 2, 33*time.Minute, lat+20*m, lng+0, 0.9),              // and its repeat nearby folds
		f.event("cam-1", 2, 32*time.Minute, lat+1*m, lng, 0.9),            // repeat of the 30-min case
		f.event("cam-1", 2, 29*time.Minute+59*time.Second, lat, lng, 0.8), // out of order, still inside its window
	)
	want := []string{"created", "folded", "folded", "created", "created", "created", "created", "created", "folded", "folded", "folded"}
	got := outcomes(res)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("outcomes %v, want %v", got, want)
		}
	}
	if res[2].Record.ID != res[0].Record.ID || res[2].Record.Count != 3 || res[2].Record.CaseID != res[0].Case.ID {
		t.Fatalf("third sighting %+v, first %+v", res[2].Record, res[0].Record)
	}
	if got := count(t, f.db, `SELECT COUNT(*) FROM cases WHERE channel = 'video'`); got != 6 {
		t.Fatalf("%d cases", got)
	}
	// Every acknowledged event is counted somewhere.
	if got := count(t, f.db, `SELECT SUM(count) FROM machine_events`); got != len(want) {
		t.Fatalf("records count %d events, want %d", got, len(want))
	}
	// The third repeat of the first case (NoteEvery 3) would add a
	// note; two repeats did not.
	if got := count(t, f.db, `SELECT COUNT(*) FROM case_events WHERE case_id = ?`, res[0].Case.ID); got != 1 {
		t.Fatalf("first case has %d timeline entries, want 1 (no note yet)", got)
	}
	res = f.ingest(f.event("cam-1", 2, 9*time.Minute+30*time.Second, lat, lng, 0.9))
	if res[0].Record.Count != 4 || res[0].Record.Noted != 4 {
		t.Fatalf("fourth sighting %+v", res[0].Record)
	}
	if got := count(t, f.db, `SELECT COUNT(*) FROM case_events WHERE case_id = ? AND action = 'machine_repeat' AND seq = 2`, res[0].Record.CaseID); got != 1 {
		t.Fatalf("no repeat note on the case")
	}
	if v := count(t, f.db, `SELECT version FROM cases WHERE id = ?`, res[0].Record.CaseID); v != 2 {
		t.Fatalf("case version %d after a note, want 2", v)
	}
}

func TestIntakeClosedCaseStartsNewOne(t *testing.T) {
	f := newIntakeFixture(t, true)
	res := f.ingest(f.event("cam-1", 2, 0, 27.735, 111.985, 0.9))
	if _, err := f.db.w.Exec(`UPDATE cases SET status = 'closed' WHERE id = ?`, res[0].Case.ID); err != nil {
		t.Fatal(err)
	}
	res2 := f.ingest(f.event("cam-1", 2, time.Minute, 27.735, 111.985, 0.9))
	if res2[0].Outcome != store.OutcomeCreated || res2[0].Case.ID == res[0].Case.ID {
		t.Fatalf("repeat after the case closed: %+v", res2[0])
	}
	old, _ := f.db.MachineEvent(context.Background(), res[0].Record.ID)
	if old.Status != store.MachineClosed {
		t.Fatalf("old record %q", old.Status)
	}
}

func TestIntakeReviewQueue(t *testing.T) {
	f := newIntakeFixture(t, true)
	ctx := context.Background()
	res := f.ingest(
		f.event("cam-9", 2, 0, 27.735, 111.985, 0.3),
		f.event("cam-9", 2, time.Second, 27.735, 111.985, 0.4), // a low repeat folds into the waiting record
		f.event("cam-8", 2, 0, 27.735, 111.985, 0.5),
	)
	if got := outcomes(res); got[0] != "review" || got[1] != "review" || got[2] != "review" || res[1].Record.Count != 2 {
		t.Fatalf("low-confidence events: %v %+v", got, res[1].Record)
	}
	if n := count(t, f.db, `SELECT COUNT(*) FROM cases`); n != 0 {
		t.Fatalf("%d cases from low-confidence events", n)
	}
	queue, err := f.st.ListMachineEvents(ctx, store.MachineEventFilter{Status: store.MachineReview})
	if err != nil || len(queue) != 2 {
		t.Fatalf("queue %v %v", queue, err)
	}
	if n, err := f.st.CountMachineEvents(ctx, store.MachineEventFilter{Status: store.MachineReview, AfterID: queue[0].ID, Limit: 1}); err != nil || n != 2 {
		t.Fatalf("CountMachineEvents = %d, %v; want 2 (limit and after_id aside)", n, err)
	}
	if n, _ := f.st.CountMachineEvents(ctx, store.MachineEventFilter{Status: store.MachineOpen}); n != 0 {
		t.Fatalf("%d open records, want 0", n)
	}
	// Confirm one: it becomes a case.
	nc := store.NewMachineCase{}
	nc.Case, nc.Event = storetest.NewCase(7, f.t0)
	rec, err := f.st.ConfirmMachineEvent(ctx, res[0].Record.ID, &nc, 0, f.t0, "是真的")
	if err != nil || rec.Status != store.MachineOpen || rec.CaseID != nc.Case.ID || rec.Count != 2 {
		t.Fatalf("confirm: %+v %v", rec, err)
	}
	if _, err := f.st.ConfirmMachineEvent(ctx, res[0].Record.ID, &nc, 0, f.t0, ""); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second confirm: %v", err)
	}
	// Repeats now fold into the confirmed case.
	if r := f.ingest(f.event("cam-9", 2, 2*time.Second, 27.735, 111.985, 0.3)); r[0].Outcome != store.OutcomeFolded || r[0].Record.CaseID != nc.Case.ID {
		t.Fatalf("repeat after confirm: %+v", r[0])
	}
	// Dismiss the other: its repeats are suppressed, not queued again.
	if rec, err := f.st.DismissMachineEvent(ctx, res[2].Record.ID, 0, f.t0, "误报"); err != nil || rec.Status != store.MachineDismissed {
		t.Fatalf("dismiss: %+v %v", rec, err)
	}
	if r := f.ingest(f.event("cam-8", 2, time.Minute, 27.735, 111.985, 0.9)); r[0].Outcome != store.OutcomeSuppressed {
		t.Fatalf("repeat of a dismissed event: %+v", r[0])
	}
	if _, err := f.st.DismissMachineEvent(ctx, 999, 0, f.t0, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("dismiss unknown: %v", err)
	}
	// A confident sighting of an event still waiting takes it out of the queue.
	res = f.ingest(f.event("cam-7", 2, 0, 27.735, 111.985, 0.2), f.event("cam-7", 2, time.Second, 27.735, 111.985, 0.9))
	if res[1].Outcome != store.OutcomeCreated || res[1].Record.ID != res[0].Record.ID || res[1].Record.Status != store.MachineOpen {
		t.Fatalf("promotion: %+v", res[1])
	}
}

// TestIntakeBatchPartialFailure: one event of a batch that fails (its case
// cannot be built) fails alone; nothing of it is written.
func TestIntakeBatchPartialFailure(t *testing.T) {
	for _, batching := range []bool{false, true} {
		intakeBatchPartialFailure(t, newIntakeFixture(t, batching))
	}
}

// intakeBatchPartialFailure: the second of three events cannot be written.
func intakeBatchPartialFailure(t *testing.T, f *intakeFixture) {
	{
		bad := f.event("cam-x", 2, 0, 27.735, 111.985, 0.9)
		bad.NewCase = func() (store.NewMachineCase, error) {
			c, ev := storetest.NewCase(1, f.t0)
			c.CategoryID = 99999 // no such category: the case INSERT fails on its foreign key
			return store.NewMachineCase{Case: c, Event: ev}, nil
		}
		res := f.ingest(f.event("cam-1", 2, 0, 27.735, 111.985, 0.9), bad, f.event("cam-2", 2, 0, 27.735, 111.985, 0.9))
		if res[0].Err != nil || res[1].Err == nil || res[2].Err != nil {
			t.Fatalf("results %+v", res)
		}
		if n := count(t, f.db, `SELECT COUNT(*) FROM machine_events`); n != 2 {
			t.Fatalf("%d records", n)
		}
		if n := count(t, f.db, `SELECT COUNT(*) FROM cases`); n != 2 {
			t.Fatalf("%d cases", n)
		}
	}
}
