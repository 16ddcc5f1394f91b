package app_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/geo"
)

// geoUnits maps unit names to ids (GET /api/v1/units).
func geoUnits(t *testing.T, h *harness) map[string]int64 {
	t.Helper()
	r := h.do("GET", "/api/v1/units", "", nil)
	var out struct {
		Units []struct {
			ID   int64
			Name string
		}
	}
	json.Unmarshal(r.raw, &out)
	m := map[string]int64{}
	for _, u := range out.Units {
		m[u.Name] = u.ID
	}
	if len(m) < 20 {
		t.Fatalf("units: %s", r.raw)
	}
	return m
}

// geoGridIn returns a grid feature of the street (the k-th).
func geoGridIn(t *testing.T, fc geoFC, street string, k int) geoFeature {
	for _, f := range fc.Features {
		if f.Properties["street"] == street {
			if k == 0 {
				return f
			}
			k--
		}
	}
	t.Fatalf("no grid %d in %s", k, street)
	return geoFeature{}
}

func newCase(t *testing.T, h *harness, token, cat string, lat, lng float64) map[string]any {
	t.Helper()
	r := h.do("POST", "/api/v1/cases", token, map[string]any{"category": cat, "description": "路由测试：" + cat, "lat": lat, "lng": lng, "channel": "hotline"})
	if r.status != 201 {
		t.Fatalf("create %s case: %d %s", cat, r.status, r.raw)
	}
	return r.body
}

func unitID(c map[string]any) int64 {
	u, _ := c["unit"].(map[string]any)
	return num(u["id"])
}

