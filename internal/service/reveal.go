package service

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// mayReveal lists the roles that may see a reporter unmasked, with a
// reason: the hotline operator calling back, the supervision centre, the
// discipline commission. Handling units and grid workers never may.
func mayReveal(r model.Role) bool {
	switch r {
	case model.RoleOperator, model.RoleSupervisor, model.RoleDiscipline:
		return true
	}
	return false
}

// RevealReporter returns a case's reporter unmasked for a permitted role
// with a stated reason, and writes the view to the audit chain before
// answering. Anonymous reporters are never revealed.
func (s *Service) RevealReporter(ctx context.Context, actor model.User, caseID int64, reason, ip string) (model.Reporter, error) {
	reason = strings.TrimSpace(reason)
	entry := audit.Entry{UserID: actor.ID, Username: actor.Username, Role: string(actor.Role), Action: "reveal_reporter",
		Target: "case:" + itoa(caseID), IP: ip, Detail: reason}
	// A refused attempt is recorded before the refusal is answered: who
	// tried to see whom is what an investigation of a leak asks first.
	deny := func(err error) (model.Reporter, error) {
		entry.Result, entry.At, entry.Alg = "denied", s.now(), s.auditAlg
		if aerr := s.store.AppendAudit(context.WithoutCancel(ctx), &entry); aerr != nil {
			return model.Reporter{}, aerr
		}
		return model.Reporter{}, err
	}
	c, err := s.store.Case(ctx, caseID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.CanSee(actor, c)) {
		return deny(ErrNotFound)
	}
	if err != nil {
		return model.Reporter{}, err
	}
	if !mayReveal(actor.Role) || c.Anonymous {
		return deny(ErrForbidden)
	}
	if utf8.RuneCountInString(reason) < 4 {
		return model.Reporter{}, Invalid("reason", "field.reason_required")
	}
	entry.Result, entry.At, entry.Alg = "ok", s.now(), s.auditAlg
	// The view is recorded before the data leaves: no record, no reveal.
	if err := s.store.AppendAudit(ctx, &entry); err != nil {
		return model.Reporter{}, err
	}
	return c.Reporter, nil
}
