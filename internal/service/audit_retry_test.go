package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// refusingStore refuses audit batches with ENOSPC while full is set and
// records what it accepts.
type refusingStore struct {
	store.Store // nil: only the audit methods are called
	mu          sync.Mutex
	full        bool
	refused     int
	got         []string
}

// ChainPendingAudit: no write of these tests commits an entry unchained.
func (f *refusingStore) ChainPendingAudit(context.Context, int) (int, error) { return 0, nil }

func (f *refusingStore) AppendAuditBatch(_ context.Context, es []*audit.Entry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range es {
		if e.Action == "poison" {
			return errors.New("constraint failed")
		}
	}
	if f.full {
		f.refused++
		return fmt.Errorf("append audit: %w", &os.PathError{Op: "write", Path: "yiwang.db-wal", Err: syscall.ENOSPC})
	}
	for _, e := range es {
		f.got = append(f.got, e.Action)
	}
	return nil
}

func (f *refusingStore) set(full bool) { f.mu.Lock(); f.full = full; f.mu.Unlock() }

func (f *refusingStore) accepted() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

func startAuditWriter(t *testing.T, st store.Store) *Service {
	s := &Service{store: st, log: slog.New(slog.DiscardHandler), now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.RunAuditWriter(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for s.auditQ.Load() == nil {
		time.Sleep(time.Millisecond)
	}
	return s
}

// TestAuditWriterRetriesRefusedBatches: entries the store refuses (a full
// disk) are kept, retried with backoff and written in their order once the
// store takes them again; none is lost or written twice, and the refusals
// count as disk-full errors.
func TestAuditWriterRetriesRefusedBatches(t *testing.T) {
	st := &refusingStore{full: true}
	s := startAuditWriter(t, st)
	for i := range 10 {
		s.Audit(context.Background(), audit.Entry{Action: fmt.Sprint("a", i)})
	}
	s.FlushAudit(context.Background())
	if p, _ := s.AuditBacklog(); p != 10 {
		t.Fatalf("pending while full: %d, want 10", p)
	}
	st.set(false)
	s.Audit(context.Background(), audit.Entry{Action: "a10"}) // waits behind the kept ones
	deadline := time.Now().Add(30 * time.Second)              // safety net; the backoff is < 1 s here
	for len(st.accepted()) < 11 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got := st.accepted()
	if len(got) != 11 {
		t.Fatalf("written after the disk came back: %v", got)
	}
	for i, a := range got {
		if a != fmt.Sprint("a", i) {
			t.Fatalf("order after retry: %v", got)
		}
	}
	if _, errs := s.StorageFullStats(); errs < 1 {
		t.Fatal("refused audit batches not counted as disk-full errors")
	}
	if p, d := s.AuditBacklog(); p != 0 || d != 0 {
		t.Fatalf("backlog after recovery: pending %d dropped %d", p, d)
	}
}

// TestAuditWriterBound: beyond maxPendingAudit waiting entries the oldest
// are dropped and counted, the rest written once the store takes them.
func TestAuditWriterBound(t *testing.T) {
	st := &refusingStore{full: true}
	s := startAuditWriter(t, st)
	const extra = 7
	for i := range maxPendingAudit + extra {
		s.Audit(context.Background(), audit.Entry{Action: fmt.Sprint("a", i)})
	}
	s.FlushAudit(context.Background())
	if p, d := s.AuditBacklog(); p != maxPendingAudit || d != extra {
		t.Fatalf("backlog over the bound: pending %d dropped %d, want %d and %d", p, d, maxPendingAudit, extra)
	}
	st.set(false)
	s.FlushAudit(context.Background())
	got := st.accepted()
	if len(got) != maxPendingAudit || got[0] != fmt.Sprint("a", extra) || got[len(got)-1] != fmt.Sprint("a", maxPendingAudit+extra-1) {
		t.Fatalf("written after the bound: %d entries, want %d from a%d", len(got), maxPendingAudit, extra)
	}
}

// TestAuditWriterSkipsPoison: an entry the store refuses for another
// reason than space, again and again, is dropped (and counted) after a few
// tries, so it does not hold back the entries behind it.
func TestAuditWriterSkipsPoison(t *testing.T) {
	st := &refusingStore{}
	s := startAuditWriter(t, st)
	s.Audit(context.Background(), audit.Entry{Action: "a0"})
	s.Audit(context.Background(), audit.Entry{Action: "poison"})
	s.Audit(context.Background(), audit.Entry{Action: "a1"})
	deadline := time.Now().Add(30 * time.Second) // safety net; about 2 s of backoff
	for len(st.accepted()) < 2 && time.Now().Before(deadline) {
		s.FlushAudit(context.Background())
		time.Sleep(50 * time.Millisecond)
	}
	if got := st.accepted(); len(got) != 2 || got[0] != "a0" || got[1] != "a1" {
		t.Fatalf("written around the poison entry: %v", got)
	}
	if _, d := s.AuditBacklog(); d != 1 {
		t.Fatalf("dropped: %d, want 1", d)
	}
}
