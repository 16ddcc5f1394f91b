package app_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// TestWebReviewQueue works the review queue (人工复核) of low-confidence
// machine events through the pages, as a browser would: the list with its
// filters and paging, confirm (a case, channel video) and dismiss, a
// second reviewer's conflict, validation, who may see the page at all, and
// the English labels.
func TestWebReviewQueue(t *testing.T) {
	h, key := intakeHarness(t, service.IntakeOptions{})
	ctx := context.Background()
	lat, lng := gridPoint(t, h, 0)
	seen := time.Now().Add(-90 * time.Minute).Truncate(time.Second).UTC()
	ev := func(dev string, conf float64) map[string]any {
		return map[string]any{"source_id": "xueliang", "device_id": dev, "event_type": "occupy_road", "confidence": conf,
			"lat": lat, "lng": lng, "at": seen.Format(time.RFC3339)}
	}
	// A second source, registered before the first event so the intake's
	// key cache knows it from its first load.
	key2, src2, err := h.app.Service.CreateEventSource(ctx, service.NewEventSource{Code: "iot-water", Name: "积水监测物联网",
		TypeMap: map[string]string{"occupy_road": eventCategory(t, h)}})
	if err != nil {
		t.Fatal(err)
	}
	post := func(key string, e map[string]any) int64 {
		t.Helper()
		r := h.do("POST", "/api/v1/events", key, e)
		if r.status >= 300 || r.body["outcome"] != "review" {
			t.Fatalf("event %v: %d %s", e["device_id"], r.status, r.raw)
		}
		return int64(r.body["machine_event_id"].(float64))
	}

	// Older ones first, in one batch, to fill more than a page (20).
	var batch []any
	for i := range 19 {
		batch = append(batch, ev(fmt.Sprintf("cam-p%02d", i), 0.25))
	}
	if r := h.do("POST", "/api/v1/events", key, map[string]any{"events": batch}); r.status != 200 || r.body["accepted"].(float64) != 19 {
		t.Fatalf("batch: %d %s", r.status, r.raw)
	}
	photo := pngBytes(t)
	withSnap := ev("cam-r1", 0.31)
	withSnap["snapshot"] = base64.StdEncoding.EncodeToString(photo)
	withSnap["address"] = "乐坪街道人民路 12 号"
	r1 := post(key, withSnap)
	r2 := post(key, ev("cam-r2", 0.42))
	r3 := post(key, ev("cam-r3", 0.55))
	// A repeat of cam-r1 folds into its record: two sightings.
	if again := post(key, ev("cam-r1", 0.2)); again != r1 {
		t.Fatalf("repeat of cam-r1 made record %d, want %d", again, r1)
	}

	sup := newWebClient(t, h.srv.URL, nil)
	sup.login("supervisor")
	p := sup.get("/work/review")
	checkHTML(t, "review page", p)
	if p.status != 200 {
		t.Fatalf("review page: %d %s", p.status, p.body)
	}
	if !strings.Contains(p.body, `id="review-waiting">待复核 22 条<`) {
		t.Errorf("heading count: %s", between(p.body, `id="review-heading"`, "</h1>"))
	}
	if !strings.Contains(p.body, `id="nav-review" aria-current="page">人工复核<`) {
		t.Errorf("the reviewer has no current review link in the navigation")
	}
	for _, want := range []string{"设备编号", "置信度", "首次发现", "最近发现", "累计次数", "抓拍", "确认立案", "忽略（误报）"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("review page lacks %q", want)
		}
	}
	// Each row: device, confidence as a percentage, sightings, place (street
	// and grid as the case would be routed), times in China time.
	rows := reviewRows(p.body)
	place := h.app.Service.Locate(lat, lng, 0)
	street := h.app.Service.Ref().OrgName(place.StreetID)
	if street == "" || !strings.Contains(rows[r2], street) {
		t.Errorf("row %d lacks its street %q", r2, street)
	}
	for id, want := range map[int64][]string{
		r1: {"<code>cam-r1</code>", "31.0%", "2 次", "乐坪街道人民路 12 号", "<code>occupy_road</code>", "雪亮工程视频平台", seen.In(calendar.Beijing()).Format("2006-01-02 15:04")},
		r2: {"<code>cam-r2</code>", "42.0%", "1 次"},
		r3: {"<code>cam-r3</code>", "55.0%", `action="/work/review/` + itoa64(r3) + `/confirm"`, `action="/work/review/` + itoa64(r3) + `/dismiss"`},
	} {
		row, ok := rows[id]
		if !ok {
			t.Fatalf("record %d not listed", id)
		}
		for _, s := range want {
			if !strings.Contains(row, s) {
				t.Errorf("row %d lacks %q:\n%s", id, s, row)
			}
		}
	}
	if len(rows) != 20 {
		t.Errorf("first page lists %d records, want 20", len(rows))
	}
	// Newest first.
	if i3, i1 := strings.Index(p.body, "cam-r3"), strings.Index(p.body, "cam-r1"); i3 < 0 || i1 < 0 || i3 > i1 {
		t.Errorf("not newest first: cam-r3 at %d, cam-r1 at %d", i3, i1)
	}
	// The snapshot is shown and served only as this record's.
	snap := regexp.MustCompile(`<img src="(/work/review/` + itoa64(r1) + `/files/[^"]+)"`).FindStringSubmatch(rows[r1])
	if snap == nil {
		t.Fatalf("no snapshot thumbnail in row %d", r1)
	}
	if f := sup.get(snap[1]); f.status != 200 || f.header.Get("Content-Type") != "image/png" || f.body != string(photo) {
		t.Errorf("snapshot: %d %s", f.status, f.header.Get("Content-Type"))
	}
	file := snap[1][strings.LastIndex(snap[1], "/")+1:]
	if f := sup.get(fmt.Sprintf("/work/review/%d/files/%s", r2, file)); f.status != 404 {
		t.Errorf("another record's snapshot: %d", f.status)
	}
	if strings.Contains(rows[r2], "<img") {
		t.Errorf("a record without a snapshot shows an image")
	}
	// Keyset paging: the second page has the two oldest (lowest ids: the
	// batch's records, numbered in the order the intake stored them,
	// which on PostgreSQL's concurrent writers is not the batch's order).
	next := regexp.MustCompile(`href="([^"]+)" class="button" rel="next"`).FindStringSubmatch(p.body)
	if next == nil {
		t.Fatalf("no next page link")
	}
	p2 := sup.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	rows2 := reviewRows(p2.body)
	if p2.status != 200 || len(rows2) != 2 || !strings.Contains(p2.body, "<code>cam-p") || strings.Contains(p2.body, "cam-r") {
		t.Errorf("second page: %d, %d rows", p2.status, len(rows2))
	}
	for id2 := range rows2 {
		for id1 := range rows {
			if id2 >= id1 {
				t.Errorf("second page's record %d is not older than the first page's %d", id2, id1)
			}
		}
	}

	// Confirm cam-r2 through its form: a case, channel video, in the
	// reviewer's name, with the description typed; the list says so.
	casesBefore := h.sqlCount(`SELECT COUNT(*) FROM cases`)
	csrf := sup.csrf("/work/review")
	res := sup.post(fmt.Sprintf("/work/review/%d/confirm", r2), url.Values{"csrf": {csrf}, "back": {"/work/review"},
		"note": {"看过录像，属实"}, "description": {"人民路早市三轮车占道经营"}})
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/work/review?") {
		t.Fatalf("confirm: %d %s %s", res.status, loc, res.body)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM cases`); n != casesBefore+1 {
		t.Fatalf("confirm made %d cases", n-casesBefore)
	}
	caseID := int64(h.sqlCount(`SELECT case_id FROM machine_events WHERE id = ?`, r2))
	tok := h.login("supervisor")
	c := h.do("GET", fmt.Sprintf("/api/v1/cases/%d", caseID), tok, nil)
	if c.status != 200 || c.body["channel"] != "video" || c.body["description"] != "人民路早市三轮车占道经营" {
		t.Fatalf("confirmed case: %d %s", c.status, c.raw)
	}
	if by := h.sqlCount(`SELECT created_by FROM cases WHERE id = ?`, caseID); by != h.sqlCount(`SELECT id FROM users WHERE username = 'supervisor'`) {
		t.Errorf("case created by user %d, not the reviewer", by)
	}
	receipt, _ := c.body["receipt"].(string)
	p = sup.get(loc)
	done := between(p.body, `id="review-done"`, "</div>")
	if receipt == "" || !strings.Contains(done, fmt.Sprintf("事件 #%d 已确认立案", r2)) ||
		!strings.Contains(done, fmt.Sprintf(`<a href="/work/cases/%d" id="review-done-case"><code>%s</code></a>`, caseID, receipt)) {
		t.Errorf("confirm message: %q (receipt %s)", done, receipt)
	}
	if _, listed := reviewRows(p.body)[r2]; listed || !strings.Contains(p.body, "待复核 21 条") {
		t.Errorf("confirmed record still waiting")
	}
	// An address edited to claim another outcome shows no message.
	if p := sup.get(fmt.Sprintf("/work/review?done=confirm&event=%d&case=%d", r3, caseID)); strings.Contains(p.body, `id="review-done"`) {
		t.Errorf("a made-up confirm message is shown")
	}

	// Dismiss cam-r3: it leaves the list and shows under 已忽略, without forms.
	res = sup.post(fmt.Sprintf("/work/review/%d/dismiss", r3), url.Values{"csrf": {csrf}, "back": {"/work/review?status=review"}, "note": {"误报：树影"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("dismiss: %d %s", res.status, res.body)
	}
	p = sup.get(res.header.Get("Location"))
	if !strings.Contains(p.body, fmt.Sprintf("事件 #%d 已忽略", r3)) {
		t.Errorf("no dismiss message")
	}
	if _, listed := reviewRows(p.body)[r3]; listed {
		t.Errorf("dismissed record still waiting")
	}
	p = sup.get("/work/review?status=dismissed")
	if row, ok := reviewRows(p.body)[r3]; !ok || !strings.Contains(row, "已忽略") || !strings.Contains(row, "误报：树影") || strings.Contains(row, "<form") {
		t.Errorf("dismissed list: %q", row)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM cases`); n != casesBefore+1 {
		t.Errorf("dismiss made a case")
	}
	// Opened ones show their case.
	if row, ok := reviewRows(sup.get("/work/review?status=open").body)[r2]; !ok || !strings.Contains(row, fmt.Sprintf(`href="/work/cases/%d"`, caseID)) {
		t.Errorf("opened list: %q", row)
	}

	// A second reviewer too late: a conflict, nothing written.
	op := newWebClient(t, h.srv.URL, nil)
	op.login("operator1")
	for _, tc := range []struct {
		path, state string
	}{
		{fmt.Sprintf("/work/review/%d/confirm", r2), "已立案"},
		{fmt.Sprintf("/work/review/%d/dismiss", r2), "已立案"},
		{fmt.Sprintf("/work/review/%d/confirm", r3), "已忽略"},
	} {
		res := op.post(tc.path, url.Values{"csrf": {op.csrf("/work/review")}, "back": {"/work/review"}})
		checkHTML(t, "conflict", res)
		if res.status != http.StatusConflict || !strings.Contains(res.body, "已被他人复核（当前状态："+tc.state+"），本次操作未执行") {
			t.Errorf("%s again: %d %s", tc.path, res.status, between(res.body, `id="page-error"`, "</div>"))
		}
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM cases`); n != casesBefore+1 {
		t.Errorf("a repeated confirm made a second case: %d", n-casesBefore)
	}
	if st := h.sqlCount(`SELECT COUNT(*) FROM machine_events WHERE id = ? AND status = 'dismissed'`, r3); st != 1 {
		t.Errorf("confirming a dismissed record changed it")
	}

	// Validation: a note too long comes back on its form, nothing written.
	res = op.post(fmt.Sprintf("/work/review/%d/confirm", r1), url.Values{"csrf": {op.csrf("/work/review")}, "back": {"/work/review"},
		"note": {strings.Repeat("长", service.MaxNote+1)}, "description": {"保留我输入的描述"}})
	row := reviewRows(res.body)[r1]
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, fmt.Sprintf("事件 #%d 的复核未提交", r1)) ||
		!strings.Contains(row, fmt.Sprintf(`id="confirm-%d-note-error">不能超过 %d 个字`, r1, service.MaxNote)) ||
		!strings.Contains(row, fmt.Sprintf(`id="confirm-%d" open`, r1)) || !strings.Contains(row, "保留我输入的描述") {
		t.Errorf("invalid confirm: %d\n%s", res.status, row)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM cases`); n != casesBefore+1 {
		t.Errorf("an invalid confirm made a case")
	}
	if st := h.sqlCount(`SELECT COUNT(*) FROM machine_events WHERE id = ? AND status = 'review'`, r1); st != 1 {
		t.Errorf("an invalid confirm changed the record")
	}
	// No CSRF token, no review.
	if res := op.post(fmt.Sprintf("/work/review/%d/dismiss", r1), url.Values{"back": {"/work/review"}}); res.status != http.StatusForbidden {
		t.Errorf("dismiss without a token: %d", res.status)
	}
	if st := h.sqlCount(`SELECT COUNT(*) FROM machine_events WHERE id = ? AND status = 'review'`, r1); st != 1 {
		t.Errorf("a dismiss without a token changed the record")
	}
	// A form's back address off the list is not followed.
	res = op.post(fmt.Sprintf("/work/review/%d/dismiss", r1), url.Values{"csrf": {op.csrf("/work/review")}, "back": {"//evil.example/work/review"}})
	if loc := res.header.Get("Location"); res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/work/review?") {
		t.Errorf("dismiss with an off-site back: %d %s", res.status, loc)
	}

	// Filter by source: a second source's event only.
	e := ev("sensor-9", 0.1)
	e["source_id"] = "iot-water"
	r9 := post(key2, e)
	p = sup.get(fmt.Sprintf("/work/review?source=%d", src2.ID))
	if rows := reviewRows(p.body); len(rows) != 1 || rows[r9] == "" || !strings.Contains(p.body, "待复核 1 条") {
		t.Errorf("source filter: %d rows", len(rows))
	}
	if p := sup.get("/work/review?status=all"); reviewRows(p.body)[r3] == "" || reviewRows(p.body)[r9] == "" {
		t.Errorf("status all lacks the dismissed or the newest")
	}

	// Who may see it: reviewers have the link, others neither link nor page.
	for user, may := range map[string]bool{"operator1": true, "admin": true, "dispatcher": false, "chengguan": false, "leader": false} {
		w := newWebClient(t, h.srv.URL, nil)
		w.login(user)
		if got := strings.Contains(w.get("/work/inbox").body, `href="/work/review"`); got != may {
			t.Errorf("%s: review link in the navigation %v, want %v", user, got, may)
		}
		p := w.get("/work/review")
		if may && p.status != 200 || !may && (p.status != http.StatusForbidden || !strings.Contains(p.body, "您的岗位没有人工复核权限")) {
			t.Errorf("%s: review page %d", user, p.status)
		}
		checkHTML(t, user+" review page", p)
	}
	unit := newWebClient(t, h.srv.URL, nil)
	unit.login("chengguan")
	if res := unit.post(fmt.Sprintf("/work/review/%d/confirm", r9), url.Values{"csrf": {unit.csrf("/work/inbox")}}); res.status != http.StatusForbidden {
		t.Errorf("a unit confirms: %d", res.status)
	}
	if f := unit.get(snap[1]); f.status != http.StatusForbidden {
		t.Errorf("a unit opens a snapshot: %d", f.status)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM cases`); n != casesBefore+1 {
		t.Errorf("a unit's confirm made a case")
	}
	cit := newWebClient(t, h.srv.URL, nil)
	cit.login("citizen")
	if p := cit.get("/work/review"); p.status != http.StatusForbidden {
		t.Errorf("citizen: %d", p.status)
	}
	anon := newWebClient(t, h.srv.URL, nil)
	if p := anon.get("/work/review?status=all"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next="+url.QueryEscape("/work/review?status=all") {
		t.Errorf("anonymous: %d %s", p.status, p.header.Get("Location"))
	}

	// English.
	p = sup.get("/work/review?lang=en")
	for _, want := range []string{"Machine-event review", "Device ID", "Confidence", "First seen", "Last seen", "Sightings", "Confirm as a case", "Dismiss (false alarm)", ">Review queue<"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("English page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "置信度") || strings.Contains(p.body, "确认立案") || p.header.Get("Content-Language") != "en" {
		t.Errorf("English page has Chinese labels")
	}
	res = sup.post(fmt.Sprintf("/work/review/%d/confirm", r2), url.Values{"csrf": {sup.csrf("/work/review")}})
	if res.status != http.StatusConflict || !strings.Contains(res.body, "has already been reviewed by someone else (now: Case opened)") {
		t.Errorf("English conflict: %d %s", res.status, between(res.body, `id="page-error"`, "</div>"))
	}
}

var reviewRowRe = regexp.MustCompile(`(?s)<li class="card review-item" id="event-(\d+)".*?</li>`)

// reviewRows splits the review list into its rows by record id.
func reviewRows(body string) map[int64]string {
	out := map[int64]string{}
	for _, m := range reviewRowRe.FindAllStringSubmatch(body, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		out[id] = m[0]
	}
	return out
}

func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }
