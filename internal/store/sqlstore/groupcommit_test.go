package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

func openGC(t testing.TB) (*DB, *GroupCommit) {
	t.Helper()
	db, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "gc.db"), SQLiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := NewGroupCommit(db, GroupCommitOptions{})
	t.Cleanup(func() { g.Close() })
	if err := g.LoadReference(context.Background(), storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	return db, g
}

// TestGroupCommitStoreSuite runs the whole store suite through the
// batching writer: it must be indistinguishable from the plain store.
func TestGroupCommitStoreSuite(t *testing.T) {
	storetest.Run(t, func(t testing.TB) store.Store {
		db, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "suite.db"), SQLiteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		g := NewGroupCommit(db, GroupCommitOptions{})
		t.Cleanup(func() { g.Close() })
		return g
	})
}

func count(t *testing.T, db *DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.r.QueryRow(db.q(q), args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGroupCommitPartialFailure: in one transaction, an operation that
// fails (a duplicate receipt) rolls back alone — its case, its timeline
// entry, its outbox row — while the others commit; each caller gets its
// own result.
func TestGroupCommitPartialFailure(t *testing.T) {
	db, _ := openGC(t)
	t0 := time.Now()
	var cs [4]model.Case
	var evs [4]model.Event
	var items []*gcItem
	for i := range cs {
		cs[i], evs[i] = storetest.NewCase(100+i, t0)
		items = append(items, newItem(func(b *gcBatch) error { return b.createCase(&cs[i], &evs[i], "", nil) }))
	}
	cs[2].Receipt = cs[0].Receipt // fails on the unique receipt, after its INSERT started
	var sealed audit.Entry
	items = append(items, newItem(func(b *gcBatch) error {
		s, err := b.appendAudit(audit.Entry{At: t0, Action: "POST /x", Result: "201"})
		if err == nil {
			sealed = s[0]
		}
		return err
	}))
	// An audit entry that fails after the insert: the chain must not move.
	items = append(items, newItem(func(b *gcBatch) error {
		if _, err := b.appendAudit(audit.Entry{At: t0, Action: "POST /y", Result: "201"}); err != nil {
			return err
		}
		return errors.New("boom")
	}))
	items = append(items, newItem(func(b *gcBatch) error {
		_, err := b.appendAudit(audit.Entry{At: t0, Action: "POST /z", Result: "201"})
		return err
	}))
	db.runBatch(items)
	for i, it := range items {
		err := it.result(0)
		switch i {
		case 2, 5:
			if err == nil {
				t.Errorf("item %d succeeded, want its own failure", i)
			}
		default:
			if err != nil {
				t.Errorf("item %d: %v", i, err)
			}
		}
	}
	if got := count(t, db, `SELECT COUNT(*) FROM cases`); got != 3 {
		t.Fatalf("%d cases, want 3", got)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM case_events`); got != 3 {
		t.Fatalf("%d events, want 3 (nothing half-written)", got)
	}
	if got := count(t, db, `SELECT COUNT(*) FROM outbox`); got != 3 {
		t.Fatalf("%d outbox rows, want 3", got)
	}
	if sealed.Seq != 1 {
		t.Fatalf("first audit entry seq %d", sealed.Seq)
	}
	if n, err := audit.VerifyAll(context.Background(), db); err != nil || n != 2 {
		t.Fatalf("audit chain after a rolled-back entry: %d entries, %v", n, err)
	}
}

// TestGroupCommitWholeBatchFails: when the transaction itself is lost
// mid-batch, every caller gets the error and nothing is written, not even
// the operations that had succeeded.
func TestGroupCommitWholeBatchFails(t *testing.T) {
	db, _ := openGC(t)
	t0 := time.Now()
	c, ev := storetest.NewCase(1, t0)
	ok := newItem(func(b *gcBatch) error { return b.createCase(&c, &ev, "", nil) })
	killer := newItem(func(b *gcBatch) error {
		// What SQLite does on a full disk: the transaction is rolled back
		// under our feet.
		if _, err := b.tx.Exec(`ROLLBACK`); err != nil {
			return err
		}
		return errors.New("disk full")
	})
	c2, ev2 := storetest.NewCase(2, t0)
	after := newItem(func(b *gcBatch) error { return b.createCase(&c2, &ev2, "", nil) })
	db.runBatch([]*gcItem{ok, killer, after})
	for i, it := range []*gcItem{ok, killer, after} {
		if it.result(0) == nil {
			t.Errorf("item %d reported success in a lost transaction", i)
		}
	}
	if got := count(t, db, `SELECT COUNT(*) FROM cases`); got != 0 {
		t.Fatalf("%d cases written by a failed batch", got)
	}
}

// TestGroupCommitConcurrent: concurrent creates share transactions, every
// acknowledged case is there with its timeline, and the audit chain holds.
func TestGroupCommitConcurrent(t *testing.T) {
	db, g := openGC(t)
	const n = 400
	t0 := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	ids := make([]int64, n)
	for i := range n {
		wg.Go(func() {
			c, ev := storetest.NewCase(1000+i, t0)
			if err := g.CreateCaseTimed(context.Background(), &c, &ev, "", []store.TimerSpec{{Clock: "handling", Kind: store.TimerDue, FireAt: t0.Add(time.Hour)}}); err != nil {
				errs <- err
				return
			}
			ids[i] = c.ID
			if i%4 == 0 { // a batch of two in place of one and one
				e1, e2 := &audit.Entry{At: t0, Action: "POST /api/v1/cases", Result: "201"}, &audit.Entry{At: t0, Action: "GET /x", Result: "200"}
				if err := g.AppendAuditBatch(context.Background(), []*audit.Entry{e1, e2}); err != nil || e2.Seq != e1.Seq+1 {
					errs <- fmt.Errorf("batch: %v, seqs %d %d", err, e1.Seq, e2.Seq)
				}
				return
			}
			for range 2 {
				if err := g.AppendAudit(context.Background(), &audit.Entry{At: t0, Action: "POST /api/v1/cases", Result: "201"}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Acknowledged means committed: read through a separate connection.
	for _, id := range ids {
		var seq int
		if err := db.r.QueryRow(`SELECT seq FROM case_events WHERE case_id = ?`, id).Scan(&seq); err != nil || seq != 1 {
			t.Fatalf("case %d: first event %d, %v", id, seq, err)
		}
	}
	if got := count(t, db, `SELECT COUNT(*) FROM timers`); got != n {
		t.Fatalf("%d timers, want %d", got, n)
	}
	if n2, err := audit.VerifyAll(context.Background(), db); err != nil || n2 != 2*n {
		t.Fatalf("audit chain: %d entries, %v", n2, err)
	}
	st := g.Stats()
	if st.Ops != 3*n-n/4 || st.Batches >= 2*n {
		t.Fatalf("stats %+v: no batching", st)
	}
	t.Logf("%d operations in %d transactions (largest %d)", st.Ops, st.Batches, st.MaxOps)
}

// TestGroupCommitIdempotentRace: the same key from many callers at once
// makes one case; the others are told which.
func TestGroupCommitIdempotentRace(t *testing.T) {
	db, g := openGC(t)
	t0 := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int64]int{}
	for i := range 30 {
		wg.Go(func() {
			c, ev := storetest.NewCase(5000+i, t0)
			err := g.CreateCase(context.Background(), &c, &ev, "key-1")
			if err != nil && !errors.Is(err, store.ErrConflict) {
				t.Error(err)
				return
			}
			mu.Lock()
			seen[c.ID]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(seen) != 1 || count(t, db, `SELECT COUNT(*) FROM cases`) != 1 {
		t.Fatalf("one key made %v", seen)
	}
}

// TestGroupCommitClose: what was handed in before Close is written; after
// it, work is refused.
func TestGroupCommitClose(t *testing.T) {
	path := filepath.Join(t.TempDir(), "close.db")
	db, err := OpenSQLite(context.Background(), path, SQLiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g := NewGroupCommit(db, GroupCommitOptions{})
	g.LoadReference(context.Background(), storetest.Fixture())
	t0 := time.Now()
	var wg sync.WaitGroup
	var acked sync.Map
	for i := range 100 {
		wg.Go(func() {
			c, ev := storetest.NewCase(i, t0)
			if err := g.CreateCase(context.Background(), &c, &ev, ""); err == nil {
				acked.Store(c.Receipt, true)
			} else if !errors.Is(err, ErrClosed) {
				t.Error(err)
			}
		})
	}
	time.Sleep(time.Millisecond)
	g.Close()
	wg.Wait()
	c, ev := storetest.NewCase(999, t0)
	if err := g.CreateCase(context.Background(), &c, &ev, ""); !errors.Is(err, ErrClosed) {
		t.Fatalf("create after close: %v", err)
	}
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	acked.Range(func(k, _ any) bool {
		var n int
		raw.QueryRow(`SELECT COUNT(*) FROM cases WHERE receipt = ?`, k).Scan(&n)
		if n != 1 {
			t.Errorf("acknowledged case %s missing after close", k)
		}
		return true
	})
}

// TestGroupCommitAbandoned: a caller whose context ends before the writer
// takes its item gets the context's error and the item is not written.
func TestGroupCommitAbandoned(t *testing.T) {
	db, g := openGC(t)
	// Hold the write connection so that the writer cannot start.
	conn, err := db.w.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	blocker := newItem(func(b *gcBatch) error { return nil })
	go g.submit(context.Background(), blocker) // the writer takes it and waits for the connection
	time.Sleep(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	c, ev := storetest.NewCase(1, time.Now())
	if err := g.CreateCase(ctx, &c, &ev, ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("abandoned create: %v", err)
	}
	conn.Close()
	<-blocker.done
	c2, ev2 := storetest.NewCase(2, time.Now())
	if err := g.CreateCase(context.Background(), &c2, &ev2, ""); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM cases`); n != 1 {
		t.Fatalf("%d cases; the abandoned one was written", n)
	}
}

func TestStmtCacheNested(t *testing.T) {
	db, _ := openGC(t)
	// The same statement text used while its rows are still open gets a
	// statement of its own.
	tx, err := db.w.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	q := `SELECT id FROM org_units WHERE id >= ? ORDER BY id`
	outer, err := tx.Query(q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var id int64
		outer.Scan(&id)
		var n int
		inner, err := tx.Query(q, id)
		if err != nil {
			t.Fatal(err)
		}
		for inner.Next() {
			n++
		}
		inner.Close()
		got = append(got, fmt.Sprintf("%d:%d", id, n))
	}
	outer.Close()
	if len(got) != 5 || got[0] != "1:5" || got[4] != "5:1" {
		t.Fatalf("nested queries: %v", got)
	}
}

// TestGroupCommitCasePlace: the batched placement record reads back as the
// plain store's does.
func TestGroupCommitCasePlace(t *testing.T) {
	_, g := openGC(t)
	c, ev := storetest.NewCase(1, time.Now())
	if err := g.CreateCase(context.Background(), &c, &ev, ""); err != nil {
		t.Fatal(err)
	}
	want := store.CasePlace{CaseID: c.ID, GridVersion: 2, RuleID: 1, RuleVersion: 3, CoUnitIDs: []int64{2, 5}, ComponentCode: "4313020101000001",
		ComponentM: 4.5, Fallback: false, Exact: true}
	for range 2 { // the second replaces the first
		if err := g.PutCasePlace(context.Background(), want); err != nil {
			t.Fatal(err)
		}
	}
	got, err := g.CasePlace(context.Background(), c.ID)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("case place %+v, %v; want %+v", got, err, want)
	}
}
