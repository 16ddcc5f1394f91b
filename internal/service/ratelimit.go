package service

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Rate limits (an API key's requests, anonymous writes per address) are
// counted where every node sees them: in the shared PostgreSQL database
// when there is one, so that a key's limit is one limit and not one per
// node; in memory on a single SQLite node, where a database write per
// request would buy nothing.
type rateCounter interface {
	allow(ctx context.Context, bucket string, perMinute, burst int, now time.Time) (bool, time.Duration)
}

// AllowRate takes one request from bucket, which may have perMinute a
// minute (in bursts of up to burst on a single node; a shared count
// allows perMinute in each clock minute). When the bucket is spent it
// reports false and how long to wait. perMinute ≤ 0 means no limit.
func (s *Service) AllowRate(ctx context.Context, bucket string, perMinute, burst int) (bool, time.Duration) {
	if perMinute <= 0 {
		return true, 0
	}
	return s.rates.allow(ctx, bucket, perMinute, max(burst, 1), s.now())
}

func newRateCounter(s *Service) rateCounter {
	if s.store.Dialect() == "postgres" {
		return &sharedRates{s: s}
	}
	return &memRates{buckets: map[string]*tokenBucket{}}
}

// memRates is a token bucket per bucket name.
type memRates struct {
	mu      sync.Mutex
	buckets map[string]*tokenBucket
	swept   time.Time
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

func (m *memRates) allow(_ context.Context, name string, perMinute, burst int, now time.Time) (bool, time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.swept) > 10*time.Minute {
		// Full buckets hold nothing worth keeping: forget them, so that
		// addresses seen once do not pile up.
		for k, b := range m.buckets {
			if now.Sub(b.last) > 10*time.Minute {
				delete(m.buckets, k)
			}
		}
		m.swept = now
	}
	capacity, rate := float64(burst), float64(perMinute)
	b, ok := m.buckets[name]
	if !ok {
		b = &tokenBucket{tokens: capacity, last: now}
		m.buckets[name] = b
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = math.Min(capacity, b.tokens+el.Minutes()*rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Minute))
}

// sharedRates counts hits per clock minute in the database.
type sharedRates struct {
	s      *Service
	pruned atomic.Int64 // the minute (Unix ms) this node last pruned in
}

func (r *sharedRates) allow(ctx context.Context, bucket string, perMinute, _ int, now time.Time) (bool, time.Duration) {
	window := now.Truncate(time.Minute)
	if w := window.UnixMilli(); r.pruned.Load() != w && r.pruned.Swap(w) != w {
		if _, err := r.s.store.PruneRates(context.WithoutCancel(ctx), window.Add(-2*time.Minute)); err != nil {
			r.s.log.Warn("rate counts not pruned", "err", err)
		}
	}
	n, err := r.s.store.HitRate(context.WithoutCancel(ctx), bucket, window)
	if err != nil {
		// A limit that cannot be counted does not refuse anyone: the
		// database's trouble shows elsewhere.
		r.s.log.Warn("rate not counted", "bucket", bucket, "err", err)
		return true, 0
	}
	if n > perMinute {
		return false, window.Add(time.Minute).Sub(now)
	}
	return true, 0
}
