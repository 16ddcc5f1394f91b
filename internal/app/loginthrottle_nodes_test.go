package app_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// TestLoginThrottleAcrossNodes: two nodes on one PostgreSQL database keep
// one login throttle. Failures for a name from one address, alternating
// between the nodes, throttle the pair on both after the fifth (not the
// tenth); ten attempts at once spread over both nodes get exactly five
// password checks, the rest 429 (the check and the count are one step
// across nodes); the owner at another address is not slowed; and an
// administrator's reset on one node lifts the throttle on the other.
func TestLoginThrottleAcrossNodes(t *testing.T) {
	url := storetest.PostgresURL(t)
	clock := &wfClock{t: time.Date(2026, 3, 2, 9, 0, 10, 0, calendar.Beijing())} // stands still unless moved
	hs := make([]*harness, 2)
	first := t.TempDir()
	for i := range hs {
		dir, keys := first, "" // node 0 makes the key ring; the other shares it, as in production
		if i > 0 {
			dir, keys = t.TempDir(), filepath.Join(first, "pii.keys")
		}
		a, err := app.Open(context.Background(), app.Config{DataDir: dir, DatabaseURL: url, Demo: true, DemoCases: 20,
			Now: clock.Now, TimerTick: -1, PublicPerMinute: -1, PIIKeys: keys})
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		srv := httptest.NewServer(a.Handler)
		hs[i] = &harness{t: t, app: a, srv: srv}
		t.Cleanup(func() { srv.Close(); a.Close() })
	}
	const attacker, owner = "127.0.0.2", "127.0.0.3"
	for i := 1; i <= 5; i++ {
		if r := hs[i%2].loginAt(attacker, "operator2", "wrong"); r.status != 401 {
			t.Fatalf("failure %d on node %d: %d %s", i, i%2, r.status, r.raw)
		}
	}
	for i, h := range hs {
		r := h.loginAt(attacker, "operator2", "yiwang-demo")
		if r.status != 429 || r.header.Get("Retry-After") != "1" || errCode(r) != "too_many_attempts" {
			t.Fatalf("after 5 failures over both nodes, node %d: %d %q %s", i, r.status, r.header.Get("Retry-After"), r.raw)
		}
	}
	if r := hs[1].loginAt(owner, "operator2", "yiwang-demo"); r.status != 200 {
		t.Fatalf("the owner at another address: %d %s", r.status, r.raw)
	}

	// Ten attempts at once for another name, five on each node: exactly
	// five reach the password check.
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			r := hs[i%2].loginAt("127.0.0.4", "operator1", "wrong")
			mu.Lock()
			statuses[r.status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[401] != 5 || statuses[429] != 5 {
		t.Fatalf("10 attempts at once over two nodes: %v, want 5 × 401 and 5 × 429", statuses)
	}

	// Waits grow on either node: after the wait, one failure, then 2 s.
	clock.Set(clock.Now().Add(time.Second))
	if r := hs[0].loginAt(attacker, "operator2", "wrong"); r.status != 401 {
		t.Fatalf("after the wait: %d %s", r.status, r.raw)
	}
	if r := hs[1].loginAt(attacker, "operator2", "yiwang-demo"); r.status != 429 || r.header.Get("Retry-After") != "2" {
		t.Fatalf("the second wait on the other node: %d %q", r.status, r.header.Get("Retry-After"))
	}

	// The reset on node 0 lifts the throttle on node 1.
	admin, target := mustUser(t, hs[0], "admin"), mustUser(t, hs[0], "operator2")
	pw, _, err := hs[0].app.Service.AdminResetPassword(context.Background(), admin, target.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := hs[1].loginAt(attacker, "operator2", pw); r.status != 200 {
		t.Fatalf("the new password on the other node at once after the reset: %d %s", r.status, r.raw)
	}
}
