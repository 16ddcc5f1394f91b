package app_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/model"
)

// testClock is a clock tests move by hand; the app reads it through
// app.Config.Now.
type wfClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *wfClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *wfClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *wfClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// wfHarness is the HTTP harness on a controllable clock, with a timer tick
// of the test's choosing (negative: timers never fire by themselves).
type wfHarness struct {
	*harness
	clock  *wfClock
	tick   time.Duration
	tokens map[string]string
	since  map[string]time.Time
}

func newWFHarness(t *testing.T, start time.Time, tick time.Duration) *wfHarness {
	t.Helper()
	w := &wfHarness{harness: &harness{t: t, dir: t.TempDir()}, clock: &wfClock{t: start}, tick: tick,
		tokens: map[string]string{}, since: map[string]time.Time{}}
	w.boot()
	t.Cleanup(w.stop)
	return w
}

func (w *wfHarness) boot() {
	w.t.Helper()
	a, err := openApp(w.t, context.Background(), app.Config{DataDir: w.dir, Demo: true, DemoCases: 60, Now: w.clock.Now, TimerTick: w.tick, SQLiteSync: "NORMAL", PublicPerMinute: -1})
	if err != nil {
		w.t.Fatalf("open app: %v", err)
	}
	w.app = a
	w.srv = httptest.NewServer(a.Handler)
}

// reboot stops the server and opens the same data dir again, on the same clock.
func (w *wfHarness) reboot() {
	w.stop()
	w.boot()
}

// tok logs a demo user in, again when the session may have expired on the
// moved clock.
func (w *wfHarness) tok(user string) string {
	w.t.Helper()
	if t, ok := w.tokens[user]; ok && w.clock.Now().Sub(w.since[user]) < 6*time.Hour && w.clock.Now().After(w.since[user].Add(-time.Second)) {
		return t
	}
	w.tokens[user], w.since[user] = w.login(user), w.clock.Now()
	return w.tokens[user]
}

// user returns a demo account.
func (w *wfHarness) user(username string) model.User {
	w.t.Helper()
	u, err := w.app.Store.UserByUsername(context.Background(), username)
	if err != nil {
		w.t.Fatalf("user %s: %v", username, err)
	}
	return u
}

// org returns the org unit id of a demo account.
func (w *wfHarness) org(username string) int64 { return w.user(username).OrgID }

// act posts an action on a case.
func (w *wfHarness) act(user string, id int64, action string, body map[string]any) resp {
	w.t.Helper()
	return w.do("POST", fmt.Sprintf("/api/v1/cases/%d/actions/%s", id, action), w.tok(user), body)
}

// get reads a case as user.
func (w *wfHarness) get(user string, id int64) resp {
	w.t.Helper()
	return w.do("GET", fmt.Sprintf("/api/v1/cases/%d", id), w.tok(user), nil)
}

// query runs a read-only query straight on the database (openRaw).
func (w *wfHarness) query(q string, args ...any) int {
	w.t.Helper()
	db := openRaw(w.t, w.dir)
	defer db.Close()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// fieldErr returns the message of a field error in a 4xx answer.
func wfFieldErr(r resp, field string) string {
	e, _ := r.body["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	s, _ := f[field].(string)
	return s
}

func wfErrCode(r resp) string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}
