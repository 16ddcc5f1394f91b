package app_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// browser drives Debian's Chromium against a whole running yiwang. It is
// skipped when Chromium is missing, unless YIWANG_TEST_BROWSER=1 says the
// machine must have it (CI), in which case it fails.
type browser struct {
	t     *testing.T
	h     *harness
	ctx   context.Context
	dir   string // screenshots
	shots int
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("YIWANG_CHROMIUM"), "chromium", "/usr/bin/chromium", "chromium-browser"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("YIWANG_TEST_BROWSER") == "1" {
		t.Fatal("YIWANG_TEST_BROWSER=1 but Chromium is not installed (apt-get install -y chromium)")
	}
	t.Skip("Chromium not found: install Debian's chromium and set YIWANG_TEST_BROWSER=1 to run the browser tests")
	return ""
}

func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("YIWANG_TEST_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, "web")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func newBrowser(t *testing.T, h *harness) *browser {
	t.Helper()
	b, stop := newBrowserWith(t, h)
	t.Cleanup(stop)
	return b
}

// newBrowserWith starts Chromium with extra options (a profile directory
// kept across restarts); stop closes it gracefully, so that what the
// profile holds is on disk.
func newBrowserWith(t *testing.T, h *harness, extra ...chromedp.ExecAllocatorOption) (*browser, func()) {
	t.Helper()
	path := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		// A Chinese browser: pages negotiate zh-CN from Accept-Language.
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.WindowSize(390, 844),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, extra...)...)
	bctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(bctx, 4*time.Minute)
	stop := func() {
		cctx, cancel := context.WithTimeout(bctx, 10*time.Second)
		chromedp.Cancel(cctx)
		cancel()
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	}
	b := &browser{t: t, h: h, ctx: ctx, dir: artifactsDir(t)}
	// The citizen's phone: a 390×844 viewport.
	b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
	t.Logf("screenshots in %s", b.dir)
	return b, stop
}

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.shot("failure")
		b.t.Fatalf("browser: %v (at %s)", err, b.location())
	}
}

func (b *browser) location() string {
	loc, _ := chromedp.Run(b.ctx, chromedp.Location())
	return loc
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.shot("failure")
		b.t.Fatalf("text of %s: %v (at %s)", sel, err, b.location())
	}
	return strings.TrimSpace(s)
}

func (b *browser) eval(js string) bool {
	b.t.Helper()
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return ok
}

// shot keeps a full-page screenshot of the current page as a test artefact.
func (b *browser) shot(name string) {
	b.shots++
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	f := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.shots, name))
	if err := os.WriteFile(f, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

// clickAndLoad clicks what leads to another page and waits until that page
// has replaced the current one.
func (b *browser) clickAndLoad(sel string) {
	b.t.Helper()
	b.eval(`(document.body.dataset.stale = "1") !== ""`)
	b.do(chromedp.Click(chromedp.CSS(sel)), chromedp.WaitReady(chromedp.CSS(`body:not([data-stale]) footer`)))
}

func (b *browser) open(path string, wait string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.h.srv.URL+path), chromedp.WaitVisible(chromedp.CSS(wait)))
}

func (b *browser) login(user, password string) {
	b.t.Helper()
	b.open("/login", "#login-form")
	b.do(
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
	)
	b.clickAndLoad("#login-submit")
}

func (b *browser) logout() {
	b.t.Helper()
	b.clickAndLoad("#logout")
	b.do(chromedp.WaitVisible(chromedp.CSS("#login-form")))
}

// openFromInbox finds the case in the user's own inbox tab and opens it.
func (b *browser) openFromInbox(id int64, name string) {
	b.t.Helper()
	row := fmt.Sprintf(`tr[data-case="%d"]`, id)
	b.do(chromedp.WaitVisible(chromedp.CSS(row)))
	b.shot(name + "-inbox")
	b.clickAndLoad(row + " a.case-link")
	b.do(chromedp.WaitVisible(chromedp.CSS("#case-status")))
}

