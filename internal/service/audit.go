package service

import (
	"context"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// auditQueue feeds the background writer: requests hand their audit entry
// over and return, and the writer appends whole batches in one
// transaction, so busy nodes do not queue one by one on the chain's head.
type auditQueue struct {
	q     chan audit.Entry
	flush chan chan struct{}
	done  chan struct{}
}

// FlushAudit returns once every entry queued before the call is written
// (backups, tests, shutdown).
func (s *Service) FlushAudit(ctx context.Context) {
	aq := s.auditQ.Load()
	if aq == nil {
		return
	}
	ack := make(chan struct{})
	select {
	case aq.flush <- ack:
	case <-aq.done:
		return
	case <-ctx.Done():
		return
	}
	select {
	case <-ack:
	case <-aq.done:
	case <-ctx.Done():
	}
}

// Audit appends an entry to the audit chain, through the background writer
// when it runs. A failure is logged loudly: the request it records has
// already happened.
func (s *Service) Audit(ctx context.Context, e audit.Entry) {
	if e.At.IsZero() {
		e.At = s.now()
	}
	if e.Alg == "" {
		e.Alg = s.auditAlg
	}
	if aq := s.auditQ.Load(); aq != nil {
		select {
		case aq.q <- e:
			return
		case <-aq.done:
		}
	}
	if err := s.store.AppendAudit(context.WithoutCancel(ctx), &e); err != nil {
		s.log.Error("audit entry not written", "action", e.Action, "user", e.Username, "err", err)
	}
}

// ArmAudit prepares a write request's recorder so that the store commits
// its entry with the request's first audited write (audit.Recorder).
func (s *Service) ArmAudit(rec *audit.Recorder, action func() string, path, ip string) {
	rec.Arm(audit.Arm{Action: action, Path: path, IP: ip, Alg: s.auditAlg, Now: s.now})
}

// RunAuditWriter appends queued audit entries in batches until ctx ends,
// then writes what is left. A batch the store refuses (a full disk, a
// database away for a moment) is kept and retried with backoff, behind
// which later entries wait in order: the requests it records have
// happened, refused ones included. At most maxPendingAudit entries wait;
// beyond that the oldest are dropped, each drop logged and counted.
func (s *Service) RunAuditWriter(ctx context.Context) {
	aq := &auditQueue{q: make(chan audit.Entry, 4096), flush: make(chan chan struct{}), done: make(chan struct{})}
	s.auditQ.Store(aq)
	var pending []audit.Entry // refused, oldest first
	var backoff time.Duration
	failures := 0 // in a row, not for space
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	// drain writes pending in batches; false when the store refused one.
	drain := func() bool {
		for len(pending) > 0 {
			n := min(len(pending), 500)
			ptrs := make([]*audit.Entry, n)
			for i := range n {
				ptrs[i] = &pending[i]
			}
			if err := s.store.AppendAuditBatch(context.WithoutCancel(ctx), ptrs); err != nil {
				if !s.StorageFull(err) {
					failures++
				}
				if failures >= auditPoisonAfter {
					// Not the disk, again and again: perhaps one entry the
					// store can never take. The first goes alone; refused
					// alone too, it is dropped rather than hold the chain.
					err1 := s.store.AppendAuditBatch(context.WithoutCancel(ctx), ptrs[:1])
					if err1 == nil || !s.StorageFull(err1) {
						if err1 != nil {
							s.log.Error("audit entry dropped: the store refuses it", "action", pending[0].Action, "user", pending[0].Username, "at", pending[0].At, "err", err1)
							s.auditDropped.Add(1)
						}
						pending, failures = pending[1:], 0
						continue
					}
				}
				backoff = min(max(2*backoff, auditRetryMin), auditRetryMax)
				s.log.Error("audit entries not written yet; kept for a retry", "entries", len(pending), "retry_in", backoff, "err", err)
				retry.Reset(backoff)
				s.auditPending.Store(int64(len(pending)))
				return false
			}
			pending, failures = pending[n:], 0
		}
		pending, backoff = nil, 0
		s.auditPending.Store(0)
		return true
	}
	// keep puts entries behind the waiting ones, within the bound.
	keep := func(batch []audit.Entry) {
		pending = append(pending, batch...)
		if over := len(pending) - maxPendingAudit; over > 0 {
			for _, e := range pending[:over] {
				s.log.Error("audit entry dropped: too many entries waiting for the store", "action", e.Action, "user", e.Username, "at", e.At)
			}
			s.auditDropped.Add(int64(over))
			pending = pending[over:]
		}
	}
	write := func(batch []audit.Entry) {
		keep(batch)
		if backoff == 0 { // else the retry timer writes them
			drain()
		} else {
			s.auditPending.Store(int64(len(pending)))
		}
	}
	tick := time.NewTicker(chainEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			s.ChainPendingAudit(ctx)
		case <-ctx.Done():
			close(aq.done) // later entries are written directly
			for {
				select {
				case e := <-aq.q:
					keep([]audit.Entry{e})
				default:
					if !drain() {
						s.log.Error("audit entries lost at shutdown: the store refused them", "entries", len(pending))
					}
					return
				}
			}
		case <-retry.C:
			drain()
		case ack := <-aq.flush:
			// Everything queued before the flush request is in the channel.
			var batch []audit.Entry
			for len(aq.q) > 0 {
				batch = append(batch, <-aq.q)
			}
			keep(batch)
			drain()
			s.ChainPendingAudit(ctx)
			close(ack)
		case e := <-aq.q:
			batch := []audit.Entry{e}
		more:
			for len(batch) < 500 {
				select {
				case e := <-aq.q:
					batch = append(batch, e)
				default:
					break more
				}
			}
			write(batch)
		}
	}
}

// chainEvery is how often the audit writer links the entries that writes
// committed unchained onto the chain: they are durable from their commit,
// so this only bounds how stale `audit verify` and the audit pages are.
const chainEvery = 200 * time.Millisecond

// ChainPendingAudit links every entry that writes committed unchained
// (see audit.Recorder) onto the chain; at start-up it chains what a crash
// left. A failure is logged and retried at the next tick: the entries stay
// committed meanwhile.
func (s *Service) ChainPendingAudit(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := s.store.ChainPendingAudit(context.WithoutCancel(ctx), 500)
		if err != nil {
			// A full disk is on the health probe already; the entries are
			// committed and wait for the next tick without a log line each.
			if !store.IsDiskFull(err) {
				s.log.Error("audit entries not chained yet", "err", err)
			}
			return
		}
		if n < 500 {
			return
		}
	}
}

// The audit writer's retry of refused batches: from auditRetryMin doubling
// to auditRetryMax; at most maxPendingAudit entries (a few hundred bytes
// each, so some 30 MB) wait in memory.
const (
	auditRetryMin   = 250 * time.Millisecond
	auditRetryMax   = 10 * time.Second
	maxPendingAudit = 100_000
	// auditPoisonAfter failures in a row for a reason other than space
	// make the writer try the oldest entry alone (and drop it if refused).
	auditPoisonAfter = 3
)

// AuditBacklog is the audit writer's figures for the metrics: entries
// waiting for a retry, and entries dropped over the bound since start.
func (s *Service) AuditBacklog() (pending, dropped int64) {
	return s.auditPending.Load(), s.auditDropped.Load()
}

// VerifyAudit checks the whole audit chain.
func (s *Service) VerifyAudit(ctx context.Context) (int64, error) {
	return audit.VerifyAll(ctx, s.store)
}
