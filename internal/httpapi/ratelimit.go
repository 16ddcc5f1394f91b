package httpapi

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ipLimiter is a token bucket per client address for anonymous writes
// (citizens' reports, uploads, logins). Generous by default: mobile
// carriers put many citizens behind one address.
type ipLimiter struct {
	mu      sync.Mutex
	perMin  float64
	burst   float64
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newIPLimiter(perMin, burst int) *ipLimiter {
	return &ipLimiter{perMin: float64(perMin), burst: float64(burst), buckets: map[string]*bucket{}}
}

// allow takes a token for ip, or says how long until one is free.
func (l *ipLimiter) allow(ip string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute { // forget idle clients
		for k, b := range l.buckets {
			if now.Sub(b.last) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[ip]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[ip] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Minutes()*l.perMin)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.perMin * float64(time.Minute))
}

// limitedPublic reports whether a request is an anonymous write that the
// per-address limit applies to.
func limitedPublic(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Authorization") != "" {
		return false
	}
	p := r.URL.Path
	return p == "/api/v1/cases" || p == "/api/v1/attachments" || p == "/api/v1/login" || p == "/login" || p == "/report" ||
		strings.HasPrefix(p, "/track") || strings.HasPrefix(p, "/api/v1/track")
}

// rateLimit answers 429 with Retry-After when an address sends anonymous
// writes faster than allowed.
func (a *API) rateLimit(w http.ResponseWriter, r *http.Request) bool {
	if a.limiter == nil || !limitedPublic(r) {
		return true
	}
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	// Each kind of anonymous write has its own bucket: reporting a problem
	// must not use up the logins of staff behind the same address.
	ok, wait := a.limiter.allow(ip+" "+r.URL.Path, time.Now())
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		a.writeError(w, r, http.StatusTooManyRequests, "error.rate_limited", nil)
	}
	return ok
}
