package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/app"
)

// getLang fetches a page as a browser set to the language al.
func (w *webClient) getLang(path, al string) page {
	w.t.Helper()
	req, _ := http.NewRequest("GET", w.base+path, nil)
	req.Header.Set("Accept-Language", al)
	return w.send(req)
}

const demoNoOTP = "演示模式：管理员与纪检账号无需一次性验证码"

// TestWebLoginDemoOTPLine: in demo mode the login form says that admin
// and discipline accounts need no one-time code, and it is so (they log
// in with the password alone); outside demo mode the line is gone and
// the code is asked for.
func TestWebLoginDemoOTPLine(t *testing.T) {
	h := newHarness(t, t.TempDir())
	w := newWebClient(t, h.srv.URL, nil)
	p := w.get("/login")
	if !strings.Contains(p.body, `id="demo-otp"`) || !strings.Contains(p.body, demoNoOTP) {
		t.Fatalf("demo login form without the one-time-code line:\n%s", p.body)
	}
	if en := w.get("/login?lang=en"); !strings.Contains(en.body, "Demo mode: admin and discipline accounts log in without a one-time code") {
		t.Errorf("English demo login form without the line")
	}
	for _, user := range []string{"admin", "discipline"} {
		newWebClient(t, h.srv.URL, nil).login(user) // fails the test unless 303
	}

	// The same data dir outside demo mode.
	h.stop()
	a, err := openApp(t, context.Background(), app.Config{DataDir: h.dir, PublicPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := newServer(a)
	defer srv.Close()
	w = newWebClient(t, srv.URL, nil)
	p = w.get("/login")
	if p.status != http.StatusOK || strings.Contains(p.body, `id="demo-otp"`) || strings.Contains(p.body, demoNoOTP) {
		t.Errorf("login form outside demo mode: %d, demo line shown", p.status)
	}
	r := w.post("/login", url.Values{"csrf": {w.csrf("/login")}, "username": {"admin"}, "password": {"yiwang-demo"}})
	if r.status != http.StatusUnauthorized {
		t.Errorf("admin without a second factor outside demo mode: %d", r.status)
	}
}

var receivedRe = regexp.MustCompile(`<span class="stat-value">(\d+)</span><span class="stat-label">收到诉求</span>`)

// TestWebHomeReceivedDefinition: the home page says under 收到诉求 (and in
// its tooltip) what the figure counts, and the figure is what the
// sentence says: every case placed in a street or township, whatever its
// state, without the types hidden from the public (clues).
func TestWebHomeReceivedDefinition(t *testing.T) {
	h := newHarness(t, t.TempDir())
	w := newWebClient(t, h.srv.URL, nil)
	p := w.get("/")
	def := "“收到诉求”统计落在各街道（乡镇）的全部案件，不论办理状态（含不予受理、重复合并和已撤销的）；不含不向公众公开的案件类型（如纪检监察问题线索），也不含只定位到区、未落到任何街道（乡镇）的案件。"
	if !strings.Contains(p.body, `<p class="note stat-def" id="received-def">`+def+`</p>`) {
		t.Errorf("no visible definition under the figure")
	}
	if !strings.Contains(p.body, `<div class="stat" title="`+def+`" aria-describedby="received-def">`) {
		t.Errorf("no tooltip on the figure")
	}
	if en := w.get("/?lang=en"); !strings.Contains(en.body, "“Received” counts every case placed in one of the streets and townships") {
		t.Errorf("no English definition")
	}
	m := receivedRe.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("no 收到诉求 figure on the home page")
	}
	db := openRaw(t, h.dir)
	defer db.Close()
	var want, all string
	q := `SELECT COUNT(*) FROM cases c JOIN org_units o ON o.id = c.street_id WHERE o.kind IN ('street', 'township') AND c.type <> 'clue'`
	if err := db.QueryRow(q).Scan(&want); err != nil {
		t.Fatal(err)
	}
	db.QueryRow(`SELECT COUNT(*) FROM cases`).Scan(&all)
	if m[1] != want {
		t.Errorf("收到诉求 %s, the definition counts %s (of %s cases)", m[1], want, all)
	}
}

var switchRe = regexp.MustCompile(`<a class="lang-switch" href="([^"]+)" lang="([^"]+)"`)

// TestWebLanguageToggle: every page, public and staff, has the 中文 |
// English toggle in its header with the current language marked; without
// a choice the page follows the browser, and a choice is kept in a
// year-long cookie, so the next page is in it whatever the browser asks.
func TestWebLanguageToggle(t *testing.T) {
	h := newHarness(t, t.TempDir())
	w := newWebClient(t, h.srv.URL, nil)
	const english = "en-US,en;q=0.9"
	toggle := func(p page, current string) string {
		t.Helper()
		cur := map[string]string{"en": `<span class="lang-current" lang="en" aria-current="true">English</span>`,
			"zh-CN": `<span class="lang-current" lang="zh-CN" aria-current="true">中文</span>`}[current]
		if !strings.Contains(p.body, `<html lang="`+current+`"`) || !strings.Contains(p.body, cur) || !strings.Contains(p.body, `<div class="lang-toggle" role="group"`) {
			t.Fatalf("page not in %s or without the toggle marking it:\n%s", current, p.body)
		}
		m := switchRe.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatal("no link to the other language")
		}
		return strings.ReplaceAll(m[1], "&amp;", "&")
	}
	// An English browser gets English, and the way to 中文 is on the page.
	to := toggle(w.getLang("/", english), "en")
	if to != "/?lang=zh-CN" {
		t.Errorf("the 中文 link goes to %q", to)
	}
	p := w.getLang(to, english)
	toggle(p, "zh-CN")
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "yw_lang" {
			cookie = c
		}
	}
	if cookie == nil || cookie.Value != "zh-CN" || cookie.MaxAge < 300*24*3600 {
		t.Fatalf("language cookie %+v", cookie)
	}
	// Remembered: the next pages are Chinese although the browser asks for English.
	toggle(w.getLang("/report", english), "zh-CN")
	w.login("operator1")
	to = toggle(w.getLang("/work/inbox?tab=late", english), "zh-CN")
	if to != "/work/inbox?lang=en&tab=late" {
		t.Errorf("the English link goes to %q", to)
	}
	// And the other way, on a staff page, against a Chinese browser.
	toggle(w.getLang(to, "zh-CN,zh;q=0.9"), "en")
	toggle(w.getLang("/work/inbox", "zh-CN,zh;q=0.9"), "en")
	toggle(w.getLang("/work/dashboard", "zh-CN,zh;q=0.9"), "en")
	// A browser that chose nothing still gets its own language.
	toggle(newWebClient(t, h.srv.URL, nil).getLang("/track", english), "en")
	toggle(newWebClient(t, h.srv.URL, nil).getLang("/track", "zh-CN"), "zh-CN")
}
