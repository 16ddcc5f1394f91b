package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yiwang-gov/yiwang/internal/store"
)

// Login throttling. Wrong passwords slow down the one who types them, not
// the account: failures are counted per (account name, client address)
// and per client address, never per account, so that
//
//   - a stranger at another address cannot lock the owner out: the owner's
//     pair has its own count;
//   - the answer never depends on whether the account exists: the counts
//     are kept for any name typed, real or not, and checked before the
//     account is even read;
//   - an office behind one address keeps working: a hundred staff logging
//     in is a hundred successes, and the address allows 100 failures in
//     ten minutes before it slows down.
//
// A count is a leaky level: each failure adds one, and one failure is
// forgotten per leak interval. Once the level reaches free, every further
// attempt waits first (doubling up to max) after the last failure.
type failPolicy struct {
	free  int           // failures allowed before any wait
	leak  time.Duration // one failure is forgotten per leak
	first time.Duration // the wait once free failures are reached
	max   time.Duration // the longest wait
}

var (
	// A pair (name, address): after 5 failures 1 s, then 2 s, 4 s … up to
	// 15 min; one failure is forgotten per hour, so a typo a day never
	// adds up.
	pairPolicy = failPolicy{free: 5, leak: time.Hour, first: time.Second, max: 15 * time.Minute}
	// An address: 100 failures in ten minutes (one forgotten every 6 s),
	// then the same growing waits, whatever the names tried.
	addrPolicy = failPolicy{free: 100, leak: 6 * time.Second, first: time.Second, max: 15 * time.Minute}
)

// wait is how long after the failure that brought the count to level the
// next attempt must wait.
func (p failPolicy) wait(level float64) time.Duration {
	n := int(math.Round(level))
	if n < p.free {
		return 0
	}
	return min(p.first<<min(n-p.free, 30), p.max)
}

// failCount is one key's state: the level just after the last failure and
// when that was.
type failCount struct {
	level float64
	at    time.Time
}

// now returns the level at t, after leaking. A clock set back (t before
// the last failure) leaks nothing rather than adding to the count.
func (c failCount) now(p failPolicy, t time.Time) float64 {
	return max(0, c.level-float64(max(0, t.Sub(c.at)))/float64(p.leak))
}

// blockedFor is how long from t the key still waits: never more than the
// level's wait, even when the clock was set back since the last failure.
func (c failCount) blockedFor(p failPolicy, t time.Time) time.Duration {
	w := p.wait(c.level)
	return min(w, max(0, c.at.Add(w).Sub(t)))
}

// loginKeys names the two counts an attempt touches: "pair:<name
// hash>:<address>" and "addr:<address>". The name is hashed: the counts
// need not hold (or spread) what people typed, and a megabyte of
// "username" stays 24 characters. Every pair of a name begins with
// "pair:<name hash>:" (the hash has a fixed length and no colon), which is
// how a reset finds them all, in memory or in the database.
type loginKeys struct {
	name string // the prefix of every pair of this name
	pair string
	addr string
}

const (
	pairPrefix = "pair:"
	addrPrefix = "addr:"
)

func loginKeysFor(username, client string) loginKeys {
	sum := sha256.Sum256([]byte(strings.TrimSpace(username)))
	name := pairPrefix + hex.EncodeToString(sum[:12]) + ":"
	a := throttleAddr(client)
	return loginKeys{name: name, pair: name + a, addr: addrPrefix + a}
}

// throttleAddr is the address failures are counted against: an IPv4
// address itself, an IPv6 address by its /64 (one subscriber's prefix: a
// single home or office line can use any address in it).
func throttleAddr(client string) string {
	ip := net.ParseIP(client)
	if ip == nil {
		if client == "" {
			return "-"
		}
		return client
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// ClientAddr is the client address of a request as the login throttle and
// the audit log name it: the host of r.RemoteAddr, the peer of the TCP
// connection. yiwang has no trusted-proxy setting and reads no
// X-Forwarded-For header (anyone can send one); behind a reverse proxy
// every client has the proxy's address, which the per-pair counts still
// tell apart.
func ClientAddr(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

// loginCounter keeps the counts: in memory on a single SQLite node
// (loginsMem), in the shared PostgreSQL database when several nodes may
// serve (sharedLogins), so that an attacker gets one allowance and not one
// per node, and a reset on any node clears the name on all of them. The
// choice is the rate limits' (newRateCounter).
type loginCounter interface {
	// begin checks an attempt: if its pair or its address must still
	// wait, it returns the longer wait and counts nothing. Otherwise it
	// counts the attempt as a failure on both at once (so concurrent
	// attempts cannot all slip through before the first is counted) and
	// returns 0; a success then takes it back (succeeded).
	begin(ctx context.Context, k loginKeys, now time.Time) time.Duration
	// succeeded forgets the pair and takes back the address's count.
	succeeded(ctx context.Context, k loginKeys, now time.Time)
	// forgetName forgets every pair of a name (an administrator's reset).
	forgetName(ctx context.Context, k loginKeys)
}

type loginsMem struct {
	mu     sync.Mutex
	counts map[string]failCount // by key; pairs and addresses
	swept  time.Time
}

func newLoginCounter(s *Service) loginCounter {
	if s.store.Dialect() == "postgres" {
		return &sharedLogins{s: s}
	}
	return newLoginsMem()
}

func newLoginsMem() *loginsMem { return &loginsMem{counts: map[string]failCount{}} }

func policyOf(key string) failPolicy {
	if strings.HasPrefix(key, addrPrefix) {
		return addrPolicy
	}
	return pairPolicy
}

// attempt is the one decision both counters make, from the counts as they
// stood before this attempt: the wait if the pair or the address must
// still wait (then nothing is counted), else the counts with this attempt
// added as a failure.
func attempt(pair, addr failCount, now time.Time) (wait time.Duration, nextPair, nextAddr failCount) {
	if w := max(pair.blockedFor(pairPolicy, now), addr.blockedFor(addrPolicy, now)); w > 0 {
		return w, pair, addr
	}
	return 0, failCount{level: pair.now(pairPolicy, now) + 1, at: now}, failCount{level: addr.now(addrPolicy, now) + 1, at: now}
}

func (m *loginsMem) begin(_ context.Context, k loginKeys, now time.Time) time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	w, pair, addr := attempt(m.counts[k.pair], m.counts[k.addr], now)
	if w > 0 {
		return w
	}
	m.counts[k.pair], m.counts[k.addr] = pair, addr
	return 0
}

func (m *loginsMem) succeeded(_ context.Context, k loginKeys, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.counts, k.pair)
	if c, ok := m.counts[k.addr]; ok {
		c.level = max(0, c.level-1)
		m.counts[k.addr] = c
	}
}

func (m *loginsMem) forgetName(_ context.Context, k loginKeys) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key := range m.counts {
		if strings.HasPrefix(key, k.name) {
			delete(m.counts, key)
		}
	}
}

