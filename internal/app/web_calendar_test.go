package app_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
)

// webYear2027 is a valid year file for a year not built in (the one the
// calendar API test loads).
const webYear2027 = `{"year": 2027,
  "holidays": [{"name": "元旦", "name_en": "New Year's Day", "from": "2027-01-01", "to": "2027-01-03"},
               {"name": "春节", "name_en": "Spring Festival", "from": "2027-02-05", "to": "2027-02-13"}],
  "workdays": ["2027-02-14"]}`

// TestWebCalendar works the administrator's page of the working calendar's
// years (节假日安排) as a browser would: the built-in years are listed; a
// year file uploaded through the form is checked, stored and counted with
// at once; a refused file says why in the page's language and writes
// nothing; only administrators may see or post; English labels.
func TestWebCalendar(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ctx := context.Background()
	count := func() int { return h.sqlCount(`SELECT COUNT(*) FROM calendar_years`) }
	upload := func(w *webClient, csrf string, data string) page {
		t.Helper()
		var files map[string][]byte
		if data != "" {
			files = map[string][]byte{"year_file": []byte(data)}
		}
		return w.postMultipart("/admin/calendar", url.Values{"csrf": {csrf}}, files)
	}
	rule := model.DeadlineRule{Kind: model.DeadlineWorkingDays, Amount: 2}
	from := time.Date(2027, 2, 4, 10, 0, 0, 0, calendar.Beijing()) // a Thursday, the eve of the 2027 Spring Festival
	thisYear := h.app.Service.Now().In(calendar.Beijing()).Year()

	// Anonymous: to the login, and back here afterwards.
	anon := newWebClient(t, h.srv.URL, nil)
	if p := anon.get("/admin/calendar"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next="+url.QueryEscape("/admin/calendar") {
		t.Fatalf("anonymous: %d %s", p.status, p.header.Get("Location"))
	}
	if res := upload(anon, anon.csrf("/login"), webYear2027); res.status == http.StatusOK || (res.status == http.StatusSeeOther && !strings.HasPrefix(res.header.Get("Location"), "/login")) {
		t.Errorf("anonymous upload: %d %s", res.status, res.header.Get("Location"))
	}

	admin := newWebClient(t, h.srv.URL, nil)
	admin.login("admin")
	idx := admin.get("/admin/")
	if !strings.Contains(idx.body, `<a href="/admin/calendar" id="admin-calendar">工作日历（节假日安排）</a>`) {
		t.Errorf("the admin index does not link the calendar page")
	}
	if strings.Contains(idx.body, "工作日历（节假日与调休）年度数据的导入") {
		t.Errorf("the admin index still lists the calendar as missing")
	}
	p := admin.get("/admin/calendar")
	checkHTML(t, "calendar page", p)
	if p.status != 200 || !strings.Contains(p.body, `enctype="multipart/form-data"`) || !strings.Contains(p.body, `name="year_file"`) {
		t.Fatalf("calendar page: %d", p.status)
	}
	for _, y := range []string{"2025", "2026"} {
		row := between(p.body, `<tr id="year-`+y+`"`, "</tr>")
		if !strings.Contains(row, `data-source="builtin"`) || !strings.Contains(row, "系统内置") {
			t.Errorf("built-in %s row:\n%s", y, row)
		}
	}
	if strings.Contains(p.body, `id="year-2027"`) {
		t.Fatalf("2027 is listed before it is loaded")
	}
	if thisYear == 2026 {
		if !strings.Contains(between(p.body, `id="detail-2026"`, "</section>"), "春节：2026-02-15 至 2026-02-23（9 天）") ||
			!strings.Contains(between(p.body, `id="detail-2026"`, "</section>"), "2026-02-14（周六）") {
			t.Errorf("2026 detail:\n%s", between(p.body, `id="detail-2026"`, "</section>"))
		}
		if !strings.Contains(p.body, `id="detail-2027-missing"`) {
			t.Errorf("2027 is not said to be missing")
		}
	}
	if _, err := h.app.Service.Deadline(rule, from); err == nil {
		t.Fatalf("a 2027 deadline is counted before the year is loaded")
	}

	// Refused files: why, on the page; nothing written, nothing live.
	before := count()
	for _, tc := range []struct{ name, data, msg string }{
		{"no file", "", "请选择要导入的年度文件。"},
		{"bad JSON", `{"year": 2027, "holidays": [`, "JSON 不完整"},
		{"not JSON", "year: 2027", "JSON 语法错误"},
		{"wrong year", strings.Replace(webYear2027, `"year": 2027`, `"year": 1900`, 1), "year：年份缺失或无效（1900）"},
		{"date of another year", strings.Replace(webYear2027, `"2027-01-03"`, `"2028-01-03"`, 1), "holidays[0].to：日期 2028-01-03 不属于 2027 年"},
		{"overlap", strings.Replace(webYear2027, `"2027-02-05"`, `"2027-01-02"`, 1), "holidays[1]：与 holidays[0]（元旦）在 2027-01-02 重叠"},
		{"from after to", strings.Replace(webYear2027, `"2027-02-13"`, `"2027-02-04"`, 1), "开始日期 2027-02-05 晚于结束日期 2027-02-04"},
		{"weekday as workday", strings.Replace(webYear2027, `"2027-02-14"`, `"2027-02-15"`, 1), "workdays[0]：调休上班日 2027-02-15 是周一"},
		{"not a date", strings.Replace(webYear2027, `"2027-02-14"`, `"2027-02-30"`, 1), "2027-02-30"},
	} {
		res := upload(admin, admin.csrf("/admin/calendar"), tc.data)
		checkHTML(t, tc.name, res)
		errs := between(res.body, `id="calendar-errors"`, "</div>")
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(errs, html.EscapeString(tc.msg)) ||
			!strings.Contains(res.body, "年度文件未导入，系统数据未作任何更改") {
			t.Errorf("%s: %d, want %q in\n%s", tc.name, res.status, tc.msg, errs)
		}
		if n := count(); n != before {
			t.Fatalf("%s: wrote %d years", tc.name, n-before)
		}
		if strings.Contains(res.body, `id="year-2027"`) {
			t.Errorf("%s: 2027 is listed", tc.name)
		}
	}
	if _, ok := h.app.Service.Calendar().Year(2027); ok {
		t.Fatalf("a refused file made 2027 live")
	}
	// No token, no load.
	if res := admin.postMultipart("/admin/calendar", url.Values{}, map[string][]byte{"year_file": []byte(webYear2027)}); res.status != http.StatusForbidden || count() != before {
		t.Errorf("upload without a token: %d", res.status)
	}

	// A valid file: stored, listed with who loaded it, live at once.
	res := upload(admin, admin.csrf("/admin/calendar"), webYear2027)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin/calendar?loaded=2027" {
		t.Fatalf("load 2027: %d %s %s", res.status, res.header.Get("Location"), between(res.body, `id="calendar-errors"`, "</div>"))
	}
	if n := count(); n != before+1 {
		t.Fatalf("the load stored %d years", n-before)
	}
	p = admin.get(res.header.Get("Location"))
	checkHTML(t, "after load", p)
	if !strings.Contains(between(p.body, `id="calendar-loaded"`, "</div>"), "已导入 2027 年节假日安排") {
		t.Errorf("no load message")
	}
	row := between(p.body, `<tr id="year-2027"`, "</tr>")
	for _, want := range []string{`data-source="loaded"`, "管理员导入", "<td>admin</td>", "<time datetime=", `<td class="num">2</td>`, `<td class="num">1</td>`} {
		if !strings.Contains(row, want) {
			t.Errorf("2027 row lacks %q:\n%s", want, row)
		}
	}
	if thisYear == 2026 || thisYear == 2027 {
		d := between(p.body, `id="detail-2027"`, "</section>")
		if !strings.Contains(d, "春节：2027-02-05 至 2027-02-13（9 天）") || !strings.Contains(d, "2027-02-14（周日）") {
			t.Errorf("2027 detail:\n%s", d)
		}
	}
	// 2 working days from Thursday 4 February 2027: the festival (5..13
	// off), then 14 (a make-up Sunday) and 15.
	if due, err := h.app.Service.Deadline(rule, from); err != nil || !due.Equal(time.Date(2027, 2, 15, 23, 59, 59, 0, calendar.Beijing())) {
		t.Errorf("deadline over the 2027 festival: %v %v", due, err)
	}
	// An address claiming a load that did not happen shows nothing.
	if p := admin.get("/admin/calendar?loaded=2030"); strings.Contains(p.body, `id="calendar-loaded"`) {
		t.Errorf("a made-up load message is shown")
	}
	// A refused replacement keeps the loaded year as it was.
	before = count()
	res = upload(admin, admin.csrf("/admin/calendar"), strings.Replace(webYear2027, `"2027-02-14"`, `"2027-02-15"`, 1))
	if res.status != http.StatusUnprocessableEntity || count() != before {
		t.Errorf("bad replacement: %d", res.status)
	}
	if y, ok := h.app.Service.Calendar().Year(2027); !ok || len(y.Workdays) != 1 || y.Workdays[0].String() != "2027-02-14" {
		t.Errorf("2027 after a refused replacement: %+v", y)
	}

	// Other roles: 403 on the page and the form, nothing written.
	before = count()
	for _, user := range []string{"operator1", "supervisor"} {
		w := newWebClient(t, h.srv.URL, nil)
		w.login(user)
		if p := w.get("/admin/calendar"); p.status != http.StatusForbidden || strings.Contains(p.body, `id="year-2027"`) {
			t.Errorf("%s: GET %d", user, p.status)
		}
		other := strings.Replace(webYear2027, "2027", "2028", -1)
		if res := upload(w, w.csrf("/work/inbox"), other); res.status != http.StatusForbidden {
			t.Errorf("%s: upload %d", user, res.status)
		}
	}
	if n := count(); n != before {
		t.Errorf("other roles loaded %d years", n-before)
	}
	if _, err := h.app.Service.AdminCalendarYears(ctx, mustUser(t, h, "operator1")); err == nil {
		t.Errorf("the service lists the years for an operator")
	}

	// English: the labels and a refusal.
	p = admin.get("/admin/calendar?lang=en")
	if p.header.Get("Content-Language") != "en" {
		t.Errorf("Content-Language %q", p.header.Get("Content-Language"))
	}
	for _, want := range []string{"Working calendar (public holidays)", "Years the system knows", "Loaded by an administrator", "Built in", "Make-up working days", "Load a year file"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("English page lacks %q", want)
		}
	}
	for _, zh := range []string{"系统内置", "调休上班日", "导入年度文件"} {
		if strings.Contains(p.body, zh) {
			t.Errorf("English page has %q", zh)
		}
	}
	if thisYear == 2026 || thisYear == 2027 {
		if d := between(p.body, `id="detail-2027"`, "</section>"); !strings.Contains(d, "Spring Festival: 2027-02-05 to 2027-02-13 (9 days)") || !strings.Contains(d, "2027-02-14 (Sunday)") {
			t.Errorf("English 2027 detail:\n%s", d)
		}
	}
	before = count()
	res = upload(admin, admin.csrf("/admin/calendar?lang=en"), strings.Replace(webYear2027, `"2027-01-03"`, `"2028-01-03"`, 1))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "holidays[0].to: date 2028-01-03 is not in 2027") ||
		!strings.Contains(res.body, "The year file was not loaded and nothing was changed") {
		t.Errorf("English refusal: %d %s", res.status, between(res.body, `id="calendar-errors"`, "</div>"))
	}
	if count() != before {
		t.Errorf("the English refusal wrote a year")
	}
}