// TestRoutingRulesAPI: category × area rules with co-units, community
// overrides over street rules, parent-category rules, rule history, and
// the case saying which rule routed it.
func TestRoutingRulesAPI(t *testing.T) {
	h := newHarness(t, t.TempDir())
	admin, op := h.login("admin"), h.login("operator1")
	units := geoUnits(t, h)
	street, cg, zj, ga := units["乐坪街道"], units["区城市管理局"], units["区住房和城乡建设局"], units["区公安分局"]
	fc := geoExport(t, h)
	f := geoGridIn(t, fc, "乐坪街道", 0)
	lat, lng := geoCentroid(t, f)
	comm := num(f.Properties["community_id"])

	// No rule: 暴露垃圾 (no department) goes to the street (属地).
	c := newCase(t, h, op, "E0102", lat, lng)
	if c["routing"] != "territorial" || unitID(c) != street {
		t.Fatalf("before any rule: %v → %v", c["routing"], c["unit"])
	}

	// A street rule with a co-unit.
	r := h.do("POST", "/api/v1/admin/rules", admin, map[string]any{"category": "E0102", "area_id": street, "unit_id": cg, "co_unit_ids": []int64{zj}, "note": "主次干道暴露垃圾由城管主办"})
	if r.status != 201 {
		t.Fatalf("create rule: %d %s", r.status, r.raw)
	}
	ruleID := num(r.body["id"])
	c1 := newCase(t, h, op, "E0102", lat, lng)
	if c1["routing"] != fmt.Sprintf("rule:%d", ruleID) || unitID(c1) != cg {
		t.Fatalf("street rule: %v → %v", c1["routing"], c1["unit"])
	}
	ex := h.do("GET", fmt.Sprintf("/api/v1/cases/%d/routing", num(c1["id"])), op, nil)
	co, _ := ex.body["co_units"].([]any)
	if ex.status != 200 || ex.body["how"] != "rule" || len(co) != 1 || num(co[0].(map[string]any)["id"]) != zj ||
		ex.body["label"] != fmt.Sprintf("按派遣规则 %d", ruleID) {
		t.Fatalf("routing of the case: %d %s", ex.status, ex.raw)
	}
	if en := h.do("GET", fmt.Sprintf("/api/v1/cases/%d/routing", num(c1["id"])), op, nil, "Accept-Language", "en"); en.body["label"] != fmt.Sprintf("By routing rule %d", ruleID) {
		t.Errorf("English label %v", en.body["label"])
	}

	// A community rule overrides the street's.
	r = h.do("POST", "/api/v1/admin/rules", admin, map[string]any{"category": "E0102", "area_id": comm, "unit_id": street})
	if r.status != 201 {
		t.Fatalf("community rule: %d %s", r.status, r.raw)
	}
	commRule := num(r.body["id"])
	if c := newCase(t, h, op, "E0102", lat, lng); c["routing"] != fmt.Sprintf("rule:%d", commRule) || unitID(c) != street {
		t.Errorf("community override: %v → %v", c["routing"], c["unit"])
	}
	// Elsewhere in the street the street rule still applies.
	other := f
	for _, g := range fc.Features {
		if g.Properties["street"] == "乐坪街道" && num(g.Properties["community_id"]) != comm {
			other = g
			break
		}
	}
	olat, olng := geoCentroid(t, other)
	if c := newCase(t, h, op, "E0102", olat, olng); c["routing"] != fmt.Sprintf("rule:%d", ruleID) {
		t.Errorf("another community of the street: %v", c["routing"])
	}

	// A rule on a parent category covers its leaves (街面秩序 → 占道经营).
	r = h.do("POST", "/api/v1/admin/rules", admin, map[string]any{"category": "E05", "area_id": units["娄星区"], "unit_id": ga})
	if r.status != 201 {
		t.Fatalf("parent rule: %d %s", r.status, r.raw)
	}
	if c := newCase(t, h, op, "E0501", olat, olng); c["routing"] != fmt.Sprintf("rule:%d", num(r.body["id"])) || unitID(c) != ga {
		t.Errorf("parent category rule: %v → %v", c["routing"], c["unit"])
	}

	// Change the street rule: new cases follow it, the old case is still
	// explained by the rule as it was.
	time.Sleep(5 * time.Millisecond)
	r = h.do("PUT", fmt.Sprintf("/api/v1/admin/rules/%d", ruleID), admin, map[string]any{"category": "E0102", "area_id": street, "unit_id": zj})
	if r.status != 200 || num(r.body["unit"].(map[string]any)["id"]) != zj {
		t.Fatalf("update rule: %d %s", r.status, r.raw)
	}
	if c := newCase(t, h, op, "E0102", olat, olng); unitID(c) != zj {
		t.Errorf("after the update: %v", c["unit"])
	}
	ex = h.do("GET", fmt.Sprintf("/api/v1/cases/%d/routing", num(c1["id"])), op, nil)
	rule, _ := ex.body["rule"].(map[string]any)
	co, _ = ex.body["co_units"].([]any)
	if num(rule["version"]) != 1 || num(rule["unit"].(map[string]any)["id"]) != cg || len(co) != 1 {
		t.Errorf("old case after the update: %s", ex.raw)
	}
	vs := h.do("GET", fmt.Sprintf("/api/v1/admin/rules/%d/versions", ruleID), admin, nil)
	if list, _ := vs.body["versions"].([]any); vs.status != 200 || len(list) != 2 {
		t.Errorf("versions: %d %s", vs.status, vs.raw)
	}
	// Delete: the history stays and still explains the case.
	if r := h.do("DELETE", fmt.Sprintf("/api/v1/admin/rules/%d", ruleID), admin, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", fmt.Sprintf("/api/v1/admin/rules/%d", ruleID), admin, nil); r.status != 404 {
		t.Errorf("deleted rule: %d", r.status)
	}
	vs = h.do("GET", fmt.Sprintf("/api/v1/admin/rules/%d/versions", ruleID), admin, nil)
	if list, _ := vs.body["versions"].([]any); len(list) != 2 || list[1].(map[string]any)["deleted"] != true {
		t.Errorf("versions after delete: %s", vs.raw)
	}
	if ex := h.do("GET", fmt.Sprintf("/api/v1/cases/%d/routing", num(c1["id"])), op, nil); ex.body["rule"] == nil {
		t.Errorf("explanation after delete: %s", ex.raw)
	}
	if r := h.do("GET", "/api/v1/admin/rules", admin, nil); r.status != 200 || len(r.body["rules"].([]any)) != 2 {
		t.Errorf("list: %d %s", r.status, r.raw)
	}

	// Refusals.
	for name, tc := range map[string]struct {
		body   map[string]any
		status int
		field  string
	}{
		"duplicate":        {map[string]any{"category": "E0102", "area_id": comm, "unit_id": cg}, 422, "area_id"},
		"unknown category": {map[string]any{"category": "X99", "area_id": street, "unit_id": cg}, 422, "category"},
		"grid as unit":     {map[string]any{"category": "E0103", "area_id": street, "unit_id": num(f.ID)}, 422, "unit_id"},
		"department area":  {map[string]any{"category": "E0103", "area_id": cg, "unit_id": cg}, 422, "area_id"},
		"co-unit is lead":  {map[string]any{"category": "E0103", "area_id": street, "unit_id": cg, "co_unit_ids": []int64{cg}}, 422, "co_unit_ids"},
	} {
		r := h.do("POST", "/api/v1/admin/rules", admin, tc.body)
		fields, _ := r.body["error"].(map[string]any)["fields"].(map[string]any)
		if r.status != tc.status || fields[tc.field] == nil {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	if r := h.do("POST", "/api/v1/admin/rules", op, map[string]any{"category": "E0103", "area_id": street, "unit_id": cg}); r.status != 403 {
		t.Errorf("operator creates a rule: %d", r.status)
	}
}

// TestComponentsAPI: import with validation, attach a report to the
// nearest component of its category, route by its maintaining unit.
func TestComponentsAPI(t *testing.T) {
	h := newHarness(t, t.TempDir())
	admin, op := h.login("admin"), h.login("operator1")
	units := geoUnits(t, h)
	fc := geoExport(t, h)
	// A grid with no street light (0105) within 200 m of its centre.
	var lat, lng float64
	for k := range 40 {
		f := geoGridIn(t, fc, "花山街道", k)
		lat, lng = geoCentroid(t, f)
		r := h.do("GET", fmt.Sprintf("/api/v1/geo/components?lat=%s&lng=%s&radius=200&category=0105", ff(lat), ff(lng)), op, nil)
		if list, _ := r.body["components"].([]any); r.status == 200 && len(list) == 0 {
			break
		}
		lat = 0
	}
	if lat == 0 {
		t.Fatal("no grid free of street lights")
	}
	kx := 111320 * math.Cos(lat*math.Pi/180)
	clat, clng := geo.FromWGS84(lat, lng+5/kx, geo.GCJ02) // 5 m east, as a phone's map gives it
	code := "431302" + "0105" + "900001"
	comp := geoFC{Type: "FeatureCollection", Features: []geoFeature{{Type: "Feature",
		Geometry:   mustJSON(map[string]any{"type": "Point", "coordinates": []float64{clng, clat}}),
		Properties: map[string]any{"code": code, "name": "测试路灯", "owner": "区城市管理局", "maintainer": "区交通运输局", "status": "完好"}}}}
	r := h.do("POST", "/api/v1/admin/components/import?coord=gcj02", admin, mustJSON(comp))
	if r.status != 200 || r.body["status"] != "imported" || num(r.body["created"]) != 1 {
		t.Fatalf("import: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/api/v1/admin/components/import?coord=gcj02", admin, mustJSON(comp)); r.body["status"] != "unchanged" {
		t.Errorf("re-import: %s", r.raw)
	}
	r = h.do("GET", fmt.Sprintf("/api/v1/geo/components?lat=%s&lng=%s&category=0105", ff(lat), ff(lng)), op, nil)
	list, _ := r.body["components"].([]any)
	if len(list) != 1 {
		t.Fatalf("near: %s", r.raw)
	}
	got := list[0].(map[string]any)
	if got["code"] != code || math.Abs(got["distance_m"].(float64)-5) > 0.2 || num(got["maintainer"].(map[string]any)["id"]) != units["区交通运输局"] {
		t.Errorf("component: %v", got)
	}

	// A street-light report next to it goes to its maintainer.
	c := newCase(t, h, op, "0105", lat, lng)
	if c["routing"] != "component" || unitID(c) != units["区交通运输局"] {
		t.Fatalf("report at the component: %v → %v", c["routing"], c["unit"])
	}
	ex := h.do("GET", fmt.Sprintf("/api/v1/cases/%d/routing", num(c["id"])), op, nil)
	if cm, _ := ex.body["component"].(map[string]any); ex.status != 200 || cm["code"] != code || ex.body["label"] != "按部件养护单位" {
		t.Errorf("routing explanation: %s", ex.raw)
	}
	// Another category at the same place is not attached to it.
	if c := newCase(t, h, op, "0106", lat, lng); c["routing"] == "component" && unitID(c) == units["区交通运输局"] {
		t.Errorf("a hydrant report attached to the street light")
	}
	// 100 m away: beyond the attach radius, the category's department.
	if c := newCase(t, h, op, "0105", lat, lng-100/kx); c["routing"] != "category" || unitID(c) != units["区城市管理局"] {
		t.Errorf("100 m away: %v → %v", c["routing"], c["unit"])
	}

	// Validation: every problem reported, nothing written.
	bad := geoFC{Type: "FeatureCollection", Features: []geoFeature{
		{Type: "Feature", Geometry: mustJSON(map[string]any{"type": "Point", "coordinates": []float64{lng, lat}}), Properties: map[string]any{"code": "12345"}},
		{Type: "Feature", Geometry: mustJSON(map[string]any{"type": "Point", "coordinates": []float64{lng, lat}}), Properties: map[string]any{"code": "4313029999000001"}},
		{Type: "Feature", Geometry: mustJSON(map[string]any{"type": "Point", "coordinates": []float64{lng, lat}}), Properties: map[string]any{"code": "4313030105000001"}},
		{Type: "Feature", Geometry: mustJSON(map[string]any{"type": "LineString", "coordinates": [][]float64{{lng, lat}}}), Properties: map[string]any{"code": "4313020105000777", "maintainer": "某物业公司"}},
	}}
	r = h.do("POST", "/api/v1/admin/components/import", admin, mustJSON(bad))
	var rep struct {
		Report struct {
			Features []struct {
				Problems []struct {
					Code, Severity, Message string
					MessageEn               string `json:"message_en"`
				}
			}
		}
	}
	json.Unmarshal(r.raw, &rep)
	want := [][]string{{"component_code_invalid"}, {"component_class_unknown"}, {"code_admin_mismatch"}, {"point_invalid", "maintainer_not_unit"}}
	if r.status != 422 || len(rep.Report.Features) != 4 {
		t.Fatalf("bad components: %d %s", r.status, r.raw)
	}
	for i, w := range want {
		var codes []string
		for _, p := range rep.Report.Features[i].Problems {
			codes = append(codes, p.Code)
			if p.Message == "" || p.MessageEn == "" || strings.Contains(p.Message+p.MessageEn, "%!") {
				t.Errorf("%s: messages %q / %q", p.Code, p.Message, p.MessageEn)
			}
		}
		if strings.Join(codes, ",") != strings.Join(w, ",") {
			t.Errorf("feature %d: %v, want %v", i, codes, w)
		}
	}
	if r := h.do("GET", "/api/v1/geo/components?lat=27.7&lng=112", "", nil); r.status != 401 {
		t.Errorf("anonymous component lookup: %d", r.status)
	}
}

var doorNumber = regexp.MustCompile(`^(.+?(?:路|街|大道|巷))(\d+)号$`)

func chineseNumber(n int) string {
	d := []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n < 10:
		return d[n]
	case n < 20:
		return "十" + strings.TrimPrefix(d[n%10], "零")
	case n < 100:
		s := d[n/10] + "十"
		if n%10 != 0 {
			s += d[n%10]
		}
		return s
	}
	s := d[n/100] + "百"
	switch r := n % 100; {
	case r == 0:
	case r < 10:
		s += "零" + d[r]
	default:
		s += d[r/10] + "十"
		if r%10 != 0 {
			s += d[r%10]
		}
	}
	return s
}

func searchAddr(t *testing.T, h *harness, token, q string) []map[string]any {
	t.Helper()
	r := h.do("GET", "/api/v1/geo/addresses?q="+url.QueryEscape(q), token, nil)
	if r.status != 200 {
		t.Fatalf("search %q: %d %s", q, r.status, r.raw)
	}
	var out []map[string]any
	for _, a := range r.body["addresses"].([]any) {
		out = append(out, a.(map[string]any))
	}
	return out
}

// TestAddressesAPI: fuzzy lookup from what a caller says, reverse lookup
// from a point, and import.
func TestAddressesAPI(t *testing.T) {
	h := newHarness(t, t.TempDir())
	op, admin := h.login("operator1"), h.login("admin")
	if n := h.app.Service.Ref().AddressCount(); n < 2000 {
		t.Fatalf("the demo register has %d addresses, want a few thousand", n)
	}
	// A door-number address on 乐坪大道.
	var target map[string]any
	for _, a := range searchAddr(t, h, op, "乐坪大道") {
		full := a["address"].(string)
		short := strings.TrimPrefix(strings.TrimPrefix(full, a["street"].(string)), fmt.Sprint(a["community"]))
		if m := doorNumber.FindStringSubmatch(short); m != nil {
			target = a
			target["short"], target["road"], target["no"] = short, m[1], m[2]
			break
		}
	}
	if target == nil {
		t.Fatal("no door-number address on 乐坪大道")
	}
	id := target["id"]
	n, _ := strconv.Atoi(target["no"].(string))
	for _, q := range []string{
		target["address"].(string),                                         // word for word
		target["short"].(string),                                           // without street and community
		"湖南省娄底市娄星区" + target["short"].(string),                             // with province, city and district
		target["road"].(string) + chineseNumber(n) + "号",                   // the number said in Chinese
		" " + target["road"].(string) + "，" + target["no"].(string) + " 号", // punctuation and spaces
	} {
		hits := searchAddr(t, h, op, q)
		if len(hits) == 0 || hits[0]["id"] != id {
			var got []any
			for _, x := range hits {
				got = append(got, x["address"], x["score"])
			}
			t.Errorf("%q: first %v, want %v", q, got, target["address"])
		}
	}
	// Results are ranked.
	hits := searchAddr(t, h, op, "乐坪大道")
	for i := 1; i < len(hits); i++ {
		if hits[i]["score"].(float64) > hits[i-1]["score"].(float64) {
			t.Fatalf("not ranked: %v", hits)
		}
	}
	if len(searchAddr(t, h, op, "完全不相干的火星文字")) != 0 {
		t.Error("nonsense matched")
	}

	// Reverse: the point of the address gives the address back.
	pt := target["point"].(map[string]any)
	lat, lng := pt["lat"].(float64), pt["lng"].(float64)
	r := h.do("GET", fmt.Sprintf("/api/v1/geo/reverse?lat=%s&lng=%s", ff(lat), ff(lng)), op, nil)
	if a, _ := r.body["address"].(map[string]any); r.status != 200 || a["id"] != id {
		t.Fatalf("reverse: %d %s", r.status, r.raw)
	}
	glat, glng := geo.FromWGS84(lat, lng, geo.GCJ02)
	r = h.do("GET", fmt.Sprintf("/api/v1/geo/reverse?lat=%s&lng=%s&coord=gcj02&out=gcj02&limit=3", ff(glat), ff(glng)), op, nil)
	a, _ := r.body["address"].(map[string]any)
	if a["id"] != id || len(r.body["addresses"].([]any)) != 3 {
		t.Fatalf("reverse in GCJ-02: %s", r.raw)
	}
	if p := a["point"].(map[string]any); math.Abs(p["lat"].(float64)-glat) > 1e-6 || p["coord"] != "gcj02" {
		t.Errorf("reverse point %v, want %v", p, glat)
	}
	if r := h.do("GET", "/api/v1/geo/reverse?lat=27.0&lng=111.0", op, nil); r.status != 200 || r.body["address"] != nil {
		t.Errorf("reverse far away: %s", r.raw)
	}

	// Import (points in GCJ-02, as a map app exports them).
	wlat, wlng := lat+0.0003, lng+0.0003
	ilat, ilng := geo.FromWGS84(wlat, wlng, geo.GCJ02)
	file := geoFC{Type: "FeatureCollection", Features: []geoFeature{{Type: "Feature",
		Geometry:   mustJSON(map[string]any{"type": "Point", "coordinates": []float64{ilng, ilat}}),
		Properties: map[string]any{"address": "乐坪街道测试路8号", "alias": "娄星区第九十九中学"}}}}
	r = h.do("POST", "/api/v1/admin/addresses/import?coord=gcj02", admin, mustJSON(file))
	if r.status != 200 || num(r.body["created"]) != 1 {
		t.Fatalf("address import: %d %s", r.status, r.raw)
	}
	hits = searchAddr(t, h, op, "九十九中学")
	if len(hits) == 0 || hits[0]["address"] != "乐坪街道测试路8号" {
		t.Fatalf("imported address by alias: %v", hits)
	}
	if p := hits[0]["point"].(map[string]any); math.Abs(p["lat"].(float64)-wlat) > 1e-7 || math.Abs(p["lng"].(float64)-wlng) > 1e-7 || hits[0]["grid"] == nil {
		t.Errorf("imported point %v, want %v,%v in a grid", p, wlat, wlng)
	}
	r = h.do("POST", "/api/v1/admin/addresses/import", admin, `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null,"properties":{}}]}`)
	if r.status != 422 || !strings.Contains(string(r.raw), "address_missing") || !strings.Contains(string(r.raw), "point_invalid") {
		t.Errorf("bad address file: %d %s", r.status, r.raw)
	}
	if r := h.do("GET", "/api/v1/geo/addresses?q=x", "", nil); r.status != 401 {
		t.Errorf("anonymous search: %d", r.status)
	}
	if r := h.do("GET", "/api/v1/geo/addresses?q=", op, nil); r.status != 422 {
		t.Errorf("empty query: %d", r.status)
	}
}
