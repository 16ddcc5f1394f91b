package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// ErrClosed is returned for work handed to a group committer after Close.
var ErrClosed = errors.New("sqlstore: store closed")

// GroupCommitOptions tunes the batching writer.
type GroupCommitOptions struct {
	// MaxBatch is the most operations one transaction takes (default 512).
	MaxBatch int
	// MaxMachine is the most machine-event operations one transaction
	// takes (default 128), so that a flood of machine events never makes a
	// person's create wait for more than one such share.
	MaxMachine int
	// Queue is how many people's items may wait for the writer before
	// callers block (default 4096).
	Queue int
	// Observe, if set, is told of every transaction the writer committed
	// or rolled back: how many operations it held and how long it took.
	// It runs on the writer's goroutine and must be quick.
	Observe func(ops int, took time.Duration)
}

// GroupCommit is a store.Store whose case creations, audit appends and
// machine events are written by one batching writer: concurrent calls
// share one transaction and one commit (one fsync), each operation inside
// its own savepoint so that one failing rolls back alone. Every caller
// waits for the commit of the transaction holding its operation, so a
// call that returned nil is durable as before: acknowledged means
// committed. Everything else passes through to the wrapped DB.
//
// People's operations have a lane of their own: each transaction takes
// every person's operation waiting (up to MaxBatch) and at most MaxMachine
// machine-event operations.
type GroupCommit struct {
	*DB
	opt     GroupCommitOptions
	people  chan *gcItem
	machine chan *gcItem

	mu        sync.RWMutex // held shared while handing in work, exclusively to close
	closed    bool
	quit      chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once

	batches, ops, maxOps atomic.Int64
	busy, maxBusy        atomic.Int64          // nanoseconds spent writing batches, and the longest
	integrity            atomic.Pointer[error] // a background integrity check's failure
}

var _ store.Store = (*GroupCommit)(nil)

// NewGroupCommit starts the batching writer over db. Close stops it (after
// writing what was handed in) and closes db.
func NewGroupCommit(db *DB, opt GroupCommitOptions) *GroupCommit {
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 512
	}
	if opt.MaxMachine <= 0 {
		opt.MaxMachine = 128
	}
	if opt.MaxMachine > opt.MaxBatch {
		opt.MaxMachine = opt.MaxBatch
	}
	if opt.Queue <= 0 {
		opt.Queue = 4096
	}
	g := &GroupCommit{
		DB: db, opt: opt,
		people: make(chan *gcItem, opt.Queue), machine: make(chan *gcItem, 4),
		quit: make(chan struct{}), stopped: make(chan struct{}),
	}
	go g.loop()
	return g
}

// GroupCommitStats are the writer's counters.
type GroupCommitStats struct {
	Batches, Ops, MaxOps int64
	// Busy is the time spent writing and committing batches; MaxBatch
	// the longest batch.
	Busy, MaxBatch time.Duration
	// QueuedPeople and QueuedMachine are the items waiting for the writer
	// in each lane now.
	QueuedPeople, QueuedMachine int
}

// Stats returns how many transactions the writer committed, how many
// operations they held, and the largest.
func (g *GroupCommit) Stats() GroupCommitStats {
	return GroupCommitStats{Batches: g.batches.Load(), Ops: g.ops.Load(), MaxOps: g.maxOps.Load(),
		Busy: time.Duration(g.busy.Load()), MaxBatch: time.Duration(g.maxBusy.Load()),
		QueuedPeople: len(g.people), QueuedMachine: len(g.machine)}
}

// Close writes what was handed in, stops the writer and closes the store.
func (g *GroupCommit) Close() error {
	g.closeOnce.Do(func() {
		g.mu.Lock()
		g.closed = true
		g.mu.Unlock()
		close(g.quit)
		<-g.stopped
	})
	return g.DB.Close()
}

// gcOp is one operation of a batch; it runs inside its own savepoint.
type gcOp func(b *gcBatch) error

// gcItem is what one caller hands in: operations that go into the same
// transaction, each with its own result.
type gcItem struct {
	ops     []gcOp
	errs    []error // per operation
	err     error   // the transaction's: set when it did not commit
	machine bool
	locks   []int32      // PostgreSQL advisory locks the transaction takes first (takeLocks)
	state   atomic.Int32 // itemQueued → itemTaken, or itemAbandoned by its caller
	done    chan struct{}
}

const (
	itemQueued int32 = iota
	itemTaken
	itemAbandoned
)

func newItem(ops ...gcOp) *gcItem {
	return &gcItem{ops: ops, errs: make([]error, len(ops)), done: make(chan struct{})}
}

// result is the outcome of operation i once the item is done.
func (it *gcItem) result(i int) error {
	if it.err != nil {
		return it.err
	}
	return it.errs[i]
}

