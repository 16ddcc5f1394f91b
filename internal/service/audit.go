package service

import (
	"context"

	"github.com/yiwang-gov/yiwang/internal/audit"
)

// Audit appends an entry to the audit chain. A failure is logged loudly:
// the request it records has already happened.
func (s *Service) Audit(ctx context.Context, e audit.Entry) {
	if e.At.IsZero() {
		e.At = s.now()
	}
	if e.Alg == "" {
		e.Alg = s.auditAlg
	}
	if err := s.store.AppendAudit(context.WithoutCancel(ctx), &e); err != nil {
		s.log.Error("audit entry not written", "action", e.Action, "user", e.Username, "err", err)
	}
}

// VerifyAudit checks the whole audit chain.
func (s *Service) VerifyAudit(ctx context.Context) (int64, error) {
	return audit.VerifyAll(ctx, s.store)
}
