package service

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yiwang-gov/yiwang/internal/store"
)

// ErrStorageFull is what a write refused for lack of space is to the
// handlers: 503 with Retry-After (the API) or a page saying so (the web),
// never a bare 500. StorageFull recognises it under the store's errors.
var ErrStorageFull = errors.New("storage full")

// ErrBusy is work the server could not take on now: every attachment
// decode slot stayed taken for longer than the wait (sanitize.ErrBusy).
// It is not the request's fault and nothing was stored, so the handlers
// answer 503 with Retry-After (BusyRetryAfter seconds), as for a full
// disk, and the same request may be sent again as it is; a file that is
// refused for what it is (a decode bomb, unreadable) stays a 422.
var ErrBusy = errors.New("busy")

// BusyRetryAfter is the Retry-After (seconds) of an ErrBusy answer: a few
// decodes' time.
const BusyRetryAfter = 5

// Reasons the health probe gives for not being ready.
const (
	ReasonDatabase     = "database"                 // the database does not answer
	ReasonDiskFull     = "disk_full"                // a write failed for space just now
	ReasonPersonalData = "personal_data_unreadable" // the key ring does not open the data
)

// UnhealthyError is the health probe's failure with its reason.
type UnhealthyError struct {
	Reason string
	Err    error
}

func (e *UnhealthyError) Error() string { return e.Reason + ": " + e.Err.Error() }
func (e *UnhealthyError) Unwrap() error { return e.Err }

// diskFullWindow is how long after a write failed for space the health
// probe stays 503 unless a write (or its own probe write) succeeds.
const diskFullWindow = 30 * time.Second

// probeTTL is how long the health probe's own checks (opening a sealed
// value, the probe write while the disk is full) are reused: a load
// balancer asking every second costs one check in five seconds.
const probeTTL = 5 * time.Second

// probeBytes is the size of the probe write while the disk is full.
const probeBytes = 16 << 10

// health is the service's memory of what the health probe reports.
type health struct {
	// fullAt is when a write last failed for space (Unix ms, 0: not since
	// the last success); fullErrors counts such failures.
	fullAt     atomic.Int64
	fullErrors atomic.Int64

	mu       sync.Mutex
	sealedAt time.Time
	sealed   error
	probedAt time.Time
}

// StorageFull reports whether err is a write refused for lack of space,
// and if so remembers it for the health probe and the metrics. Handlers
// call it on the errors they are about to answer; background writers (the
// audit writer) on theirs.
func (s *Service) StorageFull(err error) bool {
	if err == nil || !(errors.Is(err, ErrStorageFull) || store.IsDiskFull(err)) {
		return false
	}
	s.health.fullAt.Store(s.now().UnixMilli())
	s.health.fullErrors.Add(1)
	return true
}

// writeSucceeded ends the disk-full state: a write got through.
func (s *Service) writeSucceeded() { s.health.fullAt.Store(0) }

// StorageFullStats are the disk-full figures for the metrics: whether the
// probe reports a full disk now, and how many writes failed for space.
func (s *Service) StorageFullStats() (full bool, errors int64) {
	at := s.health.fullAt.Load()
	return at != 0 && s.now().Sub(time.UnixMilli(at)) < diskFullWindow, s.health.fullErrors.Load()
}

// Ping is the health probe: the store answers, no write failed for space
// in the last diskFullWindow (unless a write has succeeded since), and the
// key ring opens the newest sealed value (a ring lacking a key answers
// every case read with an error). Failures are *UnhealthyError.
func (s *Service) Ping(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return &UnhealthyError{Reason: ReasonDatabase, Err: err}
	}
	if err := s.pingDiskFull(ctx); err != nil {
		return &UnhealthyError{Reason: ReasonDiskFull, Err: err}
	}
	if err := s.pingSealed(ctx); err != nil {
		return &UnhealthyError{Reason: ReasonPersonalData, Err: err}
	}
	return nil
}

// pingDiskFull: while the disk-full state holds, one small write (at most
// every probeTTL) tells whether space is back, so the probe recovers even
// when no request writes.
func (s *Service) pingDiskFull(ctx context.Context) error {
	at := s.health.fullAt.Load()
	now := s.now()
	if at == 0 || now.Sub(time.UnixMilli(at)) >= diskFullWindow {
		return nil
	}
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if now.Sub(h.probedAt) < probeTTL {
		return ErrStorageFull
	}
	h.probedAt = now
	// As large as a large case write: a probe that fits in the last free
	// page would say "ok" while every case is still refused.
	err := s.store.SetSetting(ctx, "health.write_probe", strconv.FormatInt(now.UnixMilli(), 10)+strings.Repeat(".", probeBytes))
	if err == nil {
		s.writeSucceeded()
		return nil
	}
	if s.StorageFull(err) {
		return err
	}
	return nil // another failure is not the disk's; the store's ping judges the database
}

// pingSealed opens one sealed value, at most every probeTTL.
func (s *Service) pingSealed(ctx context.Context) error {
	p, ok := s.store.(interface{ ProbeSealed(context.Context) error })
	if !ok {
		return nil
	}
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	now := s.now()
	if !h.sealedAt.IsZero() && now.Sub(h.sealedAt) < probeTTL && !now.Before(h.sealedAt) {
		return h.sealed
	}
	err := p.ProbeSealed(ctx)
	if ctx.Err() != nil {
		return err // a client gone is no verdict to keep
	}
	h.sealedAt, h.sealed = now, err
	return err
}
