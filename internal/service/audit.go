package service

import (
	"context"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
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
// then writes what is left.
func (s *Service) RunAuditWriter(ctx context.Context) {
	aq := &auditQueue{q: make(chan audit.Entry, 4096), flush: make(chan chan struct{}), done: make(chan struct{})}
	s.auditQ.Store(aq)
	write := func(batch []audit.Entry) {
		ptrs := make([]*audit.Entry, len(batch))
		for i := range batch {
			ptrs[i] = &batch[i]
		}
		if err := s.store.AppendAuditBatch(context.WithoutCancel(ctx), ptrs); err != nil {
			s.log.Error("audit entries not written", "entries", len(batch), "err", err)
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
					write([]audit.Entry{e})
				default:
					return
				}
			}
		case ack := <-aq.flush:
			// Everything queued before the flush request is in the channel.
			var batch []audit.Entry
			for len(aq.q) > 0 {
				batch = append(batch, <-aq.q)
			}
			if len(batch) > 0 {
				write(batch)
			}
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
			s.log.Error("audit entries not chained yet", "err", err)
			return
		}
		if n < 500 {
			return
		}
	}
}

// VerifyAudit checks the whole audit chain.
func (s *Service) VerifyAudit(ctx context.Context) (int64, error) {
	return audit.VerifyAll(ctx, s.store)
}