// submit hands an item to the writer and waits for the commit of the
// transaction holding it. A caller whose context ends before the writer
// took the item gets ctx.Err() and the item is never written; once taken,
// the caller waits for the outcome (a batch lasts milliseconds).
func (g *GroupCommit) submit(ctx context.Context, it *gcItem) error {
	lane := g.people
	if it.machine {
		lane = g.machine
	}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return ErrClosed
	}
	select {
	case lane <- it:
	case <-ctx.Done():
		g.mu.RUnlock()
		return ctx.Err()
	}
	g.mu.RUnlock()
	select {
	case <-it.done:
		return nil
	case <-ctx.Done():
		if it.state.CompareAndSwap(itemQueued, itemAbandoned) {
			return ctx.Err()
		}
		<-it.done
		return nil
	}
}

func (g *GroupCommit) loop() {
	defer close(g.stopped)
	for {
		var first *gcItem
		select {
		case first = <-g.people:
		case first = <-g.machine:
		case <-g.quit:
			for {
				batch := g.collect(nil)
				if len(batch) == 0 {
					return
				}
				g.run(batch)
			}
		}
		if batch := g.collect(first); len(batch) > 0 {
			g.run(batch)
		}
	}
}

// collect takes what is waiting: every person's item first, then machine
// items up to their share. No artificial delay: while one transaction
// commits, the next one's items gather.
func (g *GroupCommit) collect(first *gcItem) []*gcItem {
	var batch []*gcItem
	nops, nmachine := 0, 0
	take := func(it *gcItem) {
		if !it.state.CompareAndSwap(itemQueued, itemTaken) {
			return // its caller gave up before the writer got to it
		}
		batch = append(batch, it)
		nops += len(it.ops)
		if it.machine {
			nmachine += len(it.ops)
		}
	}
	if first != nil {
		take(first)
	}
people:
	for nops < g.opt.MaxBatch {
		select {
		case it := <-g.people:
			take(it)
		default:
			break people
		}
	}
machine:
	for nops < g.opt.MaxBatch && nmachine < g.opt.MaxMachine {
		select {
		case it := <-g.machine:
			take(it)
		default:
			break machine
		}
	}
	return batch
}

func (g *GroupCommit) run(batch []*gcItem) {
	n := 0
	for _, it := range batch {
		n += len(it.ops)
	}
	start := time.Now()
	// The figures are taken before the callers wake, so a caller that
	// reads them after its answer sees its own transaction counted.
	g.DB.runBatchThen(batch, func() {
		took := int64(time.Since(start))
		g.batches.Add(1)
		g.ops.Add(int64(n))
		g.busy.Add(took)
		storeMax(&g.maxOps, int64(n))
		storeMax(&g.maxBusy, took)
		if g.opt.Observe != nil {
			g.opt.Observe(n, time.Duration(took))
		}
	})
}

func storeMax(m *atomic.Int64, v int64) {
	for {
		old := m.Load()
		if v <= old || m.CompareAndSwap(old, v) {
			return
		}
	}
}

// gcBatch is one transaction of the writer, as an operation sees it.
type gcBatch struct {
	db  *DB
	tx  *sql.Tx
	ctx context.Context // never cancelled: one caller's context must not abort the others' transaction
	// hooks run when the current operation's savepoint is released, to
	// keep in-memory state (the audit chain's head) in step with what
	// stays written.
	hooks []func()
	audit struct {
		loaded bool
		first  bool // no head row yet (SQLite): insert it at the end
		dirty  bool
		seq    int64
		hash   string
	}
}

func (b *gcBatch) onRelease(f func()) { b.hooks = append(b.hooks, f) }

func (b *gcBatch) exec(q string, args ...any) error {
	_, err := b.tx.ExecContext(b.ctx, b.db.q(q), args...)
	return err
}

// runBatch writes the items in one transaction, each operation in its own
// savepoint, then commits and wakes the callers. It is also the plain
// store's path for several operations in one transaction.
//
// On PostgreSQL a savepoint costs two round trips per operation, more than
// most operations themselves; the batch is first tried without them, and
// only if an operation fails is it rolled back and run again with them, so
// the failing one fails alone. Operations are written to be run again:
// they reset their results and rebuild what they insert.
func (db *DB) runBatch(items []*gcItem) { db.runBatchThen(items, nil) }

// runBatchThen is runBatch; then, when set, runs after the transaction
// ended and before the callers are woken.
func (db *DB) runBatchThen(items []*gcItem, then func()) {
	var err error
	if db.dialect == "postgres" {
		if err = db.runBatchTx(context.Background(), items, false); err != nil {
			for _, it := range items {
				clear(it.errs)
			}
			err = db.runBatchTx(context.Background(), items, true)
		}
	} else {
		err = db.runBatchTx(context.Background(), items, true)
	}
	if then != nil {
		then()
	}
	for _, it := range items {
		it.err = err
		close(it.done)
	}
}

