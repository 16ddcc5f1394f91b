package app_test

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

var newKeyRe = regexp.MustCompile(`<code class="secret-key" id="new-key">([^<]+)</code>`)

// sourceForm is a valid add form; edit changes it.
func sourceForm(csrf string, edit func(url.Values)) url.Values {
	f := url.Values{"csrf": {csrf}, "code": {"xueliang-web"}, "name": {"雪亮工程视频平台（网页登记）"}, "kind": {"video"},
		"min_confidence": {"0.5"}, "window": {"15"}, "distance": {"80"}, "note_every": {"5"}, "type_map": {""}}
	if edit != nil {
		edit(f)
	}
	return f
}

// leafEventCategories returns two leaf event categories of city cases and
// the parent of the first (not a leaf).
func leafEventCategories(t *testing.T, h *harness) (string, string, string) {
	t.Helper()
	ref := h.app.Service.Ref()
	var leaves []string
	var parent string
	for _, c := range ref.CatList {
		if c.Kind == "event" && c.CaseType == "city_case" && ref.IsLeaf(c.ID) && c.ParentID != 0 {
			if parent == "" {
				parent = ref.Categories[c.ParentID].Code
			}
			leaves = append(leaves, c.Code)
		}
	}
	if len(leaves) < 2 || parent == "" {
		t.Fatal("the demo has too few event categories")
	}
	return leaves[0], leaves[1], parent
}

// sourceRows splits the sources table into its rows by code.
func sourceRows(body string) map[string]string {
	out := map[string]string{}
	re := regexp.MustCompile(`(?s)<tr id="source-\d+".*?</tr>`)
	code := regexp.MustCompile(`<th scope="row"><code>([^<]+)</code>`)
	for _, row := range re.FindAllString(body, -1) {
		if m := code.FindStringSubmatch(row); m != nil {
			out[html.UnescapeString(m[1])] = row
		}
	}
	return out
}

