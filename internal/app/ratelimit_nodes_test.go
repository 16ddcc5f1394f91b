package app_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// TestRateLimitsAcrossNodes: two nodes on one PostgreSQL database count an
// API key's requests and an address's anonymous writes together, so a
// limit of four a minute is four, not four per node (logins: twenty); another key and the
// next minute start afresh.
func TestRateLimitsAcrossNodes(t *testing.T) {
	url := storetest.PostgresURL(t)
	clock := &wfClock{t: time.Date(2026, 3, 2, 9, 0, 10, 0, calendar.Beijing())}
	hs := make([]*harness, 2)
	first := t.TempDir()
	for i := range hs {
		dir, keys := first, "" // node 0 makes the key ring; the other shares it, as in production
		if i > 0 {
			dir, keys = t.TempDir(), filepath.Join(first, "pii.keys")
		}
		a, err := app.Open(context.Background(), app.Config{DataDir: dir, DatabaseURL: url, Demo: true, DemoCases: 20,
			Now: clock.Now, TimerTick: -1, PublicPerMinute: 4, PIIKeys: keys})
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		srv := httptest.NewServer(a.Handler)
		hs[i] = &harness{t: t, app: a, srv: srv}
		t.Cleanup(func() { srv.Close(); a.Close() })
	}
	loadSchemas(t)
	slow := apiKey(t, hs[0], service.NewAPIKey{Name: "slow", RatePerMinute: 4})
	other := apiKey(t, hs[1], service.NewAPIKey{Name: "other"})
	for i := range 4 {
		if r := hs[i%2].open311(t, "GET", "requests.json?api_key="+slow, "requests", nil, ""); r.status != 200 {
			t.Fatalf("request %d on node %d: %d %s", i, i%2, r.status, r.raw)
		}
	}
	for i := range hs {
		r := hs[i].open311(t, "GET", "requests.json?api_key="+slow, "errors", nil, "")
		if r.status != 429 || r.header.Get("Retry-After") != "51" { // the minute ends in 50 s, rounded up
			t.Fatalf("fifth request on node %d: %d, Retry-After %q", i, r.status, r.header.Get("Retry-After"))
		}
	}
	if r := hs[1].open311(t, "GET", "requests.json?api_key="+other, "requests", nil, ""); r.status != 200 {
		t.Fatalf("another key: %d", r.status)
	}

	// Anonymous logins from one address, spread over the nodes: logins
	// have five times the limit (20 a minute here). Each tries another
	// name, so the login throttle (per name and address) stays out of it.
	login := func(i int) resp {
		return hs[i%2].do("POST", "/api/v1/login", "", map[string]string{"username": fmt.Sprintf("nobody%d", i), "password": "wrong-password"})
	}
	for i := range 20 {
		if r := login(i); r.status != 401 {
			t.Fatalf("login %d: %d %s", i, r.status, r.raw)
		}
	}
	if r := login(20); r.status != 429 || errCode(r) != "rate_limited" {
		t.Fatalf("21st anonymous login from the address: %d %s", r.status, r.raw)
	}

	// The next minute: counted afresh.
	clock.Advance(time.Minute)
	if r := hs[1].open311(t, "GET", "requests.json?api_key="+slow, "requests", nil, ""); r.status != 200 {
		t.Fatalf("next minute: %d", r.status)
	}
	if r := login(21); r.status != 401 {
		t.Fatalf("next minute's login: %d %s", r.status, r.raw)
	}
}