// sweep drops, every ten minutes, the counts that have leaked away and
// wait no more, so that names and addresses seen once do not pile up.
func (m *loginsMem) sweep(now time.Time) {
	if now.Sub(m.swept) < 10*time.Minute {
		return
	}
	for key, c := range m.counts {
		p := policyOf(key)
		if c.now(p, now) == 0 && c.blockedFor(p, now) == 0 {
			delete(m.counts, key)
		}
	}
	m.swept = now
}

// sharedLogins keeps the counts in the database's login_throttle table.
// Each attempt reads its pair and address counts locked
// (store.UpdateLoginCounts), decides with attempt and writes in the same
// transaction, so attempts on two nodes at once are counted one after the
// other and cannot both pass on the count before either.
//
// A count the store cannot read or write lets the attempt through (and is
// logged): the throttle only slows down guessing, the password check
// still stands behind it, and refusing every login while the database
// stumbles would lock out everyone, the administrators who would fix it
// included.
type sharedLogins struct {
	s      *Service
	pruned atomic.Int64 // the hour (Unix ms) this node last pruned in
}

func toStore(c failCount) store.LoginCount   { return store.LoginCount{Level: c.level, At: c.at} }
func fromStore(c store.LoginCount) failCount { return failCount{level: c.Level, at: c.At} }

func (l *sharedLogins) begin(ctx context.Context, k loginKeys, now time.Time) time.Duration {
	ctx = context.WithoutCancel(ctx) // a count half made would be lost
	l.prune(ctx, now)
	var wait time.Duration
	err := l.s.store.UpdateLoginCounts(ctx, []string{k.pair, k.addr}, func(cur []store.LoginCount) []store.LoginCount {
		w, pair, addr := attempt(fromStore(cur[0]), fromStore(cur[1]), now)
		if wait = w; w > 0 {
			return nil
		}
		return []store.LoginCount{toStore(pair), toStore(addr)}
	})
	if err != nil {
		l.s.log.Warn("login attempt not counted; let through to the password check", "err", err)
		return 0
	}
	return wait
}

func (l *sharedLogins) succeeded(ctx context.Context, k loginKeys, _ time.Time) {
	err := l.s.store.UpdateLoginCounts(context.WithoutCancel(ctx), []string{k.pair, k.addr}, func(cur []store.LoginCount) []store.LoginCount {
		addr := cur[1]
		addr.Level = max(0, addr.Level-1)
		return []store.LoginCount{{}, addr} // a zero pair is a forgotten one
	})
	if err != nil {
		l.s.log.Warn("login success not counted", "err", err)
	}
}

func (l *sharedLogins) forgetName(ctx context.Context, k loginKeys) {
	if _, err := l.s.store.ForgetLoginCounts(context.WithoutCancel(ctx), k.name); err != nil {
		l.s.log.Warn("login failures of a name not forgotten", "err", err)
	}
}

// prune drops, once an hour per node, the counts that leaked away and
// wait no more (as rate windows are pruned by the counting itself).
func (l *sharedLogins) prune(ctx context.Context, now time.Time) {
	h := now.Truncate(time.Hour).UnixMilli()
	if l.pruned.Load() == h || l.pruned.Swap(h) == h {
		return
	}
	for prefix, p := range map[string]failPolicy{pairPrefix: pairPolicy, addrPrefix: addrPolicy} {
		if _, err := l.s.store.PruneLoginCounts(ctx, prefix, p.leak, p.max, now); err != nil {
			l.s.log.Warn("login counts not pruned", "err", err)
		}
	}
}

// ThrottledError says a login attempt came too soon after failures from
// its address (for its name or for any name) and how long to wait. It is
// answered the same for an account that exists and one that does not.
type ThrottledError struct{ Wait time.Duration }

func (e *ThrottledError) Error() string {
	return "too many login attempts; retry in " + e.Wait.String()
}

// RetryAfter is the wait in whole seconds, at least 1.
func (e *ThrottledError) RetryAfter() int { return max(1, int(math.Ceil(e.Wait.Seconds()))) }