// act opens an action's form on the case page, lets fill complete it and
// submits it, waiting for the page after it.
func (b *browser) act(action string, fill ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if !b.eval(`document.querySelector('#action-` + action + `').open`) {
		b.do(chromedp.Click(chromedp.CSS("#action-" + action + " > summary")))
	}
	b.do(fill...)
	b.clickAndLoad("#submit-" + action)
	b.do(chromedp.WaitVisible(chromedp.CSS("#case-status")))
}

func (b *browser) wantStatus(want string) {
	b.t.Helper()
	if got := b.text("#case-status"); got != want {
		b.shot("failure")
		b.t.Fatalf("case status %q, want %q (at %s)", got, want, b.location())
	}
}

// TestWebBrowser drives the pages in Chromium: a citizen's report with a
// photo on a phone-sized screen goes round the whole loop through the
// workbench of four staff roles and comes back closed to the citizen, who
// rates it. Then: a login failure, a form error next to its field, and the
// English switch.
func TestWebBrowser(t *testing.T) {
	chromiumPath(t) // skip before booting the app
	h := newHarness(t, t.TempDir())
	b := newBrowser(t, h)
	ctx := context.Background()

	photo := filepath.Join(t.TempDir(), "before.png")
	if err := os.WriteFile(photo, pngBytes(t), 0o644); err != nil {
		t.Fatal(err)
	}
	lat, lng, _ := demoPoint(t, h, 17)
	const catCode = "0105" // 路灯, handled by the city management bureau (chengguan)

	t.Run("closed loop", func(t *testing.T) {
		b.t = t
		// 1. The citizen reports on their phone.
		b.open("/report", "#report-form")
		if got := b.text("h1"); !strings.Contains(got, "随手拍") {
			t.Fatalf("report page heading %q is not Chinese", got)
		}
		b.shot("citizen-report-form")
		b.do(
			chromedp.SendKeys(chromedp.CSS("#category-search"), "路灯"),
			chromedp.Click(chromedp.CSS(`label.chip[data-keywords$=" `+catCode+`"]`)),
			chromedp.SendKeys(chromedp.CSS("#description"), "春园路口路灯连续三晚不亮，行人看不清路面"),
			chromedp.SetUploadFiles(chromedp.CSS("#photos"), []string{photo}),
			chromedp.SendKeys(chromedp.CSS("#lat"), strconv.FormatFloat(lat, 'f', 6, 64)),
			chromedp.SendKeys(chromedp.CSS("#lng"), strconv.FormatFloat(lng, 'f', 6, 64)),
			chromedp.SendKeys(chromedp.CSS("#address"), "春园路与乐坪大道交叉口"),
			chromedp.SendKeys(chromedp.CSS("#name"), "刘小梅"),
			chromedp.SendKeys(chromedp.CSS("#phone"), "13812345678"),
		)
		if !b.eval(`document.querySelector('input[name=category]:checked') !== null`) {
			b.shot("failure")
			t.Fatal("the category search and chip did not pick a category")
		}
		b.shot("citizen-report-filled")
		b.clickAndLoad("#submit-report")
		b.do(chromedp.WaitVisible(chromedp.CSS("#receipt-code")))
		receipt := b.text("#receipt-code")
		b.shot("citizen-receipt")
		c, _, err := h.app.Service.CaseByReceipt(ctx, receipt)
		if err != nil {
			t.Fatalf("receipt %q: %v", receipt, err)
		}
		if c.Status != model.StateReported || c.Channel != model.ChannelApp || c.Reporter.Phone != "13812345678" || c.GridID == 0 {
			t.Fatalf("case filed from the page: %+v", c)
		}
		cat := h.app.Service.Ref().Categories[c.CategoryID]
		if cat.Code != catCode {
			t.Fatalf("category %s, want %s", cat.Code, catCode)
		}
		unitUser := unitUser(t, h, c.UnitID)

		// 2. The operator finds it in 待受理 and accepts it.
		b.login("operator1", "yiwang-demo")
		if got := b.text(`#tab-reported[aria-current="page"] .tab-label`); got != "待受理" {
			t.Fatalf("operator lands on tab %q", got)
		}
		b.openFromInbox(c.ID, "operator")
		if !strings.Contains(b.text(".facts"), "138****5678") || strings.Contains(b.text(".facts"), "13812345678") {
			t.Fatal("the operator must see the reporter's phone masked")
		}
		if b.eval(`document.querySelector('#action-dispatch') !== null`) {
			t.Fatal("the operator is offered the dispatcher's action")
		}
		b.act("accept")
		b.wantStatus("待派遣")
		b.shot("operator-accepted")
		b.logout()

		// 3. The command centre dispatches it to the routed unit.
		b.login("dispatcher", "yiwang-demo")
		b.openFromInbox(c.ID, "dispatcher")
		b.act("dispatch")
		b.wantStatus("待签收")
		if b.text("#case-deadline") == "" {
			t.Fatal("a dispatched case shows no deadline")
		}
		b.shot("dispatcher-dispatched")
		b.logout()

		// 4. The unit signs for it, then reports back with an evidence
		// photo; without a note the error shows next to the note field.
		b.login(unitUser, "yiwang-demo")
		b.openFromInbox(c.ID, "unit")
		if strings.Contains(b.text(".facts"), "5678") {
			t.Fatal("the handling unit must not see who reported")
		}
		b.act("sign")
		b.wantStatus("处置中")
		b.act("report_back", chromedp.SetUploadFiles(chromedp.CSS("#report_back-evidence"), []string{photo}))
		if got := b.text("#report_back-note-error"); got != "必填" {
			t.Fatalf("report back without a note: error next to the note is %q", got)
		}
		b.wantStatus("处置中")
		b.shot("unit-report-back-error")
		b.act("report_back",
			chromedp.SetUploadFiles(chromedp.CSS("#report_back-evidence"), []string{photo}),
			chromedp.SendKeys(chromedp.CSS("#report_back-note"), "已更换灯具，夜间复查正常照明"))
		b.wantStatus("待核查")
		b.shot("unit-reported-back")
		b.logout()

		// 5. The supervision centre verifies and closes it.
		b.login("supervisor", "yiwang-demo")
		b.openFromInbox(c.ID, "supervisor")
		b.act("verify", chromedp.Click(chromedp.CSS("#verify-result-pass")),
			chromedp.SendKeys(chromedp.CSS("#verify-note"), "现场核查，路灯已恢复"))
		b.wantStatus("已结案")
		b.shot("supervisor-closed")
		b.logout()

		// 6. The citizen sees it closed by receipt code, with the photos
		// before and after, and rates it.
		b.open("/track", "#code")
		b.do(chromedp.SendKeys(chromedp.CSS("#code"), strings.ToLower(receipt)))
		b.clickAndLoad("#track-submit")
		b.do(chromedp.WaitVisible(chromedp.CSS("#track-status")))
		if got := b.text("#track-status"); got != "已结案" {
			t.Fatalf("the citizen sees %q", got)
		}
		// The images load after the page: on a busy machine not yet when
		// the status shows.
		b.waitJS("the citizen to see both the before and after photos",
			`(() => { const i = document.querySelectorAll('.photo-set img'); return i.length === 2 && [...i].every(x => x.complete && x.naturalWidth > 0); })()`, 15*time.Second)
		if strings.Contains(b.text("main"), "刘小梅") || strings.Contains(b.text("main"), "指挥中心派遣员") {
			t.Fatal("the public page shows a name")
		}
		b.shot("citizen-track-closed")
		b.do(chromedp.Click(chromedp.CSS(`input[name=result][value=satisfied]`)),
			chromedp.SendKeys(chromedp.CSS("#rate-note"), "处理及时，谢谢"))
		b.clickAndLoad("#rate-submit")
		b.do(chromedp.WaitVisible(chromedp.CSS("#rated")))
		b.shot("citizen-rated")
		c, tl, err := h.app.Service.CaseByReceipt(ctx, receipt)
		if err != nil {
			t.Fatal(err)
		}
		last := tl[len(tl)-1]
		if c.Satisfaction != "satisfied" || last.Action != service.EventCitizenRating || last.Role != model.RoleCitizen || last.Note != "处理及时，谢谢" {
			t.Fatalf("rating not recorded: satisfaction %q, last event %+v", c.Satisfaction, last)
		}
		if b.eval(`document.querySelector('#rate-submit') !== null`) {
			t.Fatal("the rating form is offered again")
		}
	})

	t.Run("login failure", func(t *testing.T) {
		b.t = t
		b.login("operator1", "wrong-password")
		if got := b.text("#page-error"); got != "用户名或密码错误" {
			t.Fatalf("login failure message %q", got)
		}
		if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS("#username"))); got != "operator1" {
			t.Fatalf("the username is not kept: %q", got)
		}
		b.shot("login-failure")
	})

	t.Run("field error", func(t *testing.T) {
		b.t = t
		b.open("/report", "#report-form")
		b.do(chromedp.Click(chromedp.CSS(`label.chip[data-keywords$=" `+catCode+`"]`)),
			chromedp.SendKeys(chromedp.CSS("#lat"), strconv.FormatFloat(lat, 'f', 6, 64)),
			chromedp.SendKeys(chromedp.CSS("#lng"), strconv.FormatFloat(lng, 'f', 6, 64)),
			chromedp.SendKeys(chromedp.CSS("#phone"), "12345"))
		b.clickAndLoad("#submit-report")
		b.do(chromedp.WaitVisible(chromedp.CSS("#description-error")))
		if got := b.text("#field-description #description-error"); got != "必填" {
			t.Fatalf("description error %q", got)
		}
		if got := b.text("#phone-error"); got != "手机号码格式不正确" {
			t.Fatalf("phone error %q", got)
		}
		if !b.eval(`document.querySelector('#description').getAttribute('aria-invalid') === 'true' && document.querySelector('input[name=category]:checked') !== null`) {
			t.Fatal("the form does not keep the choice or mark the invalid field")
		}
		b.shot("report-field-error")
	})

	t.Run("hotline entry", func(t *testing.T) {
		b.t = t
		// A 12345 operator types a caller's problem in on the same
		// phone-sized screen: from the inbox to the form, the hotline
		// order's own fields, and on to the new case's page.
		b.login("operator1", "yiwang-demo")
		b.clickAndLoad("#new-case")
		b.do(chromedp.WaitVisible(chromedp.CSS("#newcase-form")))
		b.clickAndLoad("#type-hotline_order")
		b.do(chromedp.WaitVisible(chromedp.CSS("#f-appeal_kind")))
		if !b.eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
			b.shot("failure")
			t.Fatal("the case-entry form is wider than the phone's screen")
		}
		if got := b.eval(`document.querySelector('#channel').value === 'hotline'`); !got {
			t.Fatal("the operator's channel does not default to the hotline")
		}
		b.do(
			chromedp.SendKeys(chromedp.CSS("#category-search"), "路灯"),
			chromedp.Click(chromedp.CSS(`label.chip[data-keywords$=" `+catCode+`"]`)),
			chromedp.SendKeys(chromedp.CSS("#description"), "来电反映：春园路口路灯不亮已一周，夜间行人多"),
			chromedp.SetValue(chromedp.CSS("#f-appeal_kind"), "complaint"),
			chromedp.SendKeys(chromedp.CSS("#lat"), strconv.FormatFloat(lat, 'f', 6, 64)),
			chromedp.SendKeys(chromedp.CSS("#lng"), strconv.FormatFloat(lng, 'f', 6, 64)),
			chromedp.SendKeys(chromedp.CSS("#name"), "欧阳晓"),
			chromedp.SendKeys(chromedp.CSS("#phone"), "13900000002"),
		)
		b.shot("operator-hotline-entry")
		b.clickAndLoad("#submit-case")
		b.do(chromedp.WaitVisible(chromedp.CSS("#case-status")))
		b.shot("operator-hotline-case")
		var id int64
		if _, err := fmt.Sscanf(b.location(), h.srv.URL+"/work/cases/%d", &id); err != nil {
			t.Fatalf("after the form the browser is at %s", b.location())
		}
		c, err := h.app.Store.Case(ctx, id)
		if err != nil || c.Type != "hotline_order" || c.Channel != model.ChannelHotline || c.Fields["appeal_kind"] != "complaint" || c.Reporter.Phone != "13900000002" {
			t.Fatalf("the case typed in: %+v, %v", c, err)
		}
		b.logout()
	})

	t.Run("admin pages on a phone", func(t *testing.T) {
		b.t = t
		// Every administrator's page fits the phone's width: wide tables
		// scroll inside their frame, forms stack.
		b.login("admin", "yiwang-demo")
		for _, p := range []struct{ path, wait, shot string }{
			{"/admin/", "h1", "admin-index"},
			{"/admin/users", "h1", "admin-users"},
			{"/admin/grids", "h1", "admin-grids"},
			{"/admin/categories", "h1", "admin-categories"},
			{"/admin/categories/1", "h1", "admin-category"},
			{"/admin/rules", "h1", "admin-rules"},
			{"/admin/apikeys", "h1", "admin-apikeys"},
			{"/admin/sources", "h1", "admin-sources"},
			{"/admin/calendar", "h1", "admin-calendar"},
			{"/work/new", "#newcase-form", "admin-newcase"},
		} {
			b.open(p.path, p.wait)
			if !b.eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
				b.shot("failure-" + p.shot)
				t.Errorf("%s is wider than the phone's screen", p.path)
			}
			b.shot(p.shot)
		}
		b.logout()
	})

	t.Run("dashboard charts", func(t *testing.T) {
		b.t = t
		b.login("leader", "yiwang-demo")
		b.open("/work/dashboard", "h1")
		if !b.eval(`document.querySelector('script[src$="echarts.min.js"]') !== null`) {
			t.Skip("the ECharts library is not in this build (run make assets): the dashboard shows its tables only")
		}
		// Each ranking draws a chart from its table's rows.
		b.do(chromedp.WaitVisible(chromedp.CSS(".chart.chart-on canvas")))
		if !b.eval(`document.querySelectorAll('.chart.chart-on canvas').length >= 2 && document.querySelectorAll('table[data-chart="ranking"] tbody tr').length > 0`) {
			t.Fatal("the rankings have no charts")
		}
		b.shot("leader-dashboard-charts")
		b.logout()
	})

	t.Run("english", func(t *testing.T) {
		b.t = t
		b.open("/", "a.lang-switch")
		if got := b.text("h1"); got != "身边问题，随手一拍" {
			t.Fatalf("home heading %q", got)
		}
		// Both languages in the header, the current one marked, and the
		// toggle inside the phone's screen.
		if !b.eval(`document.querySelector('.lang-toggle').textContent.replace(/\s+/g, '') === '中文|English' && document.querySelector('.lang-toggle [aria-current]').textContent === '中文'`) {
			t.Error("the language toggle does not read 中文 | English with 中文 marked")
		}
		if !b.eval(`(() => { const r = document.querySelector('.lang-toggle').getBoundingClientRect(); return r.right <= window.innerWidth && r.width > 0 && document.documentElement.scrollWidth <= window.innerWidth })()`) {
			b.shot("failure-lang-toggle")
			t.Error("the language toggle does not fit the phone's screen")
		}
		b.clickAndLoad("a.lang-switch")
		b.do(chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] h1`)))
		if got := b.text("h1"); got != "See a problem? Snap it and report it" {
			t.Fatalf("English home heading %q", got)
		}
		b.shot("english-home")
		// The choice is remembered on the next page.
		b.open("/report", "#report-form")
		if got := b.text("h1"); got != "Report a problem" {
			t.Fatalf("English report heading %q", got)
		}
		b.shot("english-report")
		b.clickAndLoad("a.lang-switch")
		b.do(chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-CN"] h1`)))
	})
}
