package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/auth"
	"github.com/yiwang-gov/yiwang/internal/model"
)

// fromAddr is an HTTP transport whose connections leave from ip (any of
// 127/8, which Linux routes to the loopback interface), so that one test
// plays clients at several addresses against one server.
func fromAddr(ip string) *http.Transport {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	return &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}
}

// loginAt posts to /api/v1/login from ip, with headers (name, value …).
func (h *harness) loginAt(ip, user, password string, hdr ...string) resp {
	h.t.Helper()
	js, _ := json.Marshal(map[string]string{"username": user, "password": password})
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/login", bytes.NewReader(js))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := (&http.Client{Transport: fromAddr(ip)}).Do(req)
	if err != nil {
		h.t.Fatalf("login from %s: %v", ip, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	json.Unmarshal(raw, &r.body)
	return r
}

// clockHarness is the demo on a clock that stands still unless the test
// moves it forward, so that waits are exact however slow the machine.
func clockHarness(t *testing.T, publicRate int) (*harness, *atomic.Int64) {
	t.Helper()
	dir := t.TempDir()
	copyTemplate(t, dir)
	var ahead atomic.Int64
	base := time.Now()
	now := func() time.Time { return base.Add(time.Duration(ahead.Load())) }
	a, err := openApp(t, context.Background(), app.Config{DataDir: dir, Demo: true, DemoCases: 60, PublicPerMinute: publicRate, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: dir, app: a, srv: newServer(a), publicRate: publicRate}
	t.Cleanup(h.stop)
	return h, &ahead
}

func errCode(r resp) string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// TestLoginThrottle: wrong passwords slow down the address that types
// them, never the account. An attacker at 127.0.0.2 fails 20 times for
// "leader": from the 6th attempt on it is refused with 429, Retry-After
// and "尝试次数过多，请 N 秒后再试", and the waits grow; "leader" at
// 127.0.0.3 logs in at once with the right password. A name that is no
// account gets the same answers, byte for byte, as one that is. A
// success forgets the pair's failures. The web form throttles alike.
// Every refused attempt is on the audit chain.
func TestLoginThrottle(t *testing.T) {
	h, ahead := clockHarness(t, -1)
	const attacker, owner = "127.0.0.2", "127.0.0.3"
	var throttled resp
	for i := 1; i <= 20; i++ {
		r := h.loginAt(attacker, "leader", fmt.Sprintf("guess-%d", i))
		switch {
		case i <= 5 && r.status != http.StatusUnauthorized:
			t.Fatalf("attempt %d: %d %s", i, r.status, r.raw)
		case i > 5 && r.status != http.StatusTooManyRequests:
			t.Fatalf("attempt %d after 5 failures: %d %s", i, r.status, r.raw)
		}
		if i > 5 {
			throttled = r
		}
	}
	if throttled.header.Get("Retry-After") != "1" || errCode(throttled) != "too_many_attempts" ||
		!strings.Contains(string(throttled.raw), "尝试次数过多，请 1 秒后再试") {
		t.Fatalf("throttled answer: %s %s", throttled.header.Get("Retry-After"), throttled.raw)
	}
	// Even the right password waits at the attacker's address …
	if r := h.loginAt(attacker, "leader", "yiwang-demo"); r.status != http.StatusTooManyRequests {
		t.Fatalf("the right password at the throttled address: %d", r.status)
	}
	// … but the owner at another address is not slowed down at all.
	if r := h.loginAt(owner, "leader", "yiwang-demo"); r.status != 200 {
		t.Fatalf("the owner at another address: %d %s", r.status, r.raw)
	}
	// The waits grow: one more try after the wait, then twice as long.
	ahead.Add(int64(time.Second))
	if r := h.loginAt(attacker, "leader", "guess-21"); r.status != http.StatusUnauthorized {
		t.Fatalf("after the wait: %d %s", r.status, r.raw)
	}
	r := h.loginAt(attacker, "leader", "guess-22")
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "2" {
		t.Fatalf("the second wait: %d %q", r.status, r.header.Get("Retry-After"))
	}
	if en := h.loginAt(attacker, "leader", "guess-23", "Accept-Language", "en"); en.status != 429 ||
		!strings.Contains(string(en.raw), `"message":"Too many attempts; please try again in 2 seconds"`) {
		t.Fatalf("in English: %d %s", en.status, en.raw)
	}

	// Known and unknown names: the same status, the same bytes, the wrong
	// password and the wait alike.
	const known, unknown = "127.0.0.4", "127.0.0.5"
	for i := 1; i <= 7; i++ {
		a := h.loginAt(known, "leader", "wrong")
		b := h.loginAt(unknown, "no-such-account", "wrong")
		if a.status != b.status || !bytes.Equal(a.raw, b.raw) || a.header.Get("Retry-After") != b.header.Get("Retry-After") {
			t.Fatalf("attempt %d: known %d %s (Retry-After %q), unknown %d %s (%q)", i, a.status, a.raw, a.header.Get("Retry-After"),
				b.status, b.raw, b.header.Get("Retry-After"))
		}
		if want := map[bool]int{true: 401, false: 429}[i <= 5]; a.status != want {
			t.Fatalf("attempt %d: %d, want %d", i, a.status, want)
		}
	}
	// A success forgets the pair: four typos and a success, twice, never wait.
	for range 2 {
		for i := 0; i < 4; i++ {
			if r := h.loginAt("127.0.0.6", "dispatcher", "typo"); r.status != 401 {
				t.Fatalf("typo %d: %d", i, r.status)
			}
		}
		if r := h.loginAt("127.0.0.6", "dispatcher", "yiwang-demo"); r.status != 200 {
			t.Fatalf("after four typos: %d %s", r.status, r.raw)
		}
	}

	// The web form: the same counts, the page says why and when.
	w := newWebClient(t, h.srv.URL, fromAddr("127.0.0.7"))
	for i := 1; i <= 6; i++ {
		p := w.post("/login", url.Values{"csrf": {w.csrf("/login")}, "username": {"leader"}, "password": {"wrong"}})
		if i <= 5 && p.status != http.StatusUnauthorized || i == 6 && (p.status != http.StatusTooManyRequests ||
			p.header.Get("Retry-After") != "1" || !strings.Contains(p.body, "尝试次数过多，请 1 秒后再试")) {
			t.Fatalf("web attempt %d: %d %q", i, p.status, p.header.Get("Retry-After"))
		}
	}
	u := newWebClient(t, h.srv.URL, fromAddr("127.0.0.8"))
	for range 6 {
		p := u.post("/login", url.Values{"csrf": {u.csrf("/login")}, "username": {"no-such-account"}, "password": {"wrong"}})
		if p.status == http.StatusTooManyRequests && strings.Contains(p.body, "尝试次数过多，请 1 秒后再试") {
			break
		} else if p.status != http.StatusUnauthorized {
			t.Fatalf("web, unknown name: %d", p.status)
		}
	}

	// Every refused attempt is on the audit chain with its address.
	h.app.Service.FlushAudit(context.Background())
	if n := h.sqlCount(`SELECT COUNT(*) FROM audit_log WHERE action = 'POST /api/v1/login' AND result = '429' AND ip = ? AND username = 'leader'`, attacker); n != 18 {
		t.Errorf("%d throttled attempts audited from the attacker, want 18", n)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM audit_log WHERE action = 'POST /api/v1/login' AND result = '401' AND ip = ?`, attacker); n != 6 {
		t.Errorf("%d failed attempts audited from the attacker, want 6", n)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM audit_log WHERE action = 'POST /login' AND result = '429' AND ip = '127.0.0.7'`); n != 1 {
		t.Errorf("%d throttled web attempts audited, want 1", n)
	}
}

// TestLoginTiming measures how long a wrong password takes for an account
// and for a name that is none (both run one argon2id verification). It
// asserts nothing about time: the figures go to docs/SECURITY.md.
func TestLoginTiming(t *testing.T) {
	h := newHarness(t, t.TempDir())
	const n = 40
	var tk, tu []time.Duration
	for i := 0; i < n; i++ {
		ip := fmt.Sprintf("127.0.1.%d", 1+i) // a fresh pair each time: no waits
		// Alternate which goes first, so that neither pays for warming up.
		var a, b resp
		for j := range 2 {
			start := time.Now()
			if (i+j)%2 == 0 {
				a = h.loginAt(ip, "leader", "wrong")
				tk = append(tk, time.Since(start))
			} else {
				b = h.loginAt(ip, "no-such-account", "wrong")
				tu = append(tu, time.Since(start))
			}
		}
		if a.status != 401 || !bytes.Equal(a.raw, b.raw) {
			t.Fatalf("known %d %s, unknown %d %s", a.status, a.raw, b.status, b.raw)
		}
	}
	median := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[len(d)/2]
	}
	mk, mu := median(tk), median(tu)
	t.Logf("wrong password over HTTP, median of %d: existing account %s, no such account %s, difference %s", n, mk, mu, mk-mu)
}

// TestLoginResetLiftsThrottle: an administrator's password reset forgets
// the failures typed for the account's name, from every address, so its
// owner logs in with the new password at once.
func TestLoginResetLiftsThrottle(t *testing.T) {
	h, ahead := clockHarness(t, -1)
	ctx := context.Background()
	const ip = "127.0.0.9"
	// Eleven failures, waiting out each wait: the next wait is 64 s.
	for i := 1; i <= 11; i++ {
		if r := h.loginAt(ip, "operator2", "wrong"); r.status != 401 {
			t.Fatalf("failure %d: %d %s", i, r.status, r.raw)
		}
		if i >= 5 {
			ahead.Add(int64(time.Second << (i - 5)))
		}
	}
	ahead.Add(-int64(32 * time.Second)) // half-way through the last wait
	r := h.loginAt(ip, "operator2", "yiwang-demo")
	if r.status != 429 || r.header.Get("Retry-After") != "32" {
		t.Fatalf("before the reset: %d %q", r.status, r.header.Get("Retry-After"))
	}
	admin, target := mustUser(t, h, "admin"), mustUser(t, h, "operator2")
	pw, _, err := h.app.Service.AdminResetPassword(ctx, admin, target.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := h.loginAt(ip, "operator2", pw); r.status != 200 {
		t.Fatalf("the new password at once after the reset: %d %s", r.status, r.raw)
	}
}

// TestLoginOffice: a hundred staff behind one office address log in
// within a minute, under the default anonymous-write limit (120 a minute
// per address), with a few typos among them: every right password gets
// 200. The time taken goes to docs/SECURITY.md.
func TestLoginOffice(t *testing.T) {
	// 0: the default limits, as in production. The clock stands still,
	// so the rate limit refills nothing: all the logins count as if they
	// came in the same instant, a harder test than "within a minute".
	h, _ := clockHarness(t, 0)
	ctx := context.Background()
	op := mustUser(t, h, "operator1")
	// One hash for all: argon2id per account would cost seconds here,
	// and the logins still verify each password in full.
	hash, err := auth.HashPassword("office-pass-1", auth.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	const staff = 100
	for i := 0; i < staff; i++ {
		u := model.User{Username: fmt.Sprintf("office%03d", i), DisplayName: fmt.Sprintf("科员%03d", i), Role: model.RoleOperator,
			OrgID: op.OrgID, PasswordHash: hash, CreatedAt: time.Now()}
		if err := h.app.Store.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	const office = "127.0.0.10"
	start := time.Now()
	typos := 0
	for i := 0; i < staff; i++ {
		name := fmt.Sprintf("office%03d", i)
		if i%20 == 7 { // one in twenty mistypes first
			if r := h.loginAt(office, name, "office-pass-l"); r.status != 401 {
				t.Fatalf("%s's typo: %d %s", name, r.status, r.raw)
			}
			typos++
		}
		if r := h.loginAt(office, name, "office-pass-1"); r.status != 200 {
			t.Fatalf("%s (login %d from the office): %d %s", name, i+1, r.status, r.raw)
		}
	}
	took := time.Since(start)
	t.Logf("%d staff logged in from one address with %d typos in %s (%.1f ms per request)", staff, typos, took,
		float64(took.Microseconds())/1000/float64(staff+typos))
}

// badNext are redirect targets that a browser (or a proxy decoding once
// more) could take off the site.
var badNext = []string{
	"//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "/\n/evil.example",
	"/\r/evil.example", "/%09/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example", "/%2F%2Fevil.example",
	"/%2fevil.example", "/%5Cevil.example", "/%252F%252Fevil.example", "https://evil.example/", "http:evil.example",
	"http:/evil.example", "javascript:alert(1)", " //evil.example", "/\x00/evil.example", "/\u0085/evil.example",
	"/\u200b/evil.example", "/\uff0fevil.example", "/%EF%BC%8Fevil.example", "/\uff3cevil.example", "/\u2215evil.example",
	"/%zz", "/\xff", "/login?next=//evil.example",
}

// TestLoginRedirect: the login form's "next" is followed only to a path
// on this site. With each off-site variant the right password lands on
// the role's own page instead (and a logged-in visitor of /login?next=…
// is not sent on); the site's own paths, with query and fragment, are
// followed.
func TestLoginRedirect(t *testing.T) {
	h := newHarness(t, t.TempDir())
	w := newWebClient(t, h.srv.URL, nil)
	login := func(next string) page {
		t.Helper()
		return w.post("/login", url.Values{"csrf": {w.csrf("/login")}, "username": {"operator1"}, "password": {"yiwang-demo"}, "next": {next}})
	}
	for _, next := range badNext {
		p := login(next)
		if p.status != http.StatusSeeOther || p.header.Get("Location") != "/work/inbox" {
			t.Errorf("login with next=%q: %d to %q", next, p.status, p.header.Get("Location"))
		}
		// Logged in, /login?next=… shows the form instead of going on.
		if p := w.get("/login?next=" + url.QueryEscape(next)); p.status != 200 || p.header.Get("Location") != "" {
			t.Errorf("GET /login?next=%q when logged in: %d to %q", next, p.status, p.header.Get("Location"))
		}
	}
	// The issue's own example, as a link would carry it.
	if p := w.get("/login?next=/%09/evil.example"); p.header.Get("Location") != "" {
		t.Errorf("GET /login?next=/%%09/evil.example went to %q", p.header.Get("Location"))
	}
	for _, next := range []string{"/work/inbox?tab=late", "/work/cases/12#t", "/work/cases/3?x=1"} {
		if p := login(next); p.status != http.StatusSeeOther || p.header.Get("Location") != next {
			t.Errorf("login with next=%q: %d to %q", next, p.status, p.header.Get("Location"))
		}
		if p := w.get("/login?next=" + url.QueryEscape(next)); p.status != http.StatusSeeOther || p.header.Get("Location") != next {
			t.Errorf("GET /login?next=%q when logged in: %d to %q", next, p.status, p.header.Get("Location"))
		}
	}
}
