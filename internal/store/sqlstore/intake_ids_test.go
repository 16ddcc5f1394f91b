package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// TestIntakeEventIDs: an event id sent again (a retry, in another post
// or in the same batch) is answered with the first answer and counted
// once; another id of the same event folds; a pruned id counts anew; the
// same id with other content is a conflict and writes nothing.
func TestIntakeEventIDs(t *testing.T) {
	for _, batching := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "group-commit"}[batching], func(t *testing.T) {
			intakeEventIDs(t, newIntakeFixture(t, batching))
		})
	}
}

func intakeEventIDs(t *testing.T, f *intakeFixture) {
	const lat, lng = 27.735, 111.985
	// The content of these events differs only by their time (d), and
	// so does the hash the service would compute.
	withID := func(id string, d time.Duration) store.MachineEventInput {
		e := f.event("cam-9", 2, d, lat, lng, 0.9)
		e.EventID, e.ContentHash = id, "at "+d.String()
		return e
	}
	first := f.ingest(withID("A-1", 0))
	if first[0].Outcome != store.OutcomeCreated || first[0].Duplicate {
		t.Fatalf("first post %+v", first[0])
	}
	// The answer was lost; the platform posts A-1 again, then A-2, then
	// A-2 twice in one batch.
	again := f.ingest(withID("A-1", 0), withID("A-2", time.Minute), withID("A-2", time.Minute))
	r := again[0]
	if !r.Duplicate || r.Outcome != store.OutcomeCreated || r.Case.ID != first[0].Case.ID || r.Case.Receipt != first[0].Case.Receipt ||
		r.Record.ID != first[0].Record.ID || r.Record.Count != 1 {
		t.Fatalf("retry of A-1 = %+v (case %d %q), want the first answer, count 1", r, r.Case.ID, r.Case.Receipt)
	}
	if again[1].Duplicate || again[1].Outcome != store.OutcomeFolded || again[1].Record.Count != 2 {
		t.Fatalf("A-2 = %+v, want folded as the second sighting", again[1])
	}
	if !again[2].Duplicate || again[2].Outcome != store.OutcomeFolded || again[2].Record.Count != 2 {
		t.Fatalf("A-2 again in the same batch = %+v, want a duplicate, count still 2", again[2])
	}
	if got := count(t, f.db, `SELECT SUM(count) FROM machine_events`); got != 2 {
		t.Fatalf("records count %d sightings, want 2", got)
	}
	if got := count(t, f.db, `SELECT COUNT(*) FROM cases`); got != 1 {
		t.Fatalf("%d cases, want 1", got)
	}
	// The same id from another source is another event.
	other := store.EventSource{Code: "cam2", Name: "另一平台", Kind: "video", KeyPrefix: "ywev_y", KeyHash: "h2", MinConfidence: 0.6,
		FoldWindow: 10 * time.Minute, FoldDistanceM: 50, CreatedAt: f.t0}
	if err := f.st.CreateEventSource(context.Background(), &other); err != nil {
		t.Fatal(err)
	}
	e := withID("A-1", 0)
	e.SourceID = other.ID
	if res := f.ingest(e); res[0].Duplicate || res[0].Outcome != store.OutcomeCreated {
		t.Fatalf("A-1 from another source = %+v", res[0])
	}
	// Ids received before the cut are forgotten.
	n, err := f.st.PruneMachineEventIDs(context.Background(), f.t0.Add(30*time.Second))
	if err != nil || n != 2 { // A-1 of both sources
		t.Fatalf("PruneMachineEventIDs = %d, %v; want 2", n, err)
	}
	if res := f.ingest(withID("A-1", 2*time.Minute)); res[0].Duplicate || res[0].Outcome != store.OutcomeFolded || res[0].Record.Count != 3 {
		t.Fatalf("A-1 after pruning = %+v, want a new sighting", res[0])
	}
	if res := f.ingest(withID("A-2", time.Minute)); !res[0].Duplicate {
		t.Fatalf("A-2 (not pruned) = %+v, want a duplicate", res[0])
	}

	// A-2 again but seen at another time: not a retry but another event
	// under a used id. So is the second A-4 of one batch; the third A-4
	// repeats the first and is a retry.
	sum, cases := count(t, f.db, `SELECT SUM(count) FROM machine_events`), count(t, f.db, `SELECT COUNT(*) FROM cases`)
	keys := count(t, f.db, `SELECT COUNT(*) FROM machine_event_keys`)
	res := f.ingest(withID("A-2", 3*time.Minute), withID("A-4", 3*time.Minute), withID("A-4", 4*time.Minute), withID("A-4", 3*time.Minute))
	if !res[0].Conflict || res[0].Duplicate || res[0].Err != nil || res[0].Record.ID != 0 || res[0].Outcome != "" {
		t.Fatalf("A-2 with other content = %+v, want a conflict and nothing else", res[0])
	}
	if res[1].Conflict || res[1].Duplicate || res[1].Outcome != store.OutcomeFolded {
		t.Fatalf("first A-4 = %+v, want folded", res[1])
	}
	if !res[2].Conflict {
		t.Fatalf("A-4 with other content in the same batch = %+v, want a conflict", res[2])
	}
	if res[3].Conflict || !res[3].Duplicate || res[3].Record.ID != res[1].Record.ID {
		t.Fatalf("A-4 repeated unchanged = %+v, want the first answer", res[3])
	}
	if got := count(t, f.db, `SELECT SUM(count) FROM machine_events`); got != sum+1 {
		t.Fatalf("sightings %d → %d, want only A-4's one", sum, got)
	}
	if got := count(t, f.db, `SELECT COUNT(*) FROM cases`); got != cases {
		t.Fatalf("cases %d → %d", cases, got)
	}
	if got := count(t, f.db, `SELECT COUNT(*) FROM machine_event_keys`); got != keys+1 {
		t.Fatalf("event ids %d → %d, want A-4 only", keys, got)
	}
	// An id stored before content hashes (an empty hash) matches any
	// content, as it did.
	old := withID("A-5", 5*time.Minute)
	old.ContentHash = ""
	f.ingest(old)
	if res := f.ingest(withID("A-5", 6*time.Minute)); !res[0].Duplicate || res[0].Conflict {
		t.Fatalf("A-5 after a hash-less first = %+v, want a duplicate", res[0])
	}
}

