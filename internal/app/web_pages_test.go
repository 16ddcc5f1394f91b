package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// webClient is a browser without JavaScript: a cookie jar, no redirects
// followed, Chinese by default.
type webClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newWebClient(t *testing.T, base string, transport http.RoundTripper) *webClient {
	jar, _ := cookiejar.New(nil)
	return &webClient{t: t, base: base, c: &http.Client{Jar: jar, Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (w *webClient) send(req *http.Request) page {
	w.t.Helper()
	if req.Header.Get("Accept-Language") == "" {
		req.Header.Set("Accept-Language", "zh-CN,zh;q=0.9")
	}
	res, err := w.c.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (w *webClient) get(path string) page {
	req, _ := http.NewRequest("GET", w.base+path, nil)
	return w.send(req)
}

func (w *webClient) post(path string, form url.Values) page {
	req, _ := http.NewRequest("POST", w.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return w.send(req)
}

// postMultipart posts fields and files (field name → contents).
func (w *webClient) postMultipart(path string, fields url.Values, files map[string][]byte) page {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for name, data := range files {
		fw, _ := mw.CreateFormFile(name, name+".png")
		fw.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", w.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return w.send(req)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token of a page's form (fetching the page).
func (w *webClient) csrf(path string) string {
	w.t.Helper()
	p := w.get(path)
	m := csrfRe.FindStringSubmatch(p.body)
	if m == nil {
		w.t.Fatalf("no csrf token on %s (%d)", path, p.status)
	}
	return m[1]
}

func (w *webClient) login(user string) {
	w.t.Helper()
	p := w.post("/login", url.Values{"csrf": {w.csrf("/login")}, "username": {user}, "password": {"yiwang-demo"}})
	if p.status != http.StatusSeeOther {
		w.t.Fatalf("login %s: %d", user, p.status)
	}
}

// report files a citizen's report through the form and returns its receipt.
func (w *webClient) report(t *testing.T, h *harness, photo []byte) string {
	t.Helper()
	lat, lng, _ := demoPoint(t, h, 5)
	cat := pickCategory(t, h, true)
	fields := url.Values{"csrf": {w.csrf("/report")}, "category": {strconv.FormatInt(cat.ID, 10)}, "description": {"人行道砖松动"},
		"lat": {strconv.FormatFloat(lat, 'f', 6, 64)}, "lng": {strconv.FormatFloat(lng, 'f', 6, 64)}, "idem": {fmt.Sprintf("%032d", len(photo)+int(lat*1e6))}}
	files := map[string][]byte{}
	if photo != nil {
		files["photos"] = photo
	}
	p := w.postMultipart("/report", fields, files)
	loc := p.header.Get("Location")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/report/receipt/") {
		t.Fatalf("report: %d %s %s", p.status, loc, p.body)
	}
	return strings.TrimPrefix(loc, "/report/receipt/")
}

var externalRef = regexp.MustCompile(`(?i)\b(src|href|action)\s*=\s*["']?\s*(https?:)?//`)

// checkHTML holds every HTML response to the rules: a strict CSP and
// nothing loaded from outside the binary, no inline script or style.
func checkHTML(t *testing.T, what string, p page) {
	t.Helper()
	if !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		return
	}
	csp := p.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "style-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("%s: Content-Security-Policy %q", what, csp)
	}
	if m := externalRef.FindString(p.body); m != "" {
		t.Errorf("%s references something outside the binary: %s", what, m)
	}
	for _, bad := range []string{"<script>", "<style", " style=", " onclick=", " onload=", "javascript:"} {
		if strings.Contains(p.body, bad) {
			t.Errorf("%s has inline %q", what, bad)
		}
	}
	if (p.status < 300 || p.status >= 400) && !strings.Contains(p.body, `<html lang="`) {
		t.Errorf("%s: no lang attribute", what)
	}
}

// TestWebPagesPolicy visits every page as the public and as each role and
// checks every HTML response for its CSP header and for scripts or
// stylesheets from outside the binary.
func TestWebPagesPolicy(t *testing.T) {
	h := newHarness(t, t.TempDir())
	pub := newWebClient(t, h.srv.URL, nil)
	receipt := pub.report(t, h, pngBytes(t))
	c, _, err := h.app.Service.CaseByReceipt(context.Background(), receipt)
	if err != nil {
		t.Fatal(err)
	}
	visit := func(w *webClient, who string, paths ...string) {
		for _, path := range paths {
			for _, lang := range []string{"", "en"} {
				p := path
				if lang != "" {
					p += map[bool]string{true: "&", false: "?"}[strings.Contains(p, "?")] + "lang=" + lang
				}
				res := w.get(p)
				if res.status >= 500 {
					t.Errorf("%s GET %s: %d", who, p, res.status)
				}
				if !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") && res.status != http.StatusSeeOther {
					t.Errorf("%s GET %s: %s is not HTML", who, p, res.header.Get("Content-Type"))
				}
				checkHTML(t, who+" "+p, res)
			}
			// Back to Chinese for the next page.
			w.get("/?lang=zh-CN")
		}
	}
	visit(pub, "public", "/", "/report", "/track", "/track?code="+receipt, "/track?code=NOSUCHCODE00", "/map", "/login",
		"/report/receipt/"+receipt, "/no/such/page", "/work/inbox", "/work/new", "/work/review", "/admin/", "/admin/sources", "/admin/calendar", "/admin/apikeys")
	visit(pub, "public", "/admin/rules", "/admin/categories", "/admin/categories/1")
	// A form coming back with its errors is HTML too.
	checkHTML(t, "report with errors", pub.postMultipart("/report", url.Values{"csrf": {pub.csrf("/report")}}, nil))

	moveID := mustUser(t, h, "wgy001").ID // the accounts page with a move form open
	for _, user := range []string{"operator1", "dispatcher", "supervisor", "chengguan", "leping", "wgy001", "leader", "discipline", "admin"} {
		w := newWebClient(t, h.srv.URL, nil)
		w.login(user)
		paths := []string{"/work/inbox", "/work/cases/" + strconv.FormatInt(c.ID, 10), "/work/cases/1", "/work/grid",
			fmt.Sprintf("/work/grid?grid=%d", c.GridID), "/work/dispatch-sheet", "/work/dashboard", "/work/new", "/work/new?type=hotline_order", "/work/review", "/work/review?status=all", "/work/field", "/admin/", "/admin/units", "/admin/users", "/admin/grids", "/admin/sources", "/admin/calendar", "/admin/apikeys"}
		for _, tab := range []string{"reported", "registered", "dispatched", "handling", "awaiting_verification", "late"} {
			paths = append(paths, "/work/inbox?tab="+tab)
		}
		paths = append(paths, "/admin/rules", "/admin/rules?category=E0102", "/admin/rules/1")
		paths = append(paths, "/admin/categories", "/admin/categories?type=city_case&q=E01", "/admin/categories/1")
		paths = append(paths, fmt.Sprintf("/admin/users?move=%d", moveID), fmt.Sprintf("/admin/users?moved=%d", moveID))
		visit(w, user, paths...)
	}
	// The JSON and the static files are not pages, but come from here too.
	if p := pub.get("/map/grids.geojson"); p.status != 200 || !strings.Contains(p.body, "FeatureCollection") {
		t.Errorf("grids.geojson: %d", p.status)
	}
	for _, f := range []string{"/static/css/app.css", "/static/js/app.js", "/static/js/map.js"} {
		if p := pub.get(f); p.status != 200 || p.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d", f, p.status)
		}
	}
}

// TestWebCSRF: every form POST needs the token of its browser, and a
// request a browser marks as cross-site is refused even with one.
func TestWebCSRF(t *testing.T) {
	h := newHarness(t, t.TempDir())
	w := newWebClient(t, h.srv.URL, nil)
	before := h.counts()
	for _, tc := range []struct {
		name string
		form url.Values
	}{
		{"no token", url.Values{"username": {"operator1"}, "password": {"yiwang-demo"}}},
		{"wrong token", url.Values{"csrf": {strings.Repeat("x", 43)}, "username": {"operator1"}, "password": {"yiwang-demo"}}},
	} {
		w.csrf("/login") // the browser has a token cookie
		if p := w.post("/login", tc.form); p.status != http.StatusForbidden || !strings.Contains(p.body, "页面已过期") {
			t.Errorf("%s: login POST gave %d", tc.name, p.status)
		}
	}
	// Another browser's token does not work in this one.
	other := newWebClient(t, h.srv.URL, nil)
	if p := w.post("/login", url.Values{"csrf": {other.csrf("/login")}, "username": {"operator1"}, "password": {"yiwang-demo"}}); p.status != http.StatusForbidden {
		t.Errorf("another browser's token: %d", p.status)
	}
	// Cross-site, even with the right token.
	form := url.Values{"csrf": {w.csrf("/login")}, "username": {"operator1"}, "password": {"yiwang-demo"}}
	req, _ := http.NewRequest("POST", h.srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := w.send(req); p.status != http.StatusForbidden || !strings.Contains(p.body, "页面已过期") {
		t.Errorf("cross-site POST: %d", p.status)
	} else {
		checkHTML(t, "cross-site refusal", p)
	}
	if after := h.counts(); after["sessions"] != before["sessions"] {
		t.Errorf("a refused login opened a session: %v → %v", before, after)
	}
	// A report without the token files nothing.
	if p := w.postMultipart("/report", url.Values{"description": {"x"}}, nil); p.status != http.StatusForbidden {
		t.Errorf("report without token: %d", p.status)
	}
	if after := h.counts(); after["cases"] != before["cases"] {
		t.Errorf("a refused report was filed")
	}
}

// TestWebSession: the session cookie is HttpOnly, SameSite=Lax and Secure
// over TLS; a staff page sends the anonymous to the login and back; a
// redirect target off the site is ignored; logout ends the session.
func TestWebSession(t *testing.T) {
	h := newHarness(t, t.TempDir())
	w := newWebClient(t, h.srv.URL, nil)
	p := w.get("/work/cases/3?x=1")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next="+url.QueryEscape("/work/cases/3?x=1") {
		t.Fatalf("anonymous staff page: %d %s", p.status, p.header.Get("Location"))
	}
	p = w.post("/login", url.Values{"csrf": {w.csrf("/login")}, "username": {"operator1"}, "password": {"bad"}})
	if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "用户名或密码错误") {
		t.Fatalf("failed login: %d", p.status)
	}
	p = w.post("/login", url.Values{"csrf": {w.csrf("/login")}, "username": {"operator1"}, "password": {"yiwang-demo"}, "next": {"/work/cases/3?x=1"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/work/cases/3?x=1" {
		t.Fatalf("login with next: %d %s", p.status, p.header.Get("Location"))
	}
	var sc *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "yw_session" {
			sc = c
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure || sc.Path != "/" {
		t.Fatalf("session cookie over plain HTTP: %+v", sc)
	}
	if p := w.get("/work/inbox"); p.status != 200 || !strings.Contains(p.body, "待受理") {
		t.Fatalf("inbox after login: %d", p.status)
	}
	p = w.post("/login", url.Values{"csrf": {w.csrf("/login")}, "username": {"operator1"}, "password": {"yiwang-demo"}, "next": {"//evil.example/x"}})
	if p.header.Get("Location") != "/work/inbox" {
		t.Fatalf("login with an off-site next went to %s", p.header.Get("Location"))
	}
	sessions := h.counts()["sessions"]
	if p := w.post("/logout", url.Values{"csrf": {w.csrf("/work/inbox")}}); p.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", p.status)
	}
	if n := h.counts()["sessions"]; n != sessions-1 {
		t.Fatalf("logout left %d sessions, want %d", n, sessions-1)
	}
	if p := w.get("/work/inbox"); p.status != http.StatusSeeOther {
		t.Fatalf("inbox after logout: %d", p.status)
	}

	// Over TLS the cookie is Secure.
	ts := httptest.NewTLSServer(h.app.Handler)
	defer ts.Close()
	tw := newWebClient(t, ts.URL, ts.Client().Transport)
	p = tw.post("/login", url.Values{"csrf": {tw.csrf("/login")}, "username": {"operator1"}, "password": {"yiwang-demo"}})
	secure := false
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		secure = secure || (c.Name == "yw_session" && c.Secure)
	}
	if !secure {
		t.Fatalf("session cookie over TLS is not Secure: %v", p.header["Set-Cookie"])
	}
	// Roles see only their pages.
	unit := newWebClient(t, h.srv.URL, nil)
	unit.login("chengguan")
	if p := unit.get("/admin/users"); p.status != http.StatusForbidden {
		t.Fatalf("a unit opens the user list: %d", p.status)
	}
	if p := unit.get("/work/inbox?tab=reported"); p.status != 200 || strings.Contains(p.body, `id="tab-reported"`) {
		t.Fatalf("a unit gets the 待受理 tab")
	}
}

// TestWebPhotosAndRating: the public sees a case's photos only by its own
// receipt code; staff only on cases they may see; the citizen rates a
// closed case once.
func TestWebPhotosAndRating(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ctx := context.Background()
	w := newWebClient(t, h.srv.URL, nil)
	photo := pngBytes(t)
	receipt := w.report(t, h, photo)
	other := w.report(t, h, nil)
	c, tl, err := h.app.Service.CaseByReceipt(ctx, receipt)
	if err != nil {
		t.Fatal(err)
	}
	if len(tl) != 2 || tl[1].Action != service.EventCitizenPhotos || len(tl[1].Attachments) != 1 || c.Version != 2 {
		t.Fatalf("report photos on the timeline: %+v", tl)
	}
	att := tl[1].Attachments[0]
	if p := w.get("/track/" + receipt + "/files/" + att); p.status != 200 || p.header.Get("Content-Type") != "image/png" || p.body != string(photo) {
		t.Fatalf("own photo: %d %s", p.status, p.header.Get("Content-Type"))
	}
	if p := w.get("/track/" + other + "/files/" + att); p.status != 404 {
		t.Fatalf("another case's photo by a different receipt: %d", p.status)
	}
	if p := w.get("/track/" + receipt + "/files/" + strings.Repeat("0", 64)); p.status != 404 {
		t.Fatalf("unknown file: %d", p.status)
	}
	// Staff: a unit that does not handle the case sees neither it nor its photo.
	var stranger string
	for _, u := range mustUsers(t, h) {
		if u.Role == model.RoleUnit && u.OrgID != c.UnitID {
			stranger = u.Username
			break
		}
	}
	s := newWebClient(t, h.srv.URL, nil)
	s.login(stranger)
	if p := s.get(fmt.Sprintf("/work/cases/%d/files/%s", c.ID, att)); p.status != 404 {
		t.Fatalf("a stranger unit gets the photo: %d", p.status)
	}
	op := newWebClient(t, h.srv.URL, nil)
	op.login("operator1")
	if p := op.get(fmt.Sprintf("/work/cases/%d/files/%s", c.ID, att)); p.status != 200 {
		t.Fatalf("the operator cannot open the photo: %d", p.status)
	}

	// Rating before the case is closed is refused.
	rate := func(result string) page {
		return w.post("/track/"+receipt+"/rate", url.Values{"csrf": {w.csrf("/report")}, "result": {result}})
	}
	if p := rate("satisfied"); p.status != http.StatusUnprocessableEntity {
		t.Fatalf("rating an open case: %d", p.status)
	}
	// Walk it to closed through the workbench forms.
	act := func(w *webClient, action string, form url.Values) {
		t.Helper()
		cur, _, _ := h.app.Service.CaseByReceipt(ctx, receipt)
		path := fmt.Sprintf("/work/cases/%d", cur.ID)
		form.Set("csrf", w.csrf(path))
		form.Set("action", action)
		form.Set("version", strconv.Itoa(cur.Version))
		if p := w.postMultipart(path, form, nil); p.status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", action, p.status, p.body)
		}
	}
	act(op, "accept", url.Values{})
	d := newWebClient(t, h.srv.URL, nil)
	d.login("dispatcher")
	act(d, "dispatch", url.Values{})
	u := newWebClient(t, h.srv.URL, nil)
	u.login(unitUser(t, h, c.UnitID))
	act(u, "sign", url.Values{})
	// A stale version is a conflict shown on the form, not a crash.
	cur, _, _ := h.app.Service.CaseByReceipt(ctx, receipt)
	stale := url.Values{"csrf": {u.csrf(fmt.Sprintf("/work/cases/%d", c.ID))}, "action": {"report_back"}, "version": {strconv.Itoa(cur.Version - 1)}, "note": {"x"}}
	if p := u.postMultipart(fmt.Sprintf("/work/cases/%d", c.ID), stale, nil); p.status != http.StatusConflict || !strings.Contains(p.body, "已被他人更新") {
		t.Fatalf("stale version: %d", p.status)
	}
	act(u, "report_back", url.Values{"note": {"已重新铺设"}})
	sup := newWebClient(t, h.srv.URL, nil)
	sup.login("supervisor")
	act(sup, "verify", url.Values{"result": {"pass"}})

	if p := rate("great"); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.body, "结果取值无效") {
		t.Fatalf("a bad rating: %d", p.status)
	}
	if p := rate("basically_satisfied"); p.status != http.StatusSeeOther {
		t.Fatalf("rating the closed case: %d %s", p.status, p.body)
	}
	if p := rate("dissatisfied"); p.status != http.StatusConflict {
		t.Fatalf("a second rating: %d", p.status)
	}
	c, _, _ = h.app.Service.CaseByReceipt(ctx, receipt)
	if c.Satisfaction != "basically_satisfied" {
		t.Fatalf("satisfaction %q", c.Satisfaction)
	}
	if p := w.get("/track?code=" + receipt); !strings.Contains(p.body, "您已评价：基本满意") || strings.Contains(p.body, `id="rate-submit"`) {
		t.Fatalf("track page after rating")
	}
}