// runBatchTx writes the items in one transaction. Without savepoints the
// first failing operation fails the whole transaction (its error is
// returned; the items' errors are not final).
func (db *DB) runBatchTx(ctx context.Context, items []*gcItem, savepoints bool) (err error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if err := db.takeLocks(ctx, tx, items); err != nil {
		return err
	}
	b := &gcBatch{db: db, tx: tx, ctx: ctx}
	for _, it := range items {
		for i, op := range it.ops {
			if !savepoints {
				b.hooks = b.hooks[:0]
				if oerr := op(b); oerr != nil {
					return oerr
				}
				for _, h := range b.hooks {
					h()
				}
				continue
			}
			if err := b.exec(`SAVEPOINT gc`); err != nil {
				return err
			}
			b.hooks = b.hooks[:0]
			if oerr := op(b); oerr != nil {
				it.errs[i] = oerr
				// If the database rolled the whole transaction back (disk
				// full, I/O error), the savepoint is gone and this fails:
				// the batch fails as a whole rather than go on outside a
				// transaction.
				if err := b.exec(`ROLLBACK TO SAVEPOINT gc`); err != nil {
					return fmt.Errorf("after %v: %w", oerr, err)
				}
			} else {
				for _, h := range b.hooks {
					h()
				}
			}
			if err := b.exec(`RELEASE SAVEPOINT gc`); err != nil {
				return err
			}
		}
	}
	if err := b.finish(); err != nil {
		return err
	}
	return tx.Commit()
}

// finish writes what the batch keeps for all its operations: the audit
// chain's head.
func (b *gcBatch) finish() error {
	if !b.audit.dirty {
		return nil
	}
	if b.audit.first {
		return b.exec(`INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)`, b.audit.seq, b.audit.hash)
	}
	return b.exec(`UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, b.audit.seq, b.audit.hash)
}

// CreateCase is CreateCaseTimed without timers.
func (g *GroupCommit) CreateCase(ctx context.Context, c *model.Case, ev *model.Event, idemKey string) error {
	return g.CreateCaseTimed(ctx, c, ev, idemKey, nil)
}

// CreateCaseTimed inserts the case, its first event, its timers and its
// outbox row inside the next group transaction.
//
// The request's audit entry, when it has one to claim, is sealed onto the
// chain in the case's own savepoint: the case and its entry commit
// together or not at all.
func (g *GroupCommit) CreateCaseTimed(ctx context.Context, c *model.Case, ev *model.Event, idemKey string, timers []store.TimerSpec) error {
	ae, unclaim := claimAudit(ctx, "")
	it := newItem(func(b *gcBatch) error {
		if err := b.createCase(c, ev, idemKey, timers); err != nil {
			return err
		}
		if ae == nil {
			return nil
		}
		_, err := b.appendAudit(*caseAudit(ae, c.ID))
		return err
	})
	err := g.submit(ctx, it)
	if err == nil {
		err = it.result(0)
	}
	if err != nil {
		unclaim()
	}
	// Two nodes racing on one key (PostgreSQL): the loser's insert hits
	// the unique index; answer as if it had found the winner's case.
	if err != nil && idemKey != "" && isUnique(err) {
		if id, lerr := g.caseIDByKey(ctx, g.w, idemKey); lerr == nil {
			c.ID = id
			return store.ErrConflict
		}
	}
	return err
}

// createCase is the store's CreateCaseTimed as one operation of a batch:
// the same rows, written by the same code.
func (b *gcBatch) createCase(c *model.Case, ev *model.Event, idemKey string, timers []store.TimerSpec) error {
	return b.db.newCase(b.ctx, b.tx, c, ev, idemKey, timers, true)
}

// AppendAudit seals e onto the chain inside the next group transaction.
// The head is read once per transaction (FOR UPDATE on PostgreSQL, so
// nodes still append in line) and written once at its end.
func (g *GroupCommit) AppendAudit(ctx context.Context, e *audit.Entry) error {
	return g.AppendAuditBatch(ctx, []*audit.Entry{e})
}

// AppendAuditBatch seals the entries in order inside the next group
// transaction, all or none (one savepoint for the lot).
func (g *GroupCommit) AppendAuditBatch(ctx context.Context, entries []*audit.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	in := make([]audit.Entry, len(entries))
	for i, e := range entries {
		in[i] = *e
	}
	var sealed []audit.Entry
	it := newItem(func(b *gcBatch) error {
		s, err := b.appendAudit(in...)
		sealed = s
		return err
	})
	err := g.submit(ctx, it)
	if err == nil {
		err = it.result(0)
	}
	if err == nil {
		for i := range entries {
			*entries[i] = sealed[i]
		}
	}
	return err
}

func (b *gcBatch) appendAudit(entries ...audit.Entry) ([]audit.Entry, error) {
	seq, hash, first := b.audit.seq, b.audit.hash, b.audit.first
	if !b.audit.loaded {
		var err error
		if seq, hash, first, err = b.loadAuditHead(); err != nil {
			return nil, err
		}
	}
	sealed := make([]audit.Entry, len(entries))
	for i, e := range entries {
		s, err := audit.Seal(e, seq, hash)
		if err != nil {
			return nil, err
		}
		if err := b.exec(`INSERT INTO audit_log (seq, at, user_id, username, role, action, target, result, ip, detail, alg, prev_hash, hash)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.Seq, ms(s.At), nullID(s.UserID), s.Username, s.Role, s.Action,
			s.Target, s.Result, s.IP, s.Detail, s.Alg, s.PrevHash, s.Hash); err != nil {
			return nil, err
		}
		sealed[i], seq, hash = s, s.Seq, s.Hash
	}
	// The head moves only if these entries stay: a rolled-back savepoint
	// leaves it (and, on PostgreSQL, its row lock) as it was.
	b.onRelease(func() {
		b.audit.loaded, b.audit.first, b.audit.dirty = true, first, true
		b.audit.seq, b.audit.hash = seq, hash
	})
	return sealed, nil
}

