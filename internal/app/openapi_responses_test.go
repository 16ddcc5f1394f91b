package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"mime/multipart"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/yiwang-gov/yiwang/internal/httpapi"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/stats/ledger"
)

// skippedGETs are the documented GET routes TestOpenAPIResponses does not
// call, each with the reason. Every other GET of openapi.json must be
// called, so that a new route cannot go unchecked.
var skippedGETs = map[string]string{}

// docChecker validates answers against the response schemas of
// openapi.json and remembers which operations were exercised.
type docChecker struct {
	t        *testing.T
	h        *harness
	doc      map[string]any
	c        *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema
	called   map[string]bool // "GET /api/v1/…" as documented
	// dump, if set (OPENAPI_DUMP=dir), receives every JSON answer: a
	// help for writing schemas, not part of the check.
	dump string
}

const docURL = "https://yiwang.invalid/openapi.json"

func newDocChecker(t *testing.T, h *harness) *docChecker {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(httpapi.OpenAPI()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat() // date-time is checked, not only annotated
	if err := c.AddResource(docURL, doc); err != nil {
		t.Fatal(err)
	}
	return &docChecker{t: t, h: h, doc: doc.(map[string]any), c: c, compiled: map[string]*jsonschema.Schema{},
		called: map[string]bool{}, dump: os.Getenv("OPENAPI_DUMP")}
}

// pointerEscape escapes one JSON-pointer token (RFC 6901).
func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// schema compiles the application/json schema the document gives for an
// operation's status; nil (and an error reported) when there is none.
func (d *docChecker) schema(method, pattern, status string) *jsonschema.Schema {
	d.t.Helper()
	op, _ := d.doc["paths"].(map[string]any)[pattern].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if op == nil {
		d.t.Errorf("%s %s is not in openapi.json", method, pattern)
		return nil
	}
	res, _ := op["responses"].(map[string]any)[status].(map[string]any)
	if res == nil {
		d.t.Errorf("%s %s answered %s, which openapi.json does not document", method, pattern, status)
		return nil
	}
	ptr := "/paths/" + pointerEscape(pattern) + "/" + strings.ToLower(method) + "/responses/" + status
	if ref, ok := res["$ref"].(string); ok {
		ptr = strings.TrimPrefix(ref, "#")
		res = d.resolve(ptr)
	}
	if _, ok := res["content"].(map[string]any)["application/json"]; !ok {
		d.t.Errorf("%s %s answered %s with JSON, which openapi.json does not document", method, pattern, status)
		return nil
	}
	ptr += "/content/application~1json/schema"
	if s, ok := d.compiled[ptr]; ok {
		return s
	}
	s, err := d.c.Compile(docURL + "#" + (&url.URL{Fragment: ptr}).EscapedFragment())
	if err != nil {
		d.t.Errorf("%s %s %s: schema: %v", method, pattern, status, err)
		return nil
	}
	d.compiled[ptr] = s
	return s
}

func (d *docChecker) resolve(ptr string) map[string]any {
	var cur any = d.doc
	for _, part := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		cur, _ = cur.(map[string]any)[part]
	}
	m, _ := cur.(map[string]any)
	return m
}

// documentedType reports whether the operation's status lists the media
// type (exactly or as type/*).
func (d *docChecker) documentedType(method, pattern, status, mt string) bool {
	op, _ := d.doc["paths"].(map[string]any)[pattern].(map[string]any)[strings.ToLower(method)].(map[string]any)
	res, _ := op["responses"].(map[string]any)[status].(map[string]any)
	if ref, ok := res["$ref"].(string); ok {
		res = d.resolve(strings.TrimPrefix(ref, "#"))
	}
	for k := range res["content"].(map[string]any) {
		if k == mt || (strings.HasSuffix(k, "/*") && strings.HasPrefix(mt, strings.TrimSuffix(k, "*"))) {
			return true
		}
	}
	return false
}

