package open311

import (
	"math"
	"sync"
	"time"
)

// limiter is a token bucket per API key, in memory: each key may make
// rate requests a minute, in bursts of up to rate.
type limiter struct {
	mu      sync.Mutex
	buckets map[int64]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter() *limiter { return &limiter{buckets: map[int64]*bucket{}} }

// allow takes a token from the key's bucket. When none is left it reports
// false and how long until the next one.
func (l *limiter) allow(key int64, perMinute int, now time.Time) (bool, time.Duration) {
	if perMinute <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	capacity := float64(perMinute)
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: capacity, last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = math.Min(capacity, b.tokens+el.Minutes()*float64(perMinute))
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / float64(perMinute) * float64(time.Minute))
	return false, wait
}