// TestWebEventSources works the administrator's page of machine-event
// sources (视频/物联感知接入) as a browser would: add a source through the
// form and use its key at once; the key is shown once and stored nowhere;
// the settings typed are the ones applied; invalid input comes back on
// its fields and writes nothing; revoke through the form refuses the key
// at once; only administrators may see or post; English labels.
func TestWebEventSources(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ctx := context.Background()
	cat1, cat2, parentCat := leafEventCategories(t, h)
	count := func() int { return h.sqlCount(`SELECT COUNT(*) FROM event_sources`) }

	// Anonymous: to the login, and back here afterwards.
	anon := newWebClient(t, h.srv.URL, nil)
	if p := anon.get("/admin/sources"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next="+url.QueryEscape("/admin/sources") {
		t.Fatalf("anonymous: %d %s", p.status, p.header.Get("Location"))
	}

	admin := newWebClient(t, h.srv.URL, nil)
	admin.login("admin")
	if p := admin.get("/admin/"); !strings.Contains(p.body, `<a href="/admin/sources" id="admin-sources">视频/物联感知接入</a>`) {
		t.Errorf("the admin index does not link the sources page")
	}
	p := admin.get("/admin/sources")
	checkHTML(t, "sources page", p)
	if p.status != 200 || !strings.Contains(p.body, `id="sources-empty"`) || !strings.Contains(p.body, `action="/admin/sources"`) {
		t.Fatalf("empty sources page: %d", p.status)
	}
	before := count()

	// Add through the form: the key is on the answer, once, with how to
	// use it; no redirect carries it.
	res := admin.post("/admin/sources", sourceForm(admin.csrf("/admin/sources"), func(f url.Values) {
		f.Set("type_map", "occupy_road = "+cat1+"\r\n\r\nwaterlogging="+cat2+"\n")
	}))
	checkHTML(t, "source added", res)
	m := newKeyRe.FindStringSubmatch(res.body)
	if res.status != http.StatusOK || m == nil {
		t.Fatalf("add: %d %s", res.status, between(res.body, `id="page-error"`, "</div>"))
	}
	key := m[1]
	if !strings.HasPrefix(key, service.EventKeyPrefix) || len(key) < 30 {
		t.Fatalf("key %q", key)
	}
	if loc := res.header.Get("Location"); loc != "" {
		t.Errorf("the add answer redirects to %q", loc)
	}
	if n := strings.Count(res.body, key); n != 1 {
		t.Errorf("the key is on the answer %d times, want once", n)
	}
	for _, want := range []string{"请立即复制，此密钥只显示一次", "Authorization: Bearer &lt;密钥&gt;", "POST /api/v1/events", `"source_id": "xueliang-web"`} {
		if !strings.Contains(between(res.body, `id="new-key-box"`, "</section>"), want) {
			t.Errorf("key box lacks %q", want)
		}
	}
	if res.header.Get("Cache-Control") != "no-store" {
		t.Errorf("the key page may be cached: %q", res.header.Get("Cache-Control"))
	}
	// The form is blank again (the defaults), not the source just added.
	if strings.Contains(between(res.body, `id="source-form"`, "</form>"), "xueliang-web") {
		t.Errorf("the form still holds the added source")
	}
	if count() != before+1 {
		t.Fatalf("add made %d sources", count()-before)
	}
	// Stored as typed: the numbers and the map (lines trimmed, blanks skipped).
	var src service.AdminEventSource
	srcs, err := h.app.Service.AdminEventSources(ctx, mustUser(t, h, "admin"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		if s.Code == "xueliang-web" {
			src = s
		}
	}
	wantMap := map[string]string{"occupy_road": cat1, "waterlogging": cat2}
	if src.ID == 0 || src.Kind != "video" || src.MinConfidence != 0.5 || src.FoldWindow != 15*time.Minute || src.FoldDistanceM != 80 ||
		src.NoteEvery != 5 || !maps.Equal(src.TypeMap, wantMap) || src.KeyHash != "" || !strings.HasPrefix(key, src.KeyPrefix) {
		t.Fatalf("stored source %+v", src)
	}

	// The key works at once, with the threshold typed (0.5, not the
	// default 0.6): 0.55 opens a case, 0.3 waits for review.
	lat, lng := gridPoint(t, h, 0)
	ev := func(dev string, conf float64) map[string]any {
		return map[string]any{"source_id": "xueliang-web", "device_id": dev, "event_type": "occupy_road", "confidence": conf,
			"lat": lat, "lng": lng, "at": time.Now().Format(time.RFC3339)}
	}
	if r := h.do("POST", "/api/v1/events", key, ev("cam-1", 0.55)); r.status != 201 || r.body["outcome"] != "created" {
		t.Fatalf("first post with the new key: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/api/v1/events", key, ev("cam-2", 0.3)); r.status != 200 || r.body["outcome"] != "review" {
		t.Fatalf("low-confidence post: %d %s", r.status, r.raw)
	}
	// The mapped second type lands in its category.
	wl := ev("cam-3", 0.9)
	wl["event_type"] = "waterlogging"
	if r := h.do("POST", "/api/v1/events", key, wl); r.status != 201 {
		t.Fatalf("second mapped type: %d %s", r.status, r.raw)
	}

	// The list: the row with the prefix, settings and waiting count; the
	// key itself is nowhere on it.
	p = admin.get("/admin/sources")
	row := sourceRows(p.body)["xueliang-web"]
	for _, want := range []string{"<code class=\"key-prefix\">" + src.KeyPrefix + "…</code>", ">0.5<", "15 分钟 · 80 米", ">5<",
		"<code>occupy_road</code> → <code>" + cat1 + "</code>", "<code>waterlogging</code> → <code>" + cat2 + "</code>", "有效",
		fmt.Sprintf(`<a href="/work/review?source=%d">1</a>`, src.ID), fmt.Sprintf(`action="/admin/sources/%d/revoke"`, src.ID), `data-state="active"`} {
		if !strings.Contains(row, want) {
			t.Errorf("row lacks %q:\n%s", want, row)
		}
	}
	if strings.Contains(p.body, key) || strings.Contains(p.body, `id="new-key"`) {
		t.Errorf("the list page shows the key again")
	}
	if strings.Contains(admin.get("/admin/sources?lang=en").body, key) {
		t.Errorf("the English list shows the key")
	}
	admin.get("/admin/?lang=zh-CN")
	// Stored nowhere: not in the database, its log or the audit chain
	// (which names the admin and the source).
	wfWait(t, "the add's audit entry", func() bool {
		return h.sqlCount(`SELECT COUNT(*) FROM audit_log WHERE action = 'POST /admin/sources' AND username = 'admin' AND detail LIKE '%code=xueliang-web%'`) == 1
	})
	filepath.WalkDir(h.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte(key)) {
			t.Errorf("the key is stored in %s", path)
		}
		return nil
	})

	// Invalid input: the errors next to their fields, what was typed kept,
	// nothing written.
	before = count()
	for _, tc := range []struct {
		name  string
		edit  func(url.Values)
		field string
		msg   string
	}{
		{"empty code", func(f url.Values) { f.Set("code", "  ") }, "code", "必填"},
		{"code with a space", func(f url.Values) { f.Set("code", "bad code") }, "code", "只能使用字母、数字及 _ . : -"},
		{"duplicate code", func(f url.Values) { f.Set("code", "xueliang-web") }, "code", "该编码已被其他事件源使用"},
		{"empty name", func(f url.Values) { f.Set("code", "new-1"); f.Set("name", "") }, "name", "必填"},
		{"confidence not a number", func(f url.Values) { f.Set("code", "new-1"); f.Set("min_confidence", "high") }, "min_confidence", "须为数字"},
		{"confidence above 1", func(f url.Values) { f.Set("code", "new-1"); f.Set("min_confidence", "1.5") }, "min_confidence", "须为大于 0、不超过 1 的数"},
		{"confidence 0", func(f url.Values) { f.Set("code", "new-1"); f.Set("min_confidence", "0") }, "min_confidence", "须为大于 0、不超过 1 的数"},
		{"confidence NaN", func(f url.Values) { f.Set("code", "new-1"); f.Set("min_confidence", "NaN") }, "min_confidence", "须为大于 0、不超过 1 的数"},
		{"window too long", func(f url.Values) { f.Set("code", "new-1"); f.Set("window", "1441") }, "window", "须为大于 0、不超过 1440 的分钟数"},
		{"distance negative", func(f url.Values) { f.Set("code", "new-1"); f.Set("distance", "-5") }, "distance", "须为大于 0、不超过 10000 的米数"},
		{"note every a fraction", func(f url.Values) { f.Set("code", "new-1"); f.Set("note_every", "2.5") }, "note_every", "须为整数"},
		{"map line without =", func(f url.Values) { f.Set("code", "new-1"); f.Set("type_map", "a="+cat1+"\noccupy_road "+cat2) },
			"type_map", "第 2 行应为“事件类型=类别编码”：occupy_road " + cat2},
		{"map type twice", func(f url.Values) { f.Set("code", "new-1"); f.Set("type_map", "a="+cat1+"\n\na="+cat2) },
			"type_map", "第 3 行：事件类型 a 与第 1 行重复"},
		{"unknown category codes", func(f url.Values) {
			f.Set("code", "new-1")
			f.Set("type_map", "ok="+cat1+"\nfire=ZZ9999\nparent="+parentCat)
		}, "type_map", "类别编码不存在或不是具体小类：第 2 行 fire；第 3 行 parent"},
	} {
		csrf := admin.csrf("/admin/sources")
		form := sourceForm(csrf, tc.edit)
		res := admin.post("/admin/sources", form)
		checkHTML(t, tc.name, res)
		want := fmt.Sprintf(`id="%s-error">%s`, tc.field, html.EscapeString(tc.msg))
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, want) || !strings.Contains(res.body, "事件源未创建，请检查标出的字段。") {
			t.Errorf("%s: %d, want %q in\n%s", tc.name, res.status, want, between(res.body, `id="source-form"`, "</form>"))
		}
		if newKeyRe.MatchString(res.body) {
			t.Errorf("%s: a key is shown", tc.name)
		}
		// What was typed is kept.
		formHTML := between(res.body, `id="source-form"`, "</form>")
		for _, field := range []string{"code", "name", "min_confidence", "window", "distance", "note_every"} {
			if v := form.Get(field); v != "" && strings.TrimSpace(v) != "" && !strings.Contains(formHTML, `name="`+field+`" value="`+html.EscapeString(strings.TrimSpace(v))+`"`) &&
				!strings.Contains(formHTML, `name="`+field+`" value="`+html.EscapeString(v)+`"`) {
				t.Errorf("%s: %s %q not kept", tc.name, field, v)
			}
		}
		if tm := form.Get("type_map"); tm != "" && !strings.Contains(formHTML, ">"+html.EscapeString(tm)+"</textarea>") {
			t.Errorf("%s: type map not kept", tc.name)
		}
		if n := count(); n != before {
			t.Fatalf("%s: wrote %d sources", tc.name, n-before)
		}
	}
	// Several service errors at once, all shown.
	res = admin.post("/admin/sources", sourceForm(admin.csrf("/admin/sources"), func(f url.Values) {
		f.Set("code", "new-2")
		f.Set("name", "")
		f.Set("type_map", "fire=ZZ9999")
	}))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="name-error">必填`) || !strings.Contains(res.body, `id="type_map-error">类别编码不存在`) {
		t.Errorf("two errors: %d", res.status)
	}
	if n := count(); n != before {
		t.Fatalf("invalid input wrote %d sources", n-before)
	}

	// A second source, to show revocation touches only the one chosen.
	key2, src2, err := h.app.Service.CreateEventSource(ctx, service.NewEventSource{Code: "iot-water", Name: "积水监测物联网", Kind: service.SourceSensor})
	if err != nil {
		t.Fatal(err)
	}
	// An address claiming a revocation that did not happen shows nothing.
	if p := admin.get(fmt.Sprintf("/admin/sources?revoked=%d", src2.ID)); strings.Contains(p.body, `id="sources-revoked"`) {
		t.Errorf("a made-up revocation message is shown")
	}
	// No token, no revocation.
	if res := admin.post(fmt.Sprintf("/admin/sources/%d/revoke", src.ID), url.Values{}); res.status != http.StatusForbidden {
		t.Errorf("revoke without a token: %d", res.status)
	}
	if r := h.do("POST", "/api/v1/events", key, ev("cam-4", 0.9)); r.status != 201 {
		t.Fatalf("the key after a refused revocation: %d %s", r.status, r.raw)
	}

	// Revoke through the row's form: the key is refused at once.
	res = admin.post(fmt.Sprintf("/admin/sources/%d/revoke", src.ID), url.Values{"csrf": {admin.csrf("/admin/sources")}})
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || loc != fmt.Sprintf("/admin/sources?revoked=%d", src.ID) {
		t.Fatalf("revoke: %d %s", res.status, loc)
	}
	if r := h.do("POST", "/api/v1/events", key, ev("cam-5", 0.9)); r.status != 403 {
		t.Fatalf("the revoked key: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/api/v1/events", key2, map[string]any{"device_id": "well-1", "event_type": cat1, "lat": lat, "lng": lng}); r.status != 201 {
		t.Fatalf("the other source's key after the revocation: %d %s", r.status, r.raw)
	}
	p = admin.get(loc)
	if !strings.Contains(between(p.body, `id="sources-revoked"`, "</div>"), "事件源“雪亮工程视频平台（网页登记）”（xueliang-web）的密钥已吊销") {
		t.Errorf("no revocation message")
	}
	rows := sourceRows(p.body)
	if row := rows["xueliang-web"]; !strings.Contains(row, `data-state="revoked"`) || !strings.Contains(row, "已吊销") || strings.Contains(row, "<form") {
		t.Errorf("revoked row:\n%s", row)
	}
	if row := rows["iot-water"]; !strings.Contains(row, `data-state="active"`) || !strings.Contains(row, "物联感知") || !strings.Contains(row, "<form") {
		t.Errorf("the other row:\n%s", row)
	}
	revokedAt := h.sqlCount(`SELECT revoked_at FROM event_sources WHERE id = ?`, src.ID)
	// Again: still revoked, the first time kept.
	time.Sleep(5 * time.Millisecond)
	if res := admin.post(fmt.Sprintf("/admin/sources/%d/revoke", src.ID), url.Values{"csrf": {admin.csrf("/admin/sources")}}); res.status != http.StatusSeeOther {
		t.Errorf("revoke again: %d", res.status)
	}
	if at := h.sqlCount(`SELECT revoked_at FROM event_sources WHERE id = ?`, src.ID); at != revokedAt || at == 0 {
		t.Errorf("revoked_at %d, then %d", revokedAt, at)
	}
	if res := admin.post("/admin/sources/99999/revoke", url.Values{"csrf": {admin.csrf("/admin/sources")}}); res.status != http.StatusNotFound {
		t.Errorf("revoke an unknown source: %d", res.status)
	}
	if strings.Contains(loc, key) || strings.Contains(admin.get(loc).body, key) {
		t.Errorf("the key is in the revocation's address or page")
	}

	// Other roles: 403 on the page and on both forms, nothing written.
	before = count()
	for _, user := range []string{"operator1", "supervisor", "chengguan"} {
		w := newWebClient(t, h.srv.URL, nil)
		w.login(user)
		if p := w.get("/admin/sources"); p.status != http.StatusForbidden || strings.Contains(p.body, "iot-water") {
			t.Errorf("%s: GET %d", user, p.status)
		}
		csrf := w.csrf("/work/inbox")
		if res := w.post("/admin/sources", sourceForm(csrf, func(f url.Values) { f.Set("code", "by-"+user) })); res.status != http.StatusForbidden || newKeyRe.MatchString(res.body) {
			t.Errorf("%s: add %d", user, res.status)
		}
		if res := w.post(fmt.Sprintf("/admin/sources/%d/revoke", src2.ID), url.Values{"csrf": {csrf}}); res.status != http.StatusForbidden {
			t.Errorf("%s: revoke %d", user, res.status)
		}
		if strings.Contains(w.get("/admin/").body, `href="/admin/sources"`) {
			t.Errorf("%s sees the admin index", user)
		}
	}
	if n := count(); n != before {
		t.Errorf("other roles added %d sources", n-before)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM event_sources WHERE id = ? AND revoked_at IS NULL`, src2.ID); n != 1 {
		t.Errorf("another role revoked a source")
	}
	if r := h.do("POST", "/api/v1/events", key2, map[string]any{"device_id": "well-2", "event_type": cat1, "lat": lat, "lng": lng}); r.status != 201 {
		t.Errorf("the other source's key after the refused revocations: %d %s", r.status, r.raw)
	}
	if _, err := h.app.Service.AdminRevokeEventSource(ctx, mustUser(t, h, "operator1"), src2.ID); err == nil {
		t.Errorf("the service revokes for an operator")
	}

	// English: the labels, a field error and the key box.
	p = admin.get("/admin/sources?lang=en")
	if p.header.Get("Content-Language") != "en" {
		t.Errorf("Content-Language %q", p.header.Get("Content-Language"))
	}
	for _, want := range []string{"Video and IoT event sources", "Review threshold", "Key prefix", "Awaiting review", "Revoke key…", "Add an event source", "Revoked", "IoT sensor"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("English page lacks %q", want)
		}
	}
	for _, zh := range []string{"复核阈值", "密钥前缀", "吊销密钥", "新增事件源"} {
		if strings.Contains(p.body, zh) {
			t.Errorf("English page has %q", zh)
		}
	}
	res = admin.post("/admin/sources", sourceForm(admin.csrf("/admin/sources"), func(f url.Values) { f.Set("code", "en-1"); f.Set("min_confidence", "2") }))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="min_confidence-error">Must be a number above 0 and at most 1`) {
		t.Errorf("English field error: %d", res.status)
	}
	res = admin.post("/admin/sources", sourceForm(admin.csrf("/admin/sources"), func(f url.Values) { f.Set("code", "en-1"); f.Set("kind", "sensor") }))
	if m := newKeyRe.FindStringSubmatch(res.body); res.status != 200 || m == nil || !strings.Contains(res.body, "Copy it now: this key is shown only once") {
		t.Errorf("English add: %d", res.status)
	} else if r := h.do("POST", "/api/v1/events", m[1], map[string]any{"device_id": "s-1", "event_type": cat1, "lat": lat, "lng": lng}); r.status != 201 {
		t.Errorf("the English-added key: %d %s", r.status, r.raw)
	}
}

func mustUser(t *testing.T, h *harness, username string) model.User {
	t.Helper()
	for _, u := range mustUsers(t, h) {
		if u.Username == username {
			return u
		}
	}
	t.Fatalf("no user %s", username)
	return model.User{}
}