// call sends a request for the documented operation pattern at path and,
// when the answer is a success, checks it against the document: a JSON
// answer against the schema of its status, any other answer against the
// media types listed. A failure is reported, never fatal, so one run
// lists every mismatch.
func (d *docChecker) call(method, pattern, path, token string, body any, hdr ...string) resp {
	d.t.Helper()
	d.called[method+" "+pattern] = true
	r := d.h.do(method, path, token, body, hdr...)
	if r.status < 200 || r.status > 299 {
		d.t.Errorf("%s %s: %d %.400s", method, path, r.status, r.raw)
		return r
	}
	status := fmt.Sprint(r.status)
	if r.status == 204 {
		d.schemaless(method, pattern, status)
		return r
	}
	mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	if mt != "application/json" {
		if !d.documentedType(method, pattern, status, mt) {
			d.t.Errorf("%s %s answered %s %s, which openapi.json does not document", method, path, status, mt)
		}
		return r
	}
	if d.dump != "" {
		name := strings.NewReplacer("/", "_", "{", "", "}", "", "?", "_").Replace(method + pattern + "_" + status)
		var buf bytes.Buffer
		json.Indent(&buf, r.raw, "", "  ")
		f, _ := os.OpenFile(filepath.Join(d.dump, name+".json"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		fmt.Fprintf(f, "// %s\n%s\n", path, buf.Bytes())
		f.Close()
	}
	s := d.schema(method, pattern, status)
	if s == nil {
		return r
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.raw))
	if err != nil {
		d.t.Errorf("%s %s: answer is not JSON: %v", method, path, err)
		return r
	}
	if err := s.Validate(inst); err != nil {
		d.t.Errorf("%s %s: %s answer does not match openapi.json:\n%v\nanswer: %.1500s", method, path, status, err, r.raw)
	}
	return r
}

// schemaless checks that a body-less status is documented.
func (d *docChecker) schemaless(method, pattern, status string) {
	op, _ := d.doc["paths"].(map[string]any)[pattern].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if _, ok := op["responses"].(map[string]any)[status]; !ok {
		d.t.Errorf("%s %s answered %s, which openapi.json does not document", method, pattern, status)
	}
}

// get is call for a GET whose path is the pattern with query.
func (d *docChecker) get(pattern, query, token string) resp {
	d.t.Helper()
	path := pattern
	if query != "" {
		path += "?" + query
	}
	return d.call("GET", pattern, path, token, nil)
}

// coverage fails for every documented GET that was neither called nor
// deliberately skipped.
func (d *docChecker) coverage() {
	d.t.Helper()
	var missing []string
	for path, item := range d.doc["paths"].(map[string]any) {
		if _, ok := item.(map[string]any)["get"]; !ok {
			continue
		}
		key := "GET " + path
		_, skipped := skippedGETs[key]
		switch {
		case skipped && d.called[key]:
			d.t.Errorf("%s is listed in skippedGETs but was called: take it off the list", key)
		case !skipped && !d.called[key]:
			missing = append(missing, key)
		}
	}
	for key := range skippedGETs {
		method, path, _ := strings.Cut(key, " ")
		if _, ok := d.doc["paths"].(map[string]any)[path].(map[string]any)[strings.ToLower(method)]; !ok {
			d.t.Errorf("skippedGETs lists %s, which openapi.json does not document", key)
		}
	}
	sort.Strings(missing)
	for _, k := range missing {
		d.t.Errorf("%s is documented but TestOpenAPIResponses does not call it (call it, or list it in skippedGETs with a reason)", k)
	}
}

// TestOpenAPIResponses holds openapi.json to what the handlers answer: it
// boots the demo, calls every documented GET (and the writes that are safe
// in a test) as a role allowed to, with real path parameters, and
// validates each success answer against the schema the document gives for
// that route and status.
func TestOpenAPIResponses(t *testing.T) {
	h := newHarness(t, t.TempDir())
	d := newDocChecker(t, h)
	ctx := context.Background()
	ref := h.app.Service.Ref()

	admin, operator, dispatcher := h.login("admin"), h.login("operator1"), h.login("dispatcher")
	supervisor, leader, discipline, unitTok := h.login("supervisor"), h.login("leader"), h.login("discipline"), h.login("chengguan")

	// The system routes and reference data.
	d.get("/healthz", "", "")
	d.get("/api/v1/openapi.json", "", "")
	d.call("POST", "/api/v1/login", "/api/v1/login", "", map[string]string{"username": "operator2", "password": "yiwang-demo"})
	d.get("/api/v1/me", "", admin)
	d.get("/api/v1/categories", "", "")
	d.get("/api/v1/grids", "", "")
	d.get("/api/v1/units", "", "")

	// A case in wgy001's grid routed to 城管 (chengguan's unit), as in
	// TestScopeMatrix.
	var gridID, cgID int64
	for _, u := range mustUsers(t, h) {
		switch u.Username {
		case "wgy001":
			gridID = u.OrgID
		case "chengguan":
			cgID = u.OrgID
		}
	}
	grid := ref.Grids[gridID]
	lat, lng := gridCentre(t, grid.Geometry)
	var cat model.Category
	for _, c := range ref.CatList {
		if c.DefaultUnitID == cgID && ref.IsLeaf(c.ID) {
			cat = c
			break
		}
	}
	r := d.call("POST", "/api/v1/cases", "/api/v1/cases", "", map[string]any{"category": cat.Code, "description": "接口文档测试",
		"lat": lat, "lng": lng, "reporter": map[string]any{"name": "文档", "phone": "13800002222"}})
	if r.status != 201 {
		t.Fatalf("setup case: %d %s", r.status, r.raw)
	}
	caseID, receipt := num(r.body["id"]), r.body["receipt"].(string)
	caseP := "/api/v1/cases/" + itoa(caseID)
	d.get("/api/v1/cases", "", operator)
	d.call("GET", "/api/v1/cases/{id}", caseP, operator, nil)
	d.call("GET", "/api/v1/track/{receipt}", "/api/v1/track/"+receipt, "", nil)
	d.call("POST", "/api/v1/cases/{id}/reveal", caseP+"/reveal", operator, map[string]string{"reason": "回访核实"})
	d.call("POST", "/api/v1/cases/{id}/actions/{action}", caseP+"/actions/accept", operator,
		map[string]any{"version": num(r.body["version"]), "note": "受理"})

	// An attachment, uploaded and read back (an image, not JSON).
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormFile("file", "photo.png")
	fw.Write(pngBytes(t))
	mw.Close()
	r = d.call("POST", "/api/v1/attachments", "/api/v1/attachments", operator, mp.Bytes(), "Content-Type", mw.FormDataContentType())
	photo, _ := r.body["id"].(string)
	d.call("GET", "/api/v1/attachments/{id}", "/api/v1/attachments/"+photo, operator, nil)

	// Calendar.
	r = d.get("/api/v1/calendar/years", "", "")
	years, _ := r.body["years"].([]any)
	if len(years) == 0 {
		t.Fatalf("no calendar years in the demo: %s", r.raw)
	}
	last := years[len(years)-1].(map[string]any)
	from := fmt.Sprintf("%d-03-02T09:00:00+08:00", num(last["year"])) // a year with data, whatever the date today
	for _, q := range []string{"working_days=3", "working_hours=4", "natural_days=2", "urgent_hours=2"} {
		d.get("/api/v1/calendar/deadline", "from="+url.QueryEscape(from)+"&"+q, "")
	}
	d.call("POST", "/api/v1/admin/calendar/years", "/api/v1/admin/calendar/years", admin, last)

	// Workflows: as a citizen and as staff; a definition added again.
	d.get("/api/v1/workflows", "", "")
	r = d.get("/api/v1/workflows", "", admin)
	for _, w := range r.body["workflows"].([]any) {
		typ := w.(map[string]any)["type"].(string)
		d.call("GET", "/api/v1/workflows/{type}", "/api/v1/workflows/"+typ, admin, nil)
	}
	r = d.call("GET", "/api/v1/workflows/{type}", "/api/v1/workflows/city_case?version=1", "", nil)
	def := r.body
	def["version"] = num(def["version"]) + 1
	d.call("POST", "/api/v1/admin/workflows", "/api/v1/admin/workflows", admin, def)

	// Supervision: issued to 城管 about the case, listed, read, answered.
	r = d.call("POST", "/api/v1/supervisions", "/api/v1/supervisions", supervisor, map[string]any{"kind": "duban", "unit": cgID,
		"title": "文档测试督办", "body": "请尽快办理", "cases": []int64{caseID}, "reply_working_days": 2})
	supID := num(r.body["id"])
	d.call("POST", "/api/v1/supervisions", "/api/v1/supervisions", discipline, map[string]any{"kind": "recommendation", "unit": cgID,
		"title": "文档测试建议书", "due_at": time.Now().Add(48 * time.Hour).Format(time.RFC3339)})
	d.get("/api/v1/supervisions", "", supervisor)
	d.get("/api/v1/supervisions", "limit=1", supervisor)
	d.get("/api/v1/supervisions", "status=open&case="+itoa(caseID), unitTok)
	d.call("GET", "/api/v1/supervisions/{id}", "/api/v1/supervisions/"+itoa(supID), unitTok, nil)
	d.call("POST", "/api/v1/supervisions/{id}/reply", "/api/v1/supervisions/"+itoa(supID)+"/reply", unitTok,
		map[string]any{"reply": "已办理", "files": []string{photo}})
	d.get("/api/v1/notifications", "", supervisor)
	r = d.get("/api/v1/notifications", "", unitTok)
	if ns, _ := r.body["notifications"].([]any); len(ns) > 0 {
		id := num(ns[0].(map[string]any)["id"])
		d.call("POST", "/api/v1/notifications/{id}/read", "/api/v1/notifications/"+itoa(id)+"/read", unitTok, nil)
	}
	d.get("/api/v1/notifications", "limit=5", unitTok)

	// The daily dispatch sheet, whole and for a unit; CSV is not JSON.
	d.get("/api/v1/dispatch-sheet", "", dispatcher)
	d.get("/api/v1/dispatch-sheet", "", unitTok)
	d.get("/api/v1/dispatch-sheet", "format=csv", dispatcher)
	d.get("/api/v1/dispatch-sheet.csv", "", dispatcher)

	// Geography.
	pt := fmt.Sprintf("lat=%f&lng=%f", lat, lng)
	d.get("/api/v1/geo/locate", pt, "")
	d.get("/api/v1/geo/locate", pt+"&out=gcj02&category="+cat.Code, "")
	d.get("/api/v1/geo/locate", "lat=10&lng=10", "")
	r = d.get("/api/v1/geo/reverse", pt+"&radius=5000&limit=5", operator)
	d.get("/api/v1/geo/reverse", "lat=10&lng=10", operator)
	addr := "城关"
	if a, ok := r.body["address"].(map[string]any); ok {
		addr = a["address"].(string)
	}
	d.get("/api/v1/geo/addresses", "q="+url.QueryEscape(addr)+"&out=bd09", operator)
	d.get("/api/v1/geo/addresses", "q="+url.QueryEscape("没有这个地址的地方"), operator)
	r = d.get("/api/v1/geo/components", pt+"&radius=2000&limit=5", operator)
	d.call("GET", "/api/v1/grids/{id}/versions", "/api/v1/grids/"+itoa(gridID)+"/versions", "", nil)

	// Imports, as dry runs: the grids as served, a component, an address.
	_, _, grids := h.get("/api/v1/grids", "")
	d.call("POST", "/api/v1/admin/grids/import", "/api/v1/admin/grids/import?dry_run=true", admin, grids)
	feature := func(props map[string]any) map[string]any {
		return map[string]any{"type": "FeatureCollection", "features": []any{map[string]any{"type": "Feature",
			"geometry": map[string]any{"type": "Point", "coordinates": []float64{lng, lat}}, "properties": props}}}
	}
	compProps := map[string]any{"code": "", "name": "文档测试井盖"}
	if cs, _ := r.body["components"].([]any); len(cs) > 0 {
		c := cs[0].(map[string]any)
		compProps = map[string]any{"code": c["code"], "name": c["name"], "status": c["status"], "address": c["address"]}
		if m, ok := c["maintainer"].(map[string]any); ok {
			compProps["maintainer"] = m["name"]
		}
		if o, ok := c["owner"].(map[string]any); ok {
			compProps["owner"] = o["name"]
		}
	} else {
		t.Errorf("no demo component near the case: %s", r.raw)
	}
	d.call("POST", "/api/v1/admin/components/import", "/api/v1/admin/components/import?dry_run=true", admin, feature(compProps))
	d.call("POST", "/api/v1/admin/addresses/import", "/api/v1/admin/addresses/import?dry_run=true", admin,
		feature(map[string]any{"address": "文档测试路1号", "alias": "文档大厦"}))
	r = d.get("/api/v1/admin/geo/config", "", admin)
	d.call("PUT", "/api/v1/admin/geo/config", "/api/v1/admin/geo/config", admin, r.raw)

	// Categories' history.
	d.call("GET", "/api/v1/admin/categories/{id}/versions", "/api/v1/admin/categories/"+itoa(cat.ID)+"/versions", admin, nil)

	// Routing rules: one made, read, changed; a case routed by it.
	var depts []int64
	for _, o := range ref.Org {
		if o.Kind == model.OrgDepartment && o.ID != cgID {
			depts = append(depts, o.ID)
		}
	}
	slices.Sort(depts)
	if len(depts) < 2 {
		t.Fatalf("demo has %d departments", len(depts))
	}
	r = d.call("POST", "/api/v1/admin/rules", "/api/v1/admin/rules", admin, map[string]any{"category": cat.Code, "area_id": grid.StreetID,
		"unit_id": depts[0], "co_unit_ids": []int64{depts[1]}, "note": "文档测试"})
	ruleP := "/api/v1/admin/rules/" + itoa(num(r.body["id"]))
	d.call("PUT", "/api/v1/admin/rules/{id}", ruleP, admin, map[string]any{"category": cat.ID, "area_id": grid.StreetID,
		"unit_id": depts[0], "co_unit_ids": []int64{}, "note": "文档测试（改）"})
	d.get("/api/v1/admin/rules", "", admin)
	d.call("GET", "/api/v1/admin/rules/{id}", ruleP, admin, nil)
	d.call("GET", "/api/v1/admin/rules/{id}/versions", ruleP+"/versions", admin, nil)
	r = d.call("POST", "/api/v1/cases", "/api/v1/cases", operator, map[string]any{"category": cat.Code, "description": "按规则派遣",
		"lat": lat, "lng": lng, "channel": "hotline", "reporter": map[string]any{"name": "规则", "phone": "13800003333"}})
	ruleCase := num(r.body["id"])
	d.call("GET", "/api/v1/cases/{id}/routing", "/api/v1/cases/"+itoa(ruleCase)+"/routing", operator, nil)
	// Every demo case's routing: rules, components, category defaults, 属地.
	r = d.get("/api/v1/cases", "limit=200", operator)
	for _, c := range r.body["cases"].([]any) {
		id := num(c.(map[string]any)["id"])
		d.call("GET", "/api/v1/cases/{id}/routing", "/api/v1/cases/"+itoa(id)+"/routing", operator, nil)
	}
	d.call("DELETE", "/api/v1/admin/rules/{id}", ruleP, admin, nil)
	d.call("GET", "/api/v1/admin/rules/{id}/versions", ruleP+"/versions", admin, nil)

	// Statistics, as a leader and as a unit.
	yr := "from=" + fmt.Sprint(time.Now().Year()-1) + "-01-01"
	for _, tok := range []string{leader, unitTok} {
		d.get("/api/v1/stats/summary", "", tok)
		d.get("/api/v1/stats/summary", yr+"&area="+itoa(grid.StreetID)+"&type=city_case&engine=facts", tok)
		d.get("/api/v1/stats/dashboard", yr, tok)
		d.get("/api/v1/stats/hotspots", yr+"&min=2", tok)
		d.get("/api/v1/stats/topics", yr, tok)
	}
	for _, by := range service.StatsGroups() {
		q := yr
		if by == "day" { // at most 400 days
			q = "from=" + time.Now().AddDate(0, -2, 0).Format("2006-01-02")
		}
		d.get("/api/v1/stats/breakdown", q+"&by="+by, leader)
	}
	d.get("/api/v1/stats/ranking", yr+"&of=unit", leader)
	d.get("/api/v1/stats/ranking", yr+"&of=street&weights=40,30,30", leader)
	d.get("/api/v1/stats/briefing", yr+"&format=json", leader)
	d.get("/api/v1/stats/briefing", yr, leader)
	d.get("/api/v1/stats/export", yr, leader)
	d.get("/api/v1/stats/export", yr+"&format=csv", leader)
	d.call("GET", "/api/v1/stats/ledgers/{kind}", "/api/v1/stats/ledgers/rectification?format=csv", leader, nil)
	d.call("GET", "/api/v1/stats/ledgers/{kind}", "/api/v1/stats/ledgers/clue", discipline, nil)
	book := ledgerBook(t, [][]any{rectHeader,
		{1, "WD-2025-001", "校园餐", "监督检查", "文档测试：食堂采购价格虚高", "区教育局", "", "2025-03-01", "重新招标", "已销号", "2025-04-10", "100.50", "200", 3, 1, 0, 1, ""},
		{2, "WD-2025-002", "不存在的领域", "监督检查", "领域不对", "区教育局", "", "2025-03-01", "", "整改中", "", "", "", "", "", "", "", ""},
	})
	for _, q := range []string{"", "?skip_bad=true", "?skip_bad=true"} {
		d.call("POST", "/api/v1/stats/ledgers/{kind}/import", "/api/v1/stats/ledgers/rectification/import"+q, discipline, book,
			"Content-Type", ledger.ContentTypeXLSX)
	}
	r = d.get("/api/v1/stats/config", "", operator)
	d.call("PUT", "/api/v1/stats/config", "/api/v1/stats/config", admin, r.raw)

	// Machine events from a registered source: a first sighting (a case),
	// a repeat, low-confidence ones for review, a batch with a bad event,
	// a retried event id.
	key, _, err := h.app.Service.CreateEventSource(ctx, service.NewEventSource{Code: "docsrc", Name: "文档测试视频平台",
		TypeMap: map[string]string{"occupy_road": cat.Code}})
	if err != nil {
		t.Fatal(err)
	}
	ev := func(dev string, conf float64, id string) map[string]any {
		e := map[string]any{"source_id": "docsrc", "device_id": dev, "event_type": "occupy_road", "confidence": conf,
			"lat": lat, "lng": lng, "at": time.Now().Format(time.RFC3339), "description": "占道经营"}
		if id != "" {
			e["event_id"] = id
		}
		return e
	}
	r = d.call("POST", "/api/v1/events", "/api/v1/events", key, ev("cam-1", 0.95, "A-1"))
	evCase := num(r.body["case_id"])
	d.call("POST", "/api/v1/events", "/api/v1/events", key, ev("cam-1", 0.95, "A-2"))
	d.call("POST", "/api/v1/events", "/api/v1/events", key, ev("cam-1", 0.95, "A-1"))
	d.call("POST", "/api/v1/events", "/api/v1/events", key, ev("cam-2", 0.2, ""))
	d.call("POST", "/api/v1/events", "/api/v1/events", key, map[string]any{"events": []any{ev("cam-3", 0.3, ""), ev("cam-1", 0.9, ""),
		map[string]any{"source_id": "docsrc", "event_type": "no_such_type", "lat": lat, "lng": lng}, map[string]any{"lat": "north"}}})
	r = d.get("/api/v1/events/review", "", operator)
	var review []int64
	for _, e := range r.body["events"].([]any) {
		review = append(review, num(e.(map[string]any)["id"]))
	}
	if len(review) < 2 {
		t.Errorf("review queue: %s", r.raw)
	} else {
		d.call("POST", "/api/v1/events/review/{id}/dismiss", "/api/v1/events/review/"+itoa(review[0])+"/dismiss", operator,
			map[string]string{"note": "误报"})
		d.call("POST", "/api/v1/events/review/{id}/confirm", "/api/v1/events/review/"+itoa(review[1])+"/confirm", operator, nil)
	}
	d.get("/api/v1/events/review", "status=all&limit=50", supervisor)
	d.call("GET", "/api/v1/cases/{id}/machine-events", "/api/v1/cases/"+itoa(evCase)+"/machine-events", operator, nil)
	d.call("GET", "/api/v1/cases/{id}/machine-events", caseP+"/machine-events", operator, nil)

	d.call("POST", "/api/v1/logout", "/api/v1/logout", operator, nil)
	d.coverage()
}
