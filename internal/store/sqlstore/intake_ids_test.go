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
// once; another id of the same event folds; a pruned id counts anew.
func TestIntakeEventIDs(t *testing.T) {
	for _, batching := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "group-commit"}[batching], func(t *testing.T) {
			intakeEventIDs(t, newIntakeFixture(t, batching))
		})
	}
}

func intakeEventIDs(t *testing.T, f *intakeFixture) {
	const lat, lng = 27.735, 111.985
	withID := func(id string, d time.Duration) store.MachineEventInput {
		e := f.event("cam-9", 2, d, lat, lng, 0.9)
		e.EventID = id
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
	if res := f.ingest(withID("A-2", 2*time.Minute)); !res[0].Duplicate {
		t.Fatalf("A-2 (not pruned) = %+v, want a duplicate", res[0])
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
