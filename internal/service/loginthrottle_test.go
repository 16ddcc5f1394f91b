package service

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
)

// counters are the two login counters under test: in memory, and in the
// database (over SQLite here; the app's TestLoginThrottleAcrossNodes runs
// it on PostgreSQL with two nodes).
func counters(t *testing.T) map[string]func() loginCounter {
	return map[string]func() loginCounter{
		"memory": func() loginCounter { return newLoginsMem() },
		"database": func() loginCounter {
			st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "logins.db"), sqlstore.SQLiteOptions{Synchronous: "NORMAL"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return &sharedLogins{s: &Service{store: st, log: slog.New(slog.DiscardHandler)}}
		},
	}
}

// TestLoginThrottlePolicy walks the counts through time with a clock of
// its own: a pair waits from its 5th failure (1 s, doubling to 15 min), a
// success forgets it, the address allows 100 failures before it waits,
// another address or name is not touched, and a name can be forgotten
// from every address at once. Both counters (memory, database) decide
// alike.
func TestLoginThrottlePolicy(t *testing.T) {
	for name, open := range counters(t) {
		t.Run(name, func(t *testing.T) { testLoginThrottlePolicy(t, open()) })
	}
}

func testLoginThrottlePolicy(t *testing.T, m loginCounter) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	now := t0
	attacker := loginKeysFor("leader", "127.0.0.2")
	fail := func(k loginKeys) time.Duration { return m.begin(ctx, k, now) }

	for i := 1; i <= 4; i++ {
		if w := fail(attacker); w != 0 {
			t.Fatalf("failure %d waited %s", i, w)
		}
	}
	if w := fail(attacker); w != 0 { // the 5th is checked, then waits begin
		t.Fatalf("5th attempt waited %s", w)
	}
	if w := fail(attacker); w != time.Second {
		t.Fatalf("after 5 failures: wait %s, want 1s", w)
	}
	// Each failure after a wait doubles the next wait, up to 15 minutes.
	want := time.Second
	for i := 0; i < 14; i++ {
		now = now.Add(want)
		if w := fail(attacker); w != 0 {
			t.Fatalf("after waiting %s: still %s", want, w)
		}
		want = min(2*want, 15*time.Minute)
		if w := fail(attacker); w != want {
			t.Fatalf("failure %d: wait %s, want %s", 6+i, w, want)
		}
	}
	if want != 15*time.Minute {
		t.Fatalf("the wait never reached its cap: %s", want)
	}
	// The owner at another address, and another name at the attacker's
	// address, are not slowed down.
	owner := loginKeysFor("leader", "127.0.0.3")
	if w := fail(owner); w != 0 {
		t.Fatalf("the owner at another address waits %s", w)
	}
	m.succeeded(ctx, owner, now)
	if w := fail(loginKeysFor("operator1", "127.0.0.2")); w != 0 {
		t.Fatalf("another name at the attacker's address waits %s", w)
	}
	// Names are compared trimmed, as the login trims them.
	if w := fail(loginKeysFor(" leader ", "127.0.0.2")); w == 0 {
		t.Fatalf("spaces around the name escape the count")
	}
	// An administrator's reset forgets the name from every address.
	m.forgetName(ctx, loginKeysFor("leader", ""))
	if w := fail(attacker); w != 0 {
		t.Fatalf("after forgetName: wait %s", w)
	}

	// A success forgets the pair: four failures, a success, four more
	// never wait.
	typo := loginKeysFor("dispatcher", "10.1.1.1")
	for range 2 {
		for i := 0; i < 4; i++ {
			if w := fail(typo); w != 0 {
				t.Fatalf("typo %d waits %s", i, w)
			}
		}
		fail(typo)
		m.succeeded(ctx, typo, now)
	}

	// The address: 100 failures over many names, then it waits, for any
	// name — a name never tried included; successes do not count.
	now = now.Add(24 * time.Hour)
	for i := 0; i < 50; i++ {
		k := loginKeysFor("staff"+string(rune('A'+i%26))+string(rune('a'+i/26)), "10.2.2.2")
		if w := fail(k); w != 0 {
			t.Fatalf("success %d waits %s", i, w)
		}
		m.succeeded(ctx, k, now)
	}
	for i := 0; i < 100; i++ {
		k := loginKeysFor("name"+string(rune('A'+i%26))+string(rune('a'+i/26)), "10.2.2.2")
		if w := fail(k); w != 0 {
			t.Fatalf("address failure %d waits %s", i+1, w)
		}
	}
	if w := fail(loginKeysFor("never-tried", "10.2.2.2")); w != time.Second {
		t.Fatalf("after 100 failures from one address: wait %s, want 1s", w)
	}
	// Ten minutes later the address has forgotten them.
	now = now.Add(10 * time.Minute)
	if w := fail(loginKeysFor("never-tried", "10.2.2.2")); w != 0 {
		t.Fatalf("ten minutes later the address still waits %s", w)
	}
	// The sweep keeps what still counts and drops what leaked away.
	mem, ok := m.(*loginsMem)
	if !ok {
		return // the store suite tests the database's pruning
	}
	if _, ok := mem.counts[loginKeysFor("never-tried", "10.2.2.2").pair]; !ok {
		t.Fatalf("swept too early")
	}
	now = now.Add(48 * time.Hour)
	fail(loginKeysFor("x", "10.9.9.9"))
	if len(mem.counts) != 2 {
		t.Fatalf("after two days %d counts are kept, want the 2 just made", len(mem.counts))
	}
}

