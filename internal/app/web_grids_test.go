package app_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

var gridTokenRe = regexp.MustCompile(`name="token" value="([^"]+)"`)

// TestWebGridImport works the grid import of the administrator's grids
// page as a browser would: a valid file is checked first (the report
// counts new, changed and unchanged grids, nothing is written), then
// imported with the second button (a changed grid keeps its id and gains
// a version, a new grid appears and a point inside it locates to it); the
// token is used once; an invalid file says every feature's problem in the
// page's language and writes nothing; only administrators may check or
// import.
func TestWebGridImport(t *testing.T) {
	h := newHarness(t, t.TempDir())
	nGrids := func() int { return h.sqlCount(`SELECT COUNT(*) FROM grids`) }
	nVersions := func() int { return h.sqlCount(`SELECT COUNT(*) FROM grid_versions`) }
	etag := func() string { return h.do("GET", "/api/v1/grids", "", nil).header.Get("ETag") }
	check := func(w *webClient, csrf string, data []byte, extra url.Values) page {
		t.Helper()
		fields := url.Values{"csrf": {csrf}}
		for k, v := range extra {
			fields[k] = v
		}
		var files map[string][]byte
		if data != nil {
			files = map[string][]byte{"grid_file": data}
		}
		return w.postMultipart("/admin/grids/check", fields, files)
	}

	anon := newWebClient(t, h.srv.URL, nil)
	if p := anon.get("/admin/grids"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next="+url.QueryEscape("/admin/grids") {
		t.Fatalf("anonymous: %d %s", p.status, p.header.Get("Location"))
	}

	admin := newWebClient(t, h.srv.URL, nil)
	admin.login("admin")
	if idx := admin.get("/admin/"); strings.Contains(idx.body, "在页面上导入 GeoJSON 网格") {
		t.Errorf("the admin index still lists the grid import as missing")
	}
	p := admin.get("/admin/grids")
	checkHTML(t, "grids page", p)
	form := between(p.body, `id="grid-check-form"`, "</form>")
	if p.status != 200 || !strings.Contains(p.body, `action="/admin/grids/check" enctype="multipart/form-data"`) || !strings.Contains(form, `name="grid_file"`) ||
		!strings.Contains(p.body, `href="/api/v1/grids" download="grids.geojson"`) {
		t.Fatalf("grids page: %d\n%s", p.status, form)
	}
	mapBefore := admin.get("/map/grids.geojson")

	// A file with one grid renamed and one new grid east of it.
	fc := geoExport(t, h)
	f0 := fc.Features[0]
	changedID := num(f0.ID)
	code := fmt.Sprint(f0.Properties["code"])
	newCode := code[:12] + "77"
	ring := mustMP(t, f0.Geometry)[0][0]
	far := orb.Ring{}
	for _, pt := range ring {
		far = append(far, orb.Point{pt[0] + 0.3, pt[1]})
	}
	newGeom, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": orb.Polygon{far}})
	fc.Features[0].Properties["name"] = fmt.Sprint(f0.Properties["name"], "（调整）")
	fc.Features = append(fc.Features, geoFeature{Type: "Feature", Geometry: newGeom, Properties: map[string]any{
		"code": newCode, "name": "网页新增网格", "community": f0.Properties["community"], "street": f0.Properties["street"]}})
	file := mustJSON(fc)
	lat, lng := geoCentroid(t, fc.Features[len(fc.Features)-1])

	grids, versions, tag := nGrids(), nVersions(), etag()
	if got := gridCode(locate(t, h, lat, lng, "")); got == newCode {
		t.Fatalf("the new grid is found before the import")
	}

	// No file: said on the field, nothing else happens.
	res := check(admin, admin.csrf("/admin/grids"), nil, nil)
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(between(res.body, `id="grid_file-error"`, "</p>"), "请选择要导入的 GeoJSON 文件") {
		t.Errorf("no file: %d", res.status)
	}

	// The check: the report, a token, nothing written.
	res = check(admin, admin.csrf("/admin/grids"), file, nil)
	checkHTML(t, "checked", res)
	rep := between(res.body, `id="grid-report"`, "</section>")
	if res.status != 200 || !strings.Contains(rep, `data-status="valid"`) || !strings.Contains(rep, "文件检查通过，尚未写入任何数据") {
		t.Fatalf("check: %d %s\n%s", res.status, between(res.body, `id="page-error"`, "</div>"), rep)
	}
	for id, want := range map[string]int{"count-created": 1, "count-updated": 1, "count-unchanged": len(fc.Features) - 2} {
		if got := between(rep, `id="`+id+`">`, "<"); got != fmt.Sprintf(`id="%s">%d`, id, want) {
			t.Errorf("%s: %q, want %d", id, got, want)
		}
	}
	if row := between(rep, `<tr id="feature-1"`, "</tr>"); !strings.Contains(row, `data-status="updated"`) || !strings.Contains(row, "变更（新版本）") || !strings.Contains(row, code) {
		t.Errorf("changed feature row:\n%s", row)
	}
	if row := between(rep, fmt.Sprintf(`<tr id="feature-%d"`, len(fc.Features)), "</tr>"); !strings.Contains(row, `data-status="created"`) || !strings.Contains(row, newCode) {
		t.Errorf("new feature row:\n%s", row)
	}
	if strings.Count(rep, "<tr id=\"feature-") != 2 {
		t.Errorf("unchanged features are listed: %d rows", strings.Count(rep, "<tr id=\"feature-"))
	}
	m := gridTokenRe.FindStringSubmatch(res.body)
	if m == nil || !strings.Contains(res.body, `id="submit-grid-import"`) || !strings.Contains(res.body, ">导入</button>") {
		t.Fatalf("no import button after a valid check")
	}
	token := html.UnescapeString(m[1])
	if nGrids() != grids || nVersions() != versions || etag() != tag {
		t.Fatalf("the check wrote: grids %d→%d, versions %d→%d", grids, nGrids(), versions, nVersions())
	}
	if got := gridCode(locate(t, h, lat, lng, "")); got == newCode {
		t.Fatalf("the check made the new grid live")
	}

	// The import.
	res = admin.post("/admin/grids/import", url.Values{"csrf": {admin.csrf("/admin/grids")}, "token": {token}})
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/grids?imported=") {
		t.Fatalf("import: %d %s %s", res.status, loc, between(res.body, `id="page-error"`, "</div>"))
	}
	p = admin.get(loc)
	checkHTML(t, "imported", p)
	if done := between(p.body, `id="grid-import-done"`, "</div>"); !strings.Contains(done, "新增 1 个网格，变更 1 个（新版本）") {
		t.Errorf("import message: %q", done)
	}
	// The maps' grids: a browser's copy from before the import is stale.
	req, _ := http.NewRequest("GET", h.srv.URL+"/map/grids.geojson", nil)
	req.Header.Set("If-None-Match", mapBefore.header.Get("ETag"))
	req.Header.Set("If-Modified-Since", mapBefore.header.Get("Last-Modified"))
	if m := admin.send(req); mapBefore.header.Get("ETag") == "" || m.status != 200 || !strings.Contains(m.body, newCode) {
		t.Errorf("the maps' grids after the import: %d (ETag %q)", m.status, mapBefore.header.Get("ETag"))
	}
	if !strings.Contains(p.body, "网页新增网格") {
		t.Errorf("the new grid is not in the table")
	}
	if nGrids() != grids+1 {
		t.Fatalf("grids %d → %d", grids, nGrids())
	}
	// The changed grid kept its id and gained a version, named after the file.
	var vs struct{ Versions []map[string]any }
	rv := h.do("GET", fmt.Sprintf("/api/v1/grids/%d/versions", changedID), "", nil)
	json.Unmarshal(rv.raw, &vs)
	if rv.status != 200 || len(vs.Versions) != 2 || num(vs.Versions[1]["id"]) != changedID || !strings.HasSuffix(fmt.Sprint(vs.Versions[1]["name"]), "（调整）") ||
		vs.Versions[1]["source"] != "grid_file.png" {
		t.Errorf("versions of the changed grid: %d %s", rv.status, rv.raw)
	}
	if got := gridCode(locate(t, h, lat, lng, "")); got != newCode {
		t.Errorf("a point inside the new grid locates to %s", got)
	}
	// A token is used once.
	before := nVersions()
	res = admin.post("/admin/grids/import", url.Values{"csrf": {admin.csrf("/admin/grids")}, "token": {token}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "检查结果已过期或已使用") || nVersions() != before {
		t.Errorf("second use of the token: %d", res.status)
	}
	// The same file again: nothing to import, no button.
	res = check(admin, admin.csrf("/admin/grids"), mustJSON(geoExport(t, h)), nil)
	if res.status != 200 || !strings.Contains(res.body, `id="grid-check-unchanged"`) || strings.Contains(res.body, `name="token"`) {
		t.Errorf("re-check of the export: %d", res.status)
	}

	// An invalid file: a bad code and a self-intersecting ring.
	mp := mustMP(t, newGeom)
	b := mp.Bound()
	bowtie, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{
		{b.Min[0], b.Min[1]}, {b.Max[0], b.Max[1]}, {b.Max[0], b.Min[1]}, {b.Min[0], b.Max[1]}, {b.Min[0], b.Min[1]}}}})
	shifted := orb.Ring{}
	for _, pt := range far {
		shifted = append(shifted, orb.Point{pt[0] + 0.3, pt[1]})
	}
	farGeom, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": orb.Polygon{shifted}})
	bad := mustJSON(geoFC{Type: "FeatureCollection", Features: []geoFeature{
		{Type: "Feature", Geometry: farGeom, Properties: map[string]any{"code": "12345", "name": "坏编码"}},
		{Type: "Feature", Geometry: bowtie, Properties: map[string]any{"code": code[:12] + "66", "name": "自相交网格"}},
	}})
	grids, versions, tag = nGrids(), nVersions(), etag()
	res = check(admin, admin.csrf("/admin/grids"), bad, nil)
	checkHTML(t, "invalid", res)
	rep = between(res.body, `id="grid-report"`, "</section>")
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(rep, `data-status="invalid"`) || !strings.Contains(res.body, "网格未导入，系统数据未作任何更改") ||
		strings.Contains(res.body, `name="token"`) {
		t.Fatalf("invalid file: %d\n%s", res.status, rep)
	}
	if row := between(rep, `<tr id="feature-1"`, "</tr>"); !strings.Contains(row, "12345") || !strings.Contains(row, html.EscapeString("应为 14 位数字")) {
		t.Errorf("bad code row:\n%s", row)
	}
	if row := between(rep, `<tr id="feature-2"`, "</tr>"); !strings.Contains(row, code[:12]+"66") || !strings.Contains(row, "自相交") {
		t.Errorf("self-intersection row:\n%s", row)
	}
	if nGrids() != grids || nVersions() != versions || etag() != tag {
		t.Fatalf("an invalid file wrote")
	}
	// In English.
	res = check(admin, admin.csrf("/admin/grids?lang=en"), bad, nil)
	rep = between(res.body, `id="grid-report"`, "</section>")
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(between(rep, `<tr id="feature-1"`, "</tr>"), "must be 14 digits") ||
		!strings.Contains(between(rep, `<tr id="feature-2"`, "</tr>"), "intersects itself") ||
		!strings.Contains(res.body, "The grids were not imported and nothing was changed") || strings.Contains(rep, "自相交（") {
		t.Errorf("English report: %d\n%s", res.status, rep)
	}
	for _, want := range []string{"Import grids (GeoJSON)", "Check the file (writes nothing)", "Download the current grids (GeoJSON)"} {
		if !strings.Contains(res.body, want) {
			t.Errorf("English page lacks %q", want)
		}
	}
	admin.get("/?lang=zh-CN")
	if nGrids() != grids || nVersions() != versions {
		t.Fatalf("the English check wrote")
	}

	// Other roles: 403 on the page, the check and the import (even with
	// a token an administrator's check gave).
	fc2 := geoExport(t, h)
	fc2.Features[0].Properties["name"] = "再次调整"
	res = check(admin, admin.csrf("/admin/grids"), mustJSON(fc2), nil)
	m = gridTokenRe.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no token for the second file: %d", res.status)
	}
	token = html.UnescapeString(m[1])
	for _, user := range []string{"operator1", "supervisor"} {
		w := newWebClient(t, h.srv.URL, nil)
		w.login(user)
		if p := w.get("/admin/grids"); p.status != http.StatusForbidden || strings.Contains(p.body, "grid-check-form") {
			t.Errorf("%s: GET %d", user, p.status)
		}
		if res := check(w, w.csrf("/work/inbox"), mustJSON(fc2), nil); res.status != http.StatusForbidden {
			t.Errorf("%s: check %d", user, res.status)
		}
		if res := w.post("/admin/grids/import", url.Values{"csrf": {w.csrf("/work/inbox")}, "token": {token}}); res.status != http.StatusForbidden {
			t.Errorf("%s: import %d", user, res.status)
		}
	}
	if nGrids() != grids || nVersions() != versions || etag() != tag {
		t.Errorf("other roles wrote")
	}
}