// TestIntakeTwoNodesPostgres: two nodes on one PostgreSQL database take
// the first sightings of the same events at the same moment. Each event
// opens exactly one case; every sighting is counted once.
func TestIntakeTwoNodesPostgres(t *testing.T) {
	url := storetest.PostgresURL(t)
	var nodes [2]*DB
	for i := range nodes {
		db, err := OpenPostgres(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		nodes[i] = db
	}
	if err := nodes[0].LoadReference(context.Background(), storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	f := newIntakeFixtureOn(t, nodes[0], nodes[0])
	var receipt atomic.Int64
	event := func(dev string, at time.Time) store.MachineEventInput {
		return store.MachineEventInput{SourceID: f.src.ID, DeviceID: dev, EventType: "t", CategoryID: 2, Confidence: 0.9, At: at,
			Lat: 27.735, Lng: 111.985, Window: time.Hour, DistanceM: 50, Now: at,
			Terminal: []model.State{model.StateClosed},
			NewCase: func() (store.NewMachineCase, error) {
				c, ev := storetest.NewCase(int(receipt.Add(1)), at)
				c.Channel = model.ChannelVideo
				return store.NewMachineCase{Case: c, Event: ev}, nil
			},
		}
	}
	const rounds, devices, perNode = 6, 8, 3
	t0 := time.UnixMilli(1_800_000_000_000)
	for round := range rounds {
		var wg sync.WaitGroup
		var failed atomic.Int32
		for n, db := range nodes {
			for w := range perNode {
				wg.Go(func() {
					// Every writer sends every device of the round, in its own
					// order, as one batch: the batches overlap in every way.
					var in []store.MachineEventInput
					for d := range devices {
						dev := fmt.Sprintf("r%d-cam-%d", round, (d*(n+1)+w)%devices)
						in = append(in, event(dev, t0.Add(time.Duration(round)*time.Minute)))
					}
					res, err := db.IngestMachineEvents(context.Background(), in)
					if err != nil {
						t.Errorf("node %d: %v", n, err)
						failed.Add(1)
						return
					}
					for _, r := range res {
						if r.Err != nil {
							t.Errorf("node %d: %v", n, r.Err)
							failed.Add(1)
						}
					}
				})
			}
		}
		wg.Wait()
		if failed.Load() > 0 {
			t.FailNow()
		}
	}
	if got := count(t, nodes[0], `SELECT COUNT(*) FROM cases WHERE channel = 'video'`); got != rounds*devices {
		t.Fatalf("%d cases for %d events: a first sighting was taken twice", got, rounds*devices)
	}
	if got := count(t, nodes[0], `SELECT SUM(count) FROM machine_events`); got != rounds*devices*2*perNode {
		t.Fatalf("records count %d sightings, want %d", got, rounds*devices*2*perNode)
	}
}
