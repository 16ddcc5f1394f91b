package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// demoPoint returns the centroid of a demo grid's exterior ring and the
// grid's properties.
func demoPoint(t *testing.T, h *harness, k int) (lat, lng float64, props map[string]any) {
	t.Helper()
	r := h.do("GET", "/api/v1/grids", "", nil)
	var fc struct {
		Features []struct {
			Geometry struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(r.raw, &fc); err != nil || len(fc.Features) < 300 {
		t.Fatalf("grids: %d features, err %v", len(fc.Features), err)
	}
	f := fc.Features[k%len(fc.Features)]
	var rings [][][2]float64
	if err := json.Unmarshal(f.Geometry.Coordinates, &rings); err != nil {
		t.Fatalf("grid %v is not a Polygon: %v", f.Properties["code"], err)
	}
	ring := rings[0][:len(rings[0])-1]
	for _, p := range ring {
		lng += p[0] / float64(len(ring))
		lat += p[1] / float64(len(ring))
	}
	return lat, lng, f.Properties
}

type category struct {
	ID          int64          `json:"id"`
	Code        string         `json:"code"`
	Name        string         `json:"name"`
	Leaf        bool           `json:"leaf"`
	Kind        string         `json:"kind"`
	DefaultUnit map[string]any `json:"default_unit"`
}

func categories(t *testing.T, h *harness) []category {
	r := h.do("GET", "/api/v1/categories", "", nil)
	var out struct{ Categories []category }
	if err := json.Unmarshal(r.raw, &out); err != nil {
		t.Fatal(err)
	}
	return out.Categories
}

// pickCategory returns a leaf category with (dept=true) or without a
// default department.
func pickCategory(t *testing.T, h *harness, dept bool) category {
	for _, c := range categories(t, h) {
		if c.Leaf && c.Kind != "domain" && (c.DefaultUnit != nil) == dept {
			return c
		}
	}
	t.Fatalf("no leaf category with dept=%v", dept)
	return category{}
}

// unitUser finds the demo account of a handling unit.
func unitUser(t *testing.T, h *harness, orgID int64) string {
	users, err := h.app.Store.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Role == model.RoleUnit && u.OrgID == orgID {
			return u.Username
		}
	}
	t.Fatalf("no unit user for org %d", orgID)
	return ""
}

func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func upload(t *testing.T, h *harness, token string, data []byte) string {
	status, raw := uploadStatus(t, h, token, data)
	var a struct{ ID, Mime string }
	json.Unmarshal(raw, &a)
	if status != 201 || a.Mime != "image/png" || len(a.ID) != 64 {
		t.Fatalf("upload: %d %s", status, raw)
	}
	return a.ID
}

// uploadStatus posts data to /api/v1/attachments as a multipart file and
// answers the status and body, whatever they are.
func uploadStatus(t *testing.T, h *harness, token string, data []byte) (int, []byte) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "photo.png")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/attachments", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw
}