// loadAuditHead reads the chain's head as AppendAudit does.
func (b *gcBatch) loadAuditHead() (seq int64, hash string, first bool, err error) {
	q := `SELECT seq, hash FROM audit_head WHERE id = 1`
	if b.db.dialect == "postgres" {
		q += ` FOR UPDATE`
	}
	hash = audit.Genesis
	err = b.tx.QueryRowContext(b.ctx, q).Scan(&seq, &hash)
	first = errors.Is(err, sql.ErrNoRows)
	if err != nil && !first {
		return 0, "", false, err
	}
	if first && b.db.dialect == "postgres" {
		if err := b.exec(`INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, ?) ON CONFLICT DO NOTHING`, audit.Genesis); err != nil {
			return 0, "", false, err
		}
		if err := b.tx.QueryRowContext(b.ctx, q).Scan(&seq, &hash); err != nil {
			return 0, "", false, err
		}
		first = false
	}
	return seq, hash, first, nil
}

// PutCasePlace records how a case was placed inside the next group
// transaction: the service writes it right after each create, and as a
// transaction of its own it would cost every create a second commit.
func (g *GroupCommit) PutCasePlace(ctx context.Context, p store.CasePlace) error {
	it := newItem(func(b *gcBatch) error { return b.putCasePlace(p) })
	if err := g.submit(ctx, it); err != nil {
		return err
	}
	return it.result(0)
}

// putCasePlace is the same statement as DB.PutCasePlace.
func (b *gcBatch) putCasePlace(p store.CasePlace) error {
	return b.exec(`INSERT INTO case_places (case_id, grid_version, rule_id, rule_version, co_units, component_code, component_m, fallback, exact)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
 ON CONFLICT (case_id) DO UPDATE SET grid_version = excluded.grid_version, rule_id = excluded.rule_id, rule_version = excluded.rule_version,
 co_units = excluded.co_units, component_code = excluded.component_code, component_m = excluded.component_m, fallback = excluded.fallback, exact = excluded.exact`,
		p.CaseID, p.GridVersion, p.RuleID, p.RuleVersion, joinIDs(p.CoUnitIDs), p.ComponentCode, p.ComponentM, boolInt(p.Fallback), boolInt(p.Exact))
}

// ChainPendingAudit moves unchained entries (written by transactions
// outside the batching writer) onto the chain inside the next group
// transaction, so the writer's cached head stays the only head.
func (g *GroupCommit) ChainPendingAudit(ctx context.Context, limit int) (int, error) {
	if waiting, err := g.auditWaiting(ctx); err != nil || !waiting {
		return 0, err
	}
	n := 0
	it := newItem(func(b *gcBatch) error {
		n = 0
		ids, entries, err := b.db.pendingAudit(b.ctx, b.tx, limit)
		if err != nil || len(entries) == 0 {
			return err
		}
		if _, err := b.appendAudit(entries...); err != nil {
			return err
		}
		n = len(entries)
		return b.db.deletePending(b.ctx, b.tx, ids)
	})
	if err := g.submit(ctx, it); err != nil {
		return 0, err
	}
	return n, it.result(0)
}
