package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// fieldPost sends one outbox item as field.js does: multipart, the CSRF
// token in its header, the item's idempotency key.
func (w *webClient) fieldPost(path, csrf, key string, fields url.Values, photos [][]byte) (int, map[string]any) {
	w.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for i, p := range photos {
		fw, _ := mw.CreateFormFile("photos", fmt.Sprintf("photo-%d.png", i+1))
		fw.Write(p)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", w.base+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	p := w.send(req)
	var out map[string]any
	if err := json.Unmarshal([]byte(p.body), &out); err != nil {
		w.t.Fatalf("POST %s: %d, not JSON: %s", path, p.status, p.body)
	}
	return p.status, out
}

// fieldData reads /work/field/data.
func (w *webClient) fieldData() (int, map[string]any) {
	w.t.Helper()
	p := w.get("/work/field/data")
	var out map[string]any
	if err := json.Unmarshal([]byte(p.body), &out); err != nil {
		w.t.Fatalf("field data: %d, not JSON: %s", p.status, p.body)
	}
	return p.status, out
}

// toVerification files a case at (lat, lng) and takes it through the
// workflow to 待核查 as the operator, the dispatcher and its unit would.
func toVerification(t *testing.T, h *harness, lat, lng float64, catID int64) model.Case {
	t.Helper()
	ctx := context.Background()
	svc := h.app.Service
	op := mustUser(t, h, "operator1")
	c, _, err := svc.CreateCase(ctx, op, service.CreateCase{Type: "city_case", CategoryID: catID, Description: "井盖缺失，需现场核查",
		Lat: &lat, Lng: &lng, Channel: model.ChannelHotline})
	if err != nil {
		t.Fatal(err)
	}
	act := func(u model.User, action string, in service.ActionInput) {
		t.Helper()
		in.Version = c.Version
		if c, err = svc.Act(ctx, u, c.ID, action, in); err != nil {
			t.Fatalf("%s by %s: %v", action, u.Username, err)
		}
	}
	act(op, "accept", service.ActionInput{Note: "属实"})
	act(mustUser(t, h, "dispatcher"), "dispatch", service.ActionInput{})
	unit := mustUser(t, h, unitUser(t, h, c.UnitID))
	act(unit, "sign", service.ActionInput{})
	a, err := svc.SaveAttachment(ctx, unit, "after.png", bytes.NewReader(pngBytes(t)))
	if err != nil {
		t.Fatal(err)
	}
	act(unit, "report_back", service.ActionInput{Note: "已补装井盖", Evidence: []string{a.ID}})
	if c.Status != model.StateAwaitingVerification {
		t.Fatalf("case %d is %s", c.ID, c.Status)
	}
	return c
}

// TestWebField works the grid worker's field app over HTTP: the page is
// installable (manifest, icons, service worker with its scope header) and
// offered to grid workers only; its data holds the worker's grid and 核查
// tasks; a report sent twice with one idempotency key files one case that
// keeps the capture time, readable through the API and on the case page;
// a send without the CSRF header or without a key files nothing; a capture
// time too old or in the future is a field error; a 核查 result sent twice
// is applied once, and one for a case that someone else has verified
// meanwhile answers 409 with the case; logging out tells the browser to
// clear the site's data.
func TestWebField(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ctx := context.Background()
	ref := h.app.Service.Ref()
	gw := mustUser(t, h, "wgy001")
	lat, lng := gridCentre(t, ref.Grids[gw.OrgID].Geometry)
	cat := pickCategory(t, h, true)
	count := func() int { return h.sqlCount(`SELECT COUNT(*) FROM cases`) }

	// Who may use it.
	anon := newWebClient(t, h.srv.URL, nil)
	if p := anon.get("/work/field"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Fatalf("anonymous field page: %d %s", p.status, p.header.Get("Location"))
	}
	if st, out := anon.fieldData(); st != http.StatusUnauthorized || out["error"].(map[string]any)["code"] != "unauthorized" {
		t.Fatalf("anonymous field data: %d %v", st, out)
	}
	op := newWebClient(t, h.srv.URL, nil)
	op.login("operator1")
	if p := op.get("/work/field"); p.status != http.StatusForbidden || !strings.Contains(p.body, "网格员") {
		t.Fatalf("operator's field page: %d", p.status)
	}
	if st, _ := op.fieldData(); st != http.StatusForbidden {
		t.Fatalf("operator's field data: %d", st)
	}
	if strings.Contains(op.get("/work/inbox").body, `href="/work/field"`) {
		t.Error("the operator's navigation links the field app")
	}

	w := newWebClient(t, h.srv.URL, nil)
	w.login("wgy001")
	if !strings.Contains(w.get("/work/inbox").body, `href="/work/field"`) {
		t.Error("the grid worker's navigation does not link the field app")
	}
	pg := w.get("/work/field")
	checkHTML(t, "field page", pg)
	if pg.status != 200 {
		t.Fatalf("field page: %d", pg.status)
	}
	for _, want := range []string{`<link rel="manifest" href="/work/field/manifest.webmanifest">`, `name="description"`, `name="category"`,
		`name="lat"`, `name="lng"`, `name="photos"`, `<script src="/static/js/field.js">`, `id="field-strings"`, "待上传", "外业采集",
		fmt.Sprintf(`<option value="%d">`, cat.ID)} {
		if !strings.Contains(pg.body, want) {
			t.Errorf("field page lacks %s", want)
		}
	}
	// The script's messages are in the page, translated: no catalogue key.
	js := strings.TrimPrefix(between(pg.body, `id="field-strings">`, "</script>"), `id="field-strings">`)
	var strs map[string]string
	if err := json.Unmarshal([]byte(js), &strs); err != nil || len(strs) < 20 {
		t.Fatalf("field strings: %v %q", err, js)
	}
	for k, v := range strs {
		if v == "" || v == k || strings.HasPrefix(v, "web.") {
			t.Errorf("field string %s = %q", k, v)
		}
	}
	if strs["web.field.outside"] == "" || !strings.Contains(strs["web.field.outside"], "位置不在您的网格内") {
		t.Errorf("outside message %q", strs["web.field.outside"])
	}
	if en := w.get("/work/field?lang=en"); !strings.Contains(en.body, "Field app") || !strings.Contains(en.body, "waiting to upload") {
		t.Error("the English field page is not English")
	}
	w.get("/work/field?lang=zh-CN")

	// Installable: the manifest, its icons, the worker and its scope.
	mf := anon.get("/work/field/manifest.webmanifest")
	var m struct {
		Name, StartURL, Display, Scope string
		Icons                          []struct{ Src, Sizes string }
	}
	if err := json.Unmarshal([]byte(mf.body), &struct {
		Name     *string `json:"name"`
		StartURL *string `json:"start_url"`
		Display  *string `json:"display"`
		Scope    *string `json:"scope"`
		Icons    *[]struct{ Src, Sizes string }
	}{&m.Name, &m.StartURL, &m.Display, &m.Scope, &m.Icons}); err != nil {
		t.Fatalf("manifest: %v %s", err, mf.body)
	}
	if m.Name == "" || m.StartURL != "/work/field" || m.Display != "standalone" || m.Scope != "/work/field" || len(m.Icons) != 2 {
		t.Fatalf("manifest %+v", m)
	}
	for _, ic := range m.Icons {
		p := anon.get(ic.Src)
		img, err := png.Decode(strings.NewReader(p.body))
		if err != nil || p.header.Get("Content-Type") != "image/png" {
			t.Fatalf("icon %s: %d %v", ic.Src, p.status, err)
		}
		if got := fmt.Sprintf("%dx%d", img.Bounds().Dx(), img.Bounds().Dy()); got != ic.Sizes {
			t.Errorf("icon %s is %s, manifest says %s", ic.Src, got, ic.Sizes)
		}
	}
	sw := anon.get("/work/field/sw.js")
	if sw.status != 200 || !strings.Contains(sw.header.Get("Content-Type"), "javascript") || sw.header.Get("Cache-Control") != "no-cache" ||
		sw.header.Get("Service-Worker-Allowed") != "/work/field" || strings.Contains(sw.body, "__VERSION__") || !strings.Contains(sw.body, "addEventListener('fetch'") {
		t.Fatalf("service worker: %d %v", sw.status, sw.header)
	}

	// The data: the worker's grid, 核查 tasks first, a CSRF token.
	task := toVerification(t, h, lat, lng, cat.ID)
	other := toVerification(t, h, lat, lng, cat.ID)
	st, data := w.fieldData()
	if st != 200 {
		t.Fatalf("field data: %d", st)
	}
	if cc := w.get("/work/field/data").header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("field data Cache-Control %q: personal data must not sit in the HTTP cache", cc)
	}
	csrf, _ := data["csrf"].(string)
	grid, _ := data["grid"].(map[string]any)
	if csrf == "" || grid == nil || int64(grid["id"].(float64)) != gw.OrgID || grid["geometry"] == nil {
		t.Fatalf("field data lacks the token or the grid: %v", data)
	}
	tasks, _ := data["tasks"].([]any)
	seen := map[int64]bool{}
	for i, x := range tasks {
		tk := x.(map[string]any)
		id := int64(tk["id"].(float64))
		if id == task.ID || id == other.ID {
			seen[id] = true
			if tk["verify"] != true || tk["status_label"] != "待核查" {
				t.Errorf("task %d: %v", id, tk)
			}
		}
		if i > 0 && tk["verify"] == true && tasks[i-1].(map[string]any)["verify"] != true {
			t.Errorf("a 核查 task after another task: %v", tk)
		}
	}
	if !seen[task.ID] || !seen[other.ID] {
		t.Fatalf("tasks lack the cases awaiting verification: %v", tasks)
	}

	// A report queued offline two hours ago.
	observed := time.Now().Add(-2 * time.Hour).Truncate(time.Millisecond)
	report := url.Values{"description": {"巡查发现：春园路人行道井盖缺失"}, "category": {strconv.FormatInt(cat.ID, 10)},
		"lat": {strconv.FormatFloat(lat, 'f', 6, 64)}, "lng": {strconv.FormatFloat(lng, 'f', 6, 64)},
		"observed_at": {observed.Format(time.RFC3339Nano)}}
	before := count()
	if st, out := w.fieldPost("/work/field/reports", "", "k-1", report, nil); st != http.StatusForbidden || out["error"] == nil {
		t.Fatalf("report without the CSRF header: %d %v", st, out)
	}
	if st, _ := w.fieldPost("/work/field/reports", "wrong-token-wrong-token-wrong-token", "k-1", report, nil); st != http.StatusForbidden {
		t.Fatalf("report with a wrong CSRF token: %d", st)
	}
	if st, out := w.fieldPost("/work/field/reports", csrf, "", report, nil); st != http.StatusBadRequest || out["error"].(map[string]any)["fields"] == nil {
		t.Fatalf("report without an idempotency key: %d %v", st, out)
	}
	if st, _ := op.fieldPost("/work/field/reports", op.csrf("/work/inbox"), "k-op", report, nil); st != http.StatusForbidden {
		t.Fatalf("the operator's report: %d", st)
	}
	if count() != before {
		t.Fatal("a refused report filed a case")
	}
	st1, out1 := w.fieldPost("/work/field/reports", csrf, "k-1", report, [][]byte{pngBytes(t)})
	st2, out2 := w.fieldPost("/work/field/reports", csrf, "k-1", report, [][]byte{pngBytes(t)})
	if st1 != http.StatusCreated || st2 != http.StatusOK || out2["replayed"] != true {
		t.Fatalf("report twice: %d %v / %d %v", st1, out1, st2, out2)
	}
	c1, c2 := out1["case"].(map[string]any), out2["case"].(map[string]any)
	if c1["id"] != c2["id"] || count() != before+1 {
		t.Fatalf("one key filed two cases: %v %v (%d → %d)", c1["id"], c2["id"], before, count())
	}
	id := int64(c1["id"].(float64))
	if c1["url"] != "/work/cases/"+strconv.FormatInt(id, 10) {
		t.Errorf("case url %v", c1["url"])
	}
	c, tl, err := h.app.Service.Case(ctx, gw, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := service.ObservedAt(tl[0]); !got.Equal(observed) || c.Channel != model.ChannelPatrol || c.GridID != gw.OrgID || c.CreatedAt.Sub(observed) < time.Hour {
		t.Fatalf("case %d: observed %v (want %v), channel %s, grid %d, created %v", id, got, observed, c.Channel, c.GridID, c.CreatedAt)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM case_attachments WHERE case_id = ?`, id); n != 1 {
		t.Errorf("case %d has %d photos, want 1 (the replay must not attach again)", id, n)
	}
	api := h.do("GET", "/api/v1/cases/"+strconv.FormatInt(id, 10), h.login("wgy001"), nil)
	if tlv, _ := api.body["timeline"].([]any); len(tlv) == 0 ||
		tlv[0].(map[string]any)["data"].(map[string]any)["observed_at"] != observed.UTC().Format("2006-01-02T15:04:05.000Z07:00") {
		t.Fatalf("the API does not show the capture time: %s", api.raw)
	}
	if cp := w.get("/work/cases/" + strconv.FormatInt(id, 10)); !strings.Contains(cp.body, `<dd id="case-observed">`+observed.In(calendar.Beijing()).Format("2006-01-02 15:04")) {
		t.Errorf("the case page does not show the capture time: %s", between(cp.body, `<dl class="facts">`, "</dl>"))
	}

	// The same in JSON (an item without photos), twice with one key.
	jsBody := fmt.Sprintf(`{"description": "巡查发现：路灯杆倾斜", "category": %d, "lat": %f, "lng": %f, "observed_at": %q}`, cat.ID, lat, lng, observed.Format(time.RFC3339Nano))
	var jsonIDs []any
	for range 2 {
		req, _ := http.NewRequest("POST", w.base+"/work/field/reports", strings.NewReader(jsBody))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", csrf)
		req.Header.Set("Idempotency-Key", "k-json")
		p := w.send(req)
		var out map[string]any
		json.Unmarshal([]byte(p.body), &out)
		if p.status != http.StatusCreated && p.status != http.StatusOK {
			t.Fatalf("JSON report: %d %s", p.status, p.body)
		}
		jsonIDs = append(jsonIDs, out["case"].(map[string]any)["id"])
	}
	if jsonIDs[0] != jsonIDs[1] || count() != before+2 {
		t.Fatalf("JSON reports: ids %v, %d cases filed", jsonIDs, count()-before)
	}

	// Capture times the server refuses: a field error, nothing filed.
	for name, at := range map[string]time.Time{"old": time.Now().Add(-8 * 24 * time.Hour), "future": time.Now().Add(time.Hour)} {
		bad := url.Values{}
		for k, v := range report {
			bad[k] = v
		}
		bad.Set("observed_at", at.Format(time.RFC3339))
		st, out := w.fieldPost("/work/field/reports", csrf, "k-"+name, bad, nil)
		f, _ := out["error"].(map[string]any)["fields"].(map[string]any)
		if st != http.StatusUnprocessableEntity || f["observed_at"] == nil {
			t.Errorf("%s capture time: %d %v", name, st, out)
		}
	}
	if count() != before+2 {
		t.Fatal("a refused capture time filed a case")
	}

	// 核查 twice with one key: applied once.
	verify := func(c model.Case, key string, photos ...[]byte) (int, map[string]any) {
		return w.fieldPost("/work/field/verify/"+strconv.FormatInt(c.ID, 10), csrf, key, url.Values{"result": {"pass"}, "note": {"现场已整改"},
			"version": {strconv.Itoa(c.Version)}, "observed_at": {time.Now().Add(-time.Hour).Format(time.RFC3339)}}, photos)
	}
	if st, out := verify(task, "v-1", pngBytes(t)); st != 200 || out["case"].(map[string]any)["status"] != "closed" || out["replayed"] != false {
		t.Fatalf("verify: %d %v", st, out)
	}
	if st, out := verify(task, "v-1", pngBytes(t)); st != 200 || out["replayed"] != true {
		t.Fatalf("verify again with its key: %d %v", st, out)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM case_events WHERE case_id = ? AND action = 'verify'`, task.ID); n != 1 {
		t.Fatalf("the verification was applied %d times", n)
	}
	if _, tl, _ := h.app.Service.Case(ctx, gw, task.ID); len(tl[len(tl)-1].Attachments) != 1 || tl[len(tl)-1].Data["client_key"] != "field:v-1" {
		t.Errorf("the verification's entry: photos %v, data %v", tl[len(tl)-1].Attachments, tl[len(tl)-1].Data)
	}
	// The other case is verified by the operator meanwhile: the worker's
	// queued result is a conflict, with the case.
	if _, err := h.app.Service.Act(ctx, mustUser(t, h, "operator1"), other.ID, "verify", service.ActionInput{Version: other.Version, Result: "fail", Note: "未整改"}); err != nil {
		t.Fatal(err)
	}
	st, out := verify(other, "v-2")
	e, _ := out["error"].(map[string]any)
	oc, _ := out["case"].(map[string]any)
	if st != http.StatusConflict || e["code"] != "conflict" || e["message"] != "冲突：案件已被他人处理" ||
		oc["url"] != "/work/cases/"+strconv.FormatInt(other.ID, 10) || oc["status"] != "handling" {
		t.Fatalf("stale verification: %d %v", st, out)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM case_events WHERE case_id = ? AND action = 'verify'`, other.ID); n != 1 {
		t.Fatalf("the stale verification was applied (%d verify entries)", n)
	}

	// The API takes the same capture time on create.
	tok := h.login("wgy001")
	body := map[string]any{"category": cat.ID, "description": "巡查 App 上报：路面塌陷", "lat": lat, "lng": lng,
		"observed_at": observed.Format(time.RFC3339Nano)}
	if r := h.do("POST", "/api/v1/cases", tok, body); r.status != http.StatusCreated {
		t.Fatalf("API create with observed_at: %d %s", r.status, r.raw)
	} else if _, tl, _ := h.app.Service.Case(ctx, gw, int64(r.body["id"].(float64))); !service.ObservedAt(tl[0]).Equal(observed) {
		t.Errorf("API create: observed %v, want %v", service.ObservedAt(tl[0]), observed)
	}
	body["observed_at"] = time.Now().Add(-8 * 24 * time.Hour).Format(time.RFC3339)
	if r := h.do("POST", "/api/v1/cases", tok, body); r.status != http.StatusUnprocessableEntity || !strings.Contains(string(r.raw), `"observed_at"`) {
		t.Errorf("API create with an old observed_at: %d %s", r.status, r.raw)
	}

	// The API's actions take a key too: a retried 核查 is a replay, not a
	// conflict, and its time observed is kept.
	apiTask := toVerification(t, h, lat, lng, cat.ID)
	verifiedAt := time.Now().Add(-30 * time.Minute).Truncate(time.Millisecond)
	act := map[string]any{"version": apiTask.Version, "result": "pass", "note": "现场核查合格", "observed_at": verifiedAt.Format(time.RFC3339Nano)}
	path := "/api/v1/cases/" + strconv.FormatInt(apiTask.ID, 10) + "/actions/verify"
	r1 := h.do("POST", path, tok, act, "Idempotency-Key", "api-v-1")
	r2 := h.do("POST", path, tok, act, "Idempotency-Key", "api-v-1")
	r3 := h.do("POST", path, tok, act, "Idempotency-Key", "api-v-2")
	if r1.status != 200 || r1.header.Get("Idempotent-Replayed") != "" || r2.status != 200 || r2.header.Get("Idempotent-Replayed") != "true" || r2.body["status"] != "closed" || r3.status != http.StatusConflict {
		t.Fatalf("API verify with a key: %d %q / %d %q %v / another key %d", r1.status, r1.header.Get("Idempotent-Replayed"), r2.status, r2.header.Get("Idempotent-Replayed"), r2.body["status"], r3.status)
	}
	if _, tl, _ := h.app.Service.Case(ctx, gw, apiTask.ID); !service.ObservedAt(tl[len(tl)-1]).Equal(verifiedAt) {
		t.Errorf("API verify: observed %v, want %v", service.ObservedAt(tl[len(tl)-1]), verifiedAt)
	}

	// The staff's case-entry form takes it too, typed in China time.
	seenAt := time.Now().In(calendar.Beijing()).Add(-26 * time.Hour).Truncate(time.Minute)
	nf := w.postMultipart("/work/new", newCaseFields(w.csrf("/work/new"), strings.Repeat("b", 32), cat.ID, lat, lng, func(f url.Values) {
		f.Set("channel", "patrol")
		f.Set("observed_at", seenAt.Format("2006-01-02T15:04"))
	}), nil)
	nid := caseIDFrom(t, nf)
	if _, tl, _ := h.app.Service.Case(ctx, gw, nid); !service.ObservedAt(tl[0]).Equal(seenAt) {
		t.Errorf("case-entry form: observed %v, want %v", service.ObservedAt(tl[0]), seenAt)
	}
	if cp := w.get("/work/cases/" + strconv.FormatInt(nid, 10)); !strings.Contains(cp.body, `<dd id="case-observed">`+seenAt.Format("2006-01-02 15:04")+`</dd>`) {
		t.Errorf("the case page does not show the time observed")
	}
	bad := w.postMultipart("/work/new", newCaseFields(w.csrf("/work/new"), strings.Repeat("c", 32), cat.ID, lat, lng, func(f url.Values) {
		f.Set("observed_at", time.Now().In(calendar.Beijing()).Add(-10*24*time.Hour).Format("2006-01-02T15:04"))
	}), nil)
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `id="observed_at-error">发现时间须在 7 天以内`) {
		t.Errorf("case-entry form with an old observed time: %d %s", bad.status, between(bad.body, `id="field-observed_at"`, "</div>"))
	}

	// The app's sends are audited like the forms, under the worker's name,
	// the refused ones too.
	h.app.Service.FlushAudit(ctx)
	if n := h.sqlCount(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'POST /work/field/%' AND username = 'wgy001'`); n < 8 {
		t.Errorf("%d audit entries of the field app's sends", n)
	}
	if n := h.sqlCount(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'POST /work/field/reports%' AND username = 'wgy001' AND result = '403'`); n != 2 {
		t.Errorf("%d audit entries of the reports refused for their CSRF token, want 2", n)
	}

	// Logging out clears what the browser keeps of the app.
	lo := w.post("/logout", url.Values{"csrf": {w.csrf("/work/inbox")}})
	if lo.status != http.StatusSeeOther || lo.header.Get("Clear-Site-Data") != `"cache", "storage"` {
		t.Fatalf("logout: %d Clear-Site-Data %q", lo.status, lo.header.Get("Clear-Site-Data"))
	}
}