func num(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

// TestClosedLoop walks a citizen's report through the whole default loop
// over HTTP, checking routing, refusals, the timeline and durability.
func TestClosedLoop(t *testing.T) {
	h := newHarness(t, t.TempDir())
	lat, lng, grid := demoPoint(t, h, 17)
	cat := pickCategory(t, h, true)
	deptID := num(cat.DefaultUnit["id"])

	// 1. A citizen reports, without an account.
	r := h.do("POST", "/api/v1/cases", "", map[string]any{
		"category": cat.Code, "description": "井盖缺失，夜间行人易跌落", "lat": lat, "lng": lng, "address": "乐坪大道18号",
		"channel": "app", "reporter": map[string]any{"name": "刘小梅", "phone": "13812345678"}, "anonymous": false,
	})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	c := r.body
	id := num(c["id"])
	g, _ := c["grid"].(map[string]any)
	if g == nil || g["code"] != grid["code"] || g["name"] != grid["name"] {
		t.Fatalf("routed to grid %v, want %v", c["grid"], grid["code"])
	}
	if c["community"] != grid["community"] || c["street"] != grid["street"] {
		t.Fatalf("community/street = %v/%v, want %v/%v", c["community"], c["street"], grid["community"], grid["street"])
	}
	if u, _ := c["unit"].(map[string]any); u == nil || num(u["id"]) != deptID {
		t.Fatalf("unit = %v, want the category's department %v", c["unit"], cat.DefaultUnit)
	}
	if c["status"] != "reported" || num(c["version"]) != 1 || len(c["receipt"].(string)) != 12 {
		t.Fatalf("new case: %s", r.raw)
	}
	receipt := c["receipt"].(string)

	// A category with no department goes to the street (属地).
	terr := pickCategory(t, h, false)
	r = h.do("POST", "/api/v1/cases", "", map[string]any{"category": terr.Code, "description": "占道经营", "lat": lat, "lng": lng})
	if u, _ := r.body["unit"].(map[string]any); r.status != 201 || u == nil || u["name"] != grid["street"] || r.body["routing"] != "territorial" {
		t.Fatalf("territorial routing: %d %s", r.status, r.raw)
	}

	operator, dispatcher, supervisor := h.login("operator1"), h.login("dispatcher"), h.login("supervisor")
	unit := h.login(unitUser(t, h, deptID))
	act := func(token, action string, body map[string]any) resp {
		t.Helper()
		return h.do("POST", fmt.Sprintf("/api/v1/cases/%d/actions/%s", id, action), token, body)
	}
	expect := func(r resp, status int, state string) {
		t.Helper()
		if r.status != status {
			t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
		}
		if state != "" && r.body["status"] != state {
			t.Fatalf("state %v, want %s", r.body["status"], state)
		}
	}

	// Roles that may not accept are refused with 403.
	expect(act(unit, "accept", map[string]any{"version": 1}), 403, "")
	expect(act(dispatcher, "accept", map[string]any{"version": 1}), 403, "")
	expect(act(operator, "dispatch", map[string]any{"version": 1}), 403, "")
	// Allowed role, wrong state: 422.
	expect(act(operator, "verify", map[string]any{"version": 1, "result": "pass"}), 422, "")

	expect(act(operator, "accept", map[string]any{"version": 1, "note": "属实，立案"}), 200, "registered")
	// The same accept again with the old version: 409.
	expect(act(supervisor, "accept", map[string]any{"version": 1}), 409, "")
	// The unit cannot sign before dispatch: 422.
	expect(act(unit, "sign", map[string]any{"version": 2}), 422, "")

	r = act(dispatcher, "dispatch", map[string]any{"version": 2})
	expect(r, 200, "dispatched")
	if u, _ := r.body["unit"].(map[string]any); num(u["id"]) != deptID || r.body["due_at"] == nil {
		t.Fatalf("dispatch: unit %v due %v", r.body["unit"], r.body["due_at"])
	}
	// Another unit neither sees nor signs it.
	other := ""
	for _, u := range mustUsers(t, h) {
		if u.Role == model.RoleUnit && u.OrgID != deptID {
			other = u.Username
			break
		}
	}
	expect(act(h.login(other), "sign", map[string]any{"version": 3}), 404, "")

	expect(act(unit, "sign", map[string]any{"version": 3}), 200, "handling")
	r = act(unit, "report_back", map[string]any{"version": 4})
	expect(r, 422, "")
	if f, _ := r.body["error"].(map[string]any)["fields"].(map[string]any); f["note"] == nil {
		t.Fatalf("report_back without note: %s", r.raw)
	}
	photo := upload(t, h, unit, pngBytes(t))
	expect(act(unit, "report_back", map[string]any{"version": 4, "note": "已补装井盖", "evidence": []string{photo}}), 200, "awaiting_verification")
	r = act(supervisor, "verify", map[string]any{"version": 5, "result": "pass", "note": "现场核查合格"})
	expect(r, 200, "closed")
	if r.body["closed_at"] == nil {
		t.Fatal("closed case has no closed_at")
	}

	checkTimeline := func(token string) map[string]any {
		t.Helper()
		r := h.do("GET", fmt.Sprintf("/api/v1/cases/%d", id), token, nil)
		expect(r, 200, "closed")
		tl, _ := r.body["timeline"].([]any)
		want := []struct{ action, from, to string }{
			{"create", "", "reported"}, {"accept", "reported", "registered"}, {"dispatch", "registered", "dispatched"},
			{"sign", "dispatched", "handling"}, {"report_back", "handling", "awaiting_verification"}, {"verify", "awaiting_verification", "closed"},
		}
		if len(tl) != len(want) {
			t.Fatalf("timeline has %d entries, want %d: %s", len(tl), len(want), r.raw)
		}
		for i, w := range want {
			e := tl[i].(map[string]any)
			from, _ := e["from_state"].(string)
			if e["action"] != w.action || from != w.from || e["to_state"] != w.to || num(e["seq"]) != int64(i+1) {
				t.Errorf("timeline[%d] = %v, want %+v", i, e, w)
			}
		}
		if atts, _ := tl[4].(map[string]any)["attachments"].([]any); len(atts) != 1 || atts[0] != photo {
			t.Errorf("report_back evidence = %v", tl[4])
		}
		return r.body
	}
	body := checkTimeline(operator)
	if rep, _ := body["reporter"].(map[string]any); rep == nil || rep["phone"] != "138****5678" {
		t.Errorf("operator sees reporter %v, want masked phone", body["reporter"])
	}
	// The handling unit never sees who reported.
	r = h.do("GET", fmt.Sprintf("/api/v1/cases/%d", id), unit, nil)
	if r.body["reporter"] != nil || strings.Contains(string(r.raw), "刘小梅") || strings.Contains(string(r.raw), "5678") {
		t.Errorf("unit sees the reporter: %s", r.raw)
	}

	// After a restart on the same data dir the case, its timeline and the
	// sessions are all still there.
	h.restart()
	checkTimeline(operator)
	r = h.do("GET", "/api/v1/track/"+strings.ToLower(receipt), "", nil)
	if r.status != 200 || r.body["status"] != "closed" || r.body["reporter"] != nil || strings.Contains(string(r.raw), "刘小梅") {
		t.Fatalf("track: %d %s", r.status, r.raw)
	}
}

func mustUsers(t *testing.T, h *harness) []model.User {
	users, err := h.app.Store.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return users
}