func TestThrottleAddr(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.2":            "127.0.0.2",
		"::ffff:10.0.0.1":      "10.0.0.1",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::1": "2001:db8:1:2::/64",
		"":                     "-",
		"@":                    "@",
	} {
		if got := throttleAddr(in); got != want {
			t.Errorf("throttleAddr(%q) = %q, want %q", in, got, want)
		}
	}
	if ClientAddr("[2001:db8::1]:443") != "2001:db8::1" || ClientAddr("127.0.0.2:5000") != "127.0.0.2" || ClientAddr("pipe") != "pipe" {
		t.Errorf("ClientAddr")
	}
}

// TestLoginThrottleClockSetBack: a clock set back (an operator correcting
// the time, a test's injected clock) never turns a failure count into a
// wait of days: the wait stays within the level's, and a fresh pair is
// not throttled at all. Both counters.
func TestLoginThrottleClockSetBack(t *testing.T) {
	for name, open := range counters(t) {
		t.Run(name, func(t *testing.T) { testLoginThrottleClockSetBack(t, open()) })
	}
}

func testLoginThrottleClockSetBack(t *testing.T, m loginCounter) {
	ctx := context.Background()
	later := time.Date(2026, 3, 6, 9, 0, 0, 0, time.UTC)
	k := loginKeysFor("leader", "127.0.0.2")
	for range 6 {
		m.begin(ctx, k, later)
	}
	back := later.Add(-96 * time.Hour)
	if w := m.begin(ctx, k, back); w <= 0 || w > 15*time.Minute {
		t.Fatalf("wait after the clock went back 4 days: %s, want (0, 15m]", w)
	}
	fresh := loginKeysFor("operator1", "127.0.0.2")
	m.succeeded(ctx, fresh, later)
	if w := m.begin(ctx, fresh, back); w != 0 {
		t.Fatalf("a fresh name waited %s after the clock went back", w)
	}
}

// TestLoginThrottleStoreDown: when the database cannot count, attempts
// are let through to the password check rather than everyone locked out.
func TestLoginThrottleStoreDown(t *testing.T) {
	m := counters(t)["database"]().(*sharedLogins)
	m.s.store.Close()
	k := loginKeysFor("leader", "127.0.0.2")
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for i := range 10 {
		if w := m.begin(context.Background(), k, now); w != 0 {
			t.Fatalf("attempt %d with the store closed waited %s", i, w)
		}
	}
}
