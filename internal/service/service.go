// Package service holds yiwang's use cases: taking in a case, routing it,
// moving it through its workflow, logging in. Handlers call the service;
// the service calls the store; nothing calls back up.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/sanitize"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// Deadliner computes a deadline from a rule (the working calendar).
type Deadliner interface {
	Deadline(rule model.DeadlineRule, from time.Time) (time.Time, error)
}

// Deps is everything the service needs, passed in explicitly.
type Deps struct {
	Store     store.Store
	Log       *slog.Logger
	Workflows *workflow.Registry
	Calendar  Deadliner
	// FilesDir is where attachment content is kept, by SHA-256.
	FilesDir string
	// Now is the clock; tests and the demo generator set it.
	Now func() time.Time
	// SessionTTL is how long a login lasts.
	SessionTTL time.Duration
	// Demo relaxes what demo accounts need (no second factor).
	Demo bool
	// AuditAlg is the audit chain's hash: "sha256" (default) or "sm3".
	AuditAlg string
	// ToleranceM is how far outside every grid a point may fall (GPS
	// error) and still be routed to the nearest grid.
	ToleranceM float64
	// WarnShare is the elapsed share of a clock at which a case turns
	// yellow, unless its definition says otherwise (default 0.8).
	WarnShare float64
	// PublicPrecisionM is the grid cell size (metres) the points of the
	// public Open311 output snap to; 0 means DefaultPublicPrecisionM.
	PublicPrecisionM float64
	// Attachments bound image decoding and name extra accepted types.
	Attachments AttachmentOptions
}

// Service implements yiwang's use cases.
type Service struct {
	store      store.Store
	log        *slog.Logger
	workflows  *workflow.Registry
	calendar   Deadliner // the calendar at start; the live one is eng.cal
	eng        engine
	filesDir   string
	now        func() time.Time
	sessionTTL time.Duration
	toleranceM float64
	// publicPrecisionM: see Deps.PublicPrecisionM.
	publicPrecisionM float64
	ref              atomic.Pointer[Reference]
	demo             bool
	auditQ           atomic.Pointer[auditQueue]
	auditAlg         string
	// sourcesGen moves when this node adds or revokes an event source, so
	// the intake's key cache reloads at once instead of within its TTL.
	sourcesGen atomic.Int64
	rates      rateCounter // see AllowRate
	timerStats timerCounters
	logins     loginCounter
	hashSlots  chan struct{} // argon2id verifications at once (checkPassword)
	health     health        // see Ping, StorageFull
	// auditPending and auditDropped are the audit writer's backlog of
	// refused entries and its drops over the bound (see RunAuditWriter).
	auditPending, auditDropped atomic.Int64
	// sanitizer re-encodes images and rewrites PDFs within its budgets;
	// its decode slots are this service's, shared by every upload path.
	sanitizer  *sanitize.Sanitizer
	extraTypes []string
}

// New builds the service and loads the reference data.
func New(ctx context.Context, d Deps) (*Service, error) {
	s := &Service{
		store: d.Store, log: d.Log, workflows: d.Workflows, calendar: d.Calendar, filesDir: d.FilesDir,
		now: d.Now, sessionTTL: d.SessionTTL, toleranceM: d.ToleranceM, demo: d.Demo, auditAlg: d.AuditAlg,
		sanitizer: sanitize.New(d.Attachments.Limits), extraTypes: d.Attachments.ExtraTypes,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sessionTTL == 0 {
		s.sessionTTL = 12 * time.Hour
	}
	if s.toleranceM == 0 {
		s.toleranceM = 30
	}
	s.publicPrecisionM = d.PublicPrecisionM
	if s.publicPrecisionM == 0 {
		s.publicPrecisionM = DefaultPublicPrecisionM
	}
	if s.publicPrecisionM < 1 || s.publicPrecisionM > MaxPublicPrecisionM {
		return nil, fmt.Errorf("public precision %v m: must be between 1 and %d", d.PublicPrecisionM, MaxPublicPrecisionM)
	}
	s.rates = newRateCounter(s)
	s.logins = newLoginCounter(s)
	s.hashSlots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	if err := s.initEngine(ctx, d); err != nil {
		return nil, err
	}
	return s, nil
}

// Workflows returns the loaded case-type definitions.
func (s *Service) Workflows() *workflow.Registry { return s.workflows }
