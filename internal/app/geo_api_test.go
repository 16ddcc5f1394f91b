package app_test

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/yiwang-gov/yiwang/internal/geo"
)

// geoFC is a GeoJSON FeatureCollection as the tests read and write it.
type geoFC struct {
	Type     string       `json:"type"`
	Features []geoFeature `json:"features"`
}

type geoFeature struct {
	Type       string          `json:"type"`
	ID         any             `json:"id,omitempty"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

func geoExport(t *testing.T, h *harness) geoFC {
	t.Helper()
	r := h.do("GET", "/api/v1/grids", "", nil)
	var fc geoFC
	if r.status != 200 || json.Unmarshal(r.raw, &fc) != nil || fc.Type != "FeatureCollection" {
		t.Fatalf("GET /api/v1/grids: %d", r.status)
	}
	return fc
}

func geoImport(t *testing.T, h *harness, token string, fc any, query string) resp {
	t.Helper()
	b, err := json.Marshal(fc)
	if err != nil {
		t.Fatal(err)
	}
	return h.do("POST", "/api/v1/admin/grids/import"+query, token, b)
}

func mustMP(t *testing.T, raw json.RawMessage) orb.MultiPolygon {
	t.Helper()
	mp, err := geo.ParseGeometry(raw)
	if err != nil {
		t.Fatalf("geometry %s: %v", raw, err)
	}
	return mp
}

// sameFeatures compares two collections as the round trip promises: the
// same codes, each with the same name, community, street, geometry type
// and coordinates (exactly).
func sameFeatures(t *testing.T, got, want geoFC) {
	t.Helper()
	index := func(fc geoFC) map[string]geoFeature {
		m := map[string]geoFeature{}
		for _, f := range fc.Features {
			m[fmt.Sprint(f.Properties["code"])] = f
		}
		return m
	}
	g, w := index(got), index(want)
	if len(g) != len(w) {
		t.Fatalf("%d features exported, %d imported", len(g), len(w))
	}
	for code, wf := range w {
		gf, ok := g[code]
		if !ok {
			t.Fatalf("grid %s missing from the export", code)
		}
		for _, p := range []string{"name", "community", "street"} {
			if gf.Properties[p] != wf.Properties[p] {
				t.Errorf("grid %s: %s %v, imported %v", code, p, gf.Properties[p], wf.Properties[p])
			}
		}
		var gt, wt struct{ Type string }
		json.Unmarshal(gf.Geometry, &gt)
		json.Unmarshal(wf.Geometry, &wt)
		if gt.Type != wt.Type {
			t.Errorf("grid %s: geometry type %s, imported %s", code, gt.Type, wt.Type)
		}
		gm, wm := mustMP(t, gf.Geometry), mustMP(t, wf.Geometry)
		if len(gm) != len(wm) {
			t.Fatalf("grid %s: %d polygons, imported %d", code, len(gm), len(wm))
		}
		for i := range wm {
			if len(gm[i]) != len(wm[i]) {
				t.Fatalf("grid %s: ring count differs", code)
			}
			for j := range wm[i] {
				if !slices.Equal(gm[i][j], wm[i][j]) {
					t.Errorf("grid %s polygon %d ring %d differs", code, i, j)
				}
			}
		}
	}
}

// TestGridImportRoundTrip: export → import is a no-op; a changed file
// imports, exports equal to itself, and imports again as a no-op; an
// invalid file is refused with every problem, in both languages, and
// writes nothing.
func TestGridImportRoundTrip(t *testing.T) {
	h := newHarness(t, t.TempDir())
	admin := h.login("admin")
	fc := geoExport(t, h)

	r := geoImport(t, h, admin, fc, "")
	if r.status != 200 || r.body["status"] != "unchanged" || num(r.body["unchanged"]) != int64(len(fc.Features)) {
		t.Fatalf("re-import of the export: %d %s", r.status, r.raw)
	}

	// Change a grid (its name and a MultiPolygon with a hole) and add one.
	in := fc
	f0 := in.Features[0]
	mp := mustMP(t, f0.Geometry)
	ring := mp[0][0]
	var cx, cy float64
	for _, p := range ring[:len(ring)-1] {
		cx, cy = cx+p[0]/float64(len(ring)-1), cy+p[1]/float64(len(ring)-1)
	}
	hole := orb.Ring{}
	for i := len(ring) - 1; i >= 0; i-- {
		p := ring[i]
		hole = append(hole, orb.Point{cx + (p[0]-cx)*0.01, cy + (p[1]-cy)*0.01}) // 0.01% of the area: under the gap threshold
	}
	geom, _ := json.Marshal(map[string]any{"type": "MultiPolygon", "coordinates": orb.MultiPolygon{{ring, hole}}})
	in.Features[0].Geometry = geom
	in.Features[0].Properties["name"] = fmt.Sprint(f0.Properties["name"], "（调整）")
	far := orb.MultiPolygon{{{}}}
	for _, p := range ring {
		far[0][0] = append(far[0][0], orb.Point{p[0] + 0.3, p[1]})
	}
	newGeom, _ := json.Marshal(map[string]any{"type": "Polygon", "coordinates": far[0]})
	code := fmt.Sprint(f0.Properties["code"])
	in.Features = append(in.Features, geoFeature{Type: "Feature", Geometry: newGeom, Properties: map[string]any{
		"code": code[:12] + "77", "name": "新增网格", "community": f0.Properties["community"], "street": f0.Properties["street"]}})
	r = geoImport(t, h, admin, in, "?source=test.geojson")
	if r.status != 200 || r.body["status"] != "imported" || num(r.body["updated"]) != 1 || num(r.body["created"]) != 1 {
		t.Fatalf("import of a changed file: %d %s", r.status, r.raw)
	}
	out := geoExport(t, h)
	sameFeatures(t, out, in)
	r = geoImport(t, h, admin, out, "")
	if r.status != 200 || r.body["status"] != "unchanged" {
		t.Fatalf("import → export → import: %d %s", r.status, r.raw)
	}
	// The changed grid kept its org id and has two versions.
	id := num(f0.ID)
	var vs struct{ Versions []map[string]any }
	rv := h.do("GET", fmt.Sprintf("/api/v1/grids/%d/versions", id), "", nil)
	json.Unmarshal(rv.raw, &vs)
	if rv.status != 200 || len(vs.Versions) != 2 || vs.Versions[1]["source"] != "test.geojson" || vs.Versions[0]["valid_to"] == nil {
		t.Fatalf("versions: %d %s", rv.status, rv.raw)
	}
	// ETag: unchanged grids answer 304.
	etag := h.do("GET", "/api/v1/grids", "", nil).header.Get("ETag")
	if r := h.do("GET", "/api/v1/grids", "", nil, "If-None-Match", etag); etag == "" || r.status != 304 {
		t.Errorf("If-None-Match %q: %d", etag, r.status)
	}

	// An invalid file: everything wrong is reported, nothing written.
	before := geoExport(t, h)
	bad := geoFC{Type: "FeatureCollection", Features: []geoFeature{
		{Type: "Feature", Geometry: newGeom, Properties: map[string]any{"code": "12345", "name": "坏编码"}},
		{Type: "Feature", Geometry: out.Features[1].Geometry, Properties: map[string]any{"code": code[:12] + "88", "name": "重叠网格"}},
	}}
	r = h.do("POST", "/api/v1/admin/grids/import", admin, mustJSON(bad), "Accept-Language", "en")
	if r.status != 422 || !strings.Contains(string(r.raw), "nothing was written") {
		t.Fatalf("invalid import: %d %s", r.status, r.raw)
	}
	var rep struct {
		Report struct {
			Status   string
			Features []struct {
				Problems []struct {
					Code, Message string
					MessageEn     string `json:"message_en"`
				} `json:"problems"`
			}
		}
	}
	json.Unmarshal(r.raw, &rep)
	if rep.Report.Status != "invalid" || len(rep.Report.Features) != 2 ||
		rep.Report.Features[0].Problems[0].Code != "code_invalid" || rep.Report.Features[1].Problems[0].Code != "overlap" {
		t.Fatalf("report: %s", r.raw)
	}
	if p := rep.Report.Features[0].Problems[0]; !strings.Contains(p.Message, "应为 14 位数字") || !strings.Contains(p.MessageEn, "must be 14 digits") {
		t.Errorf("messages %q / %q", p.Message, p.MessageEn)
	}
	sameFeatures(t, geoExport(t, h), before)

	// Only administrators import.
	if r := geoImport(t, h, h.login("dispatcher"), fc, ""); r.status != 403 {
		t.Errorf("dispatcher import: %d", r.status)
	}
	if r := geoImport(t, h, "", fc, ""); r.status != 401 {
		t.Errorf("anonymous import: %d", r.status)
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// geoCentroid is the vertex mean of a feature's first ring (inside: the
// demo's grids are convex).
func geoCentroid(t *testing.T, f geoFeature) (lat, lng float64) {
	ring := mustMP(t, f.Geometry)[0][0]
	ring = ring[:len(ring)-1]
	for _, p := range ring {
		lng, lat = lng+p[0]/float64(len(ring)), lat+p[1]/float64(len(ring))
	}
	return lat, lng
}

func locate(t *testing.T, h *harness, lat, lng float64, extra string) map[string]any {
	t.Helper()
	r := h.do("GET", fmt.Sprintf("/api/v1/geo/locate?lat=%s&lng=%s%s", ff(lat), ff(lng), extra), "", nil)
	if r.status != 200 {
		t.Fatalf("locate %v,%v%s: %d %s", lat, lng, extra, r.status, r.raw)
	}
	return r.body
}

func ff(x float64) string { return fmt.Sprintf("%.15g", x) }

func gridCode(m map[string]any) string {
	g, _ := m["grid"].(map[string]any)
	return fmt.Sprint(g["code"])
}

// TestLocateAPI: inside, shared edges, tolerance, fallback and coordinate
// systems through GET /api/v1/geo/locate.
func TestLocateAPI(t *testing.T) {
	h := newHarness(t, t.TempDir())
	fc := geoExport(t, h)

	// Inside a grid.
	f := fc.Features[40]
	lat, lng := geoCentroid(t, f)
	m := locate(t, h, lat, lng, "")
	if gridCode(m) != f.Properties["code"] || m["fallback"] != false || m["exact"] != true ||
		m["community"] != f.Properties["community"] || m["street"] != f.Properties["street"] || m["district"] != "娄星区" || m["unit"] != f.Properties["street"] {
		t.Fatalf("centroid of %v: %v", f.Properties["code"], m)
	}

	// A point on an edge shared by two grids goes to exactly one of them,
	// the same every time and the same as a point nudged up and right
	// (the half-open rule).
	a, b, p, q := sharedEdge(t, fc)
	mid := orb.Point{(p[0] + q[0]) / 2, (p[1] + q[1]) / 2}
	got := gridCode(locate(t, h, mid[1], mid[0], ""))
	if got != a && got != b {
		t.Fatalf("midpoint of the edge between %s and %s went to %s", a, b, got)
	}
	for range 3 {
		if again := gridCode(locate(t, h, mid[1], mid[0], "")); again != got {
			t.Fatalf("shared edge: %s, then %s", got, again)
		}
	}
	if nudged := gridCode(locate(t, h, mid[1]+1e-11, mid[0]+1e-11, "")); nudged != got {
		t.Errorf("shared edge point went to %s, the point nudged north-east to %s", got, nudged)
	}
	// A shared vertex too.
	vg := gridCode(locate(t, h, p[1], p[0], ""))
	if vg == "<nil>" || gridCode(locate(t, h, p[1], p[0], "")) != vg {
		t.Errorf("shared vertex: %s", vg)
	}

	// Just outside the district (west of its westmost vertex): within the
	// 30 m tolerance the nearest grid, beyond it 属地兜底 to the district.
	west := westmost(t, fc)
	kx := 111320 * math.Cos(west[1]*math.Pi/180)
	m = locate(t, h, west[1], west[0]-20/kx, "")
	if m["grid"] == nil || m["fallback"] != false || m["exact"] != false || math.Abs(m["distance_m"].(float64)-20) > 0.5 {
		t.Fatalf("20 m outside: %v", m)
	}
	m = locate(t, h, west[1], west[0]-60/kx, "")
	if m["grid"] != nil || m["fallback"] != true || m["unit"] != "娄星区" || m["community"] != nil {
		t.Fatalf("60 m outside: %v", m)
	}
	// The tolerance is configurable.
	admin := h.login("admin")
	if r := h.do("PUT", "/api/v1/admin/geo/config", admin, map[string]any{"tolerance_m": 100}); r.status != 200 || r.body["tolerance_m"] != 100.0 {
		t.Fatalf("set tolerance: %d %s", r.status, r.raw)
	}
	if m = locate(t, h, west[1], west[0]-60/kx, ""); m["fallback"] != false || m["tolerance_m"] != 100.0 {
		t.Errorf("60 m outside with 100 m tolerance: %v", m)
	}
	if r := h.do("PUT", "/api/v1/admin/geo/config", h.login("operator1"), map[string]any{"tolerance_m": 5}); r.status != 403 {
		t.Errorf("operator changed the tolerance: %d", r.status)
	}
	if r := h.do("PUT", "/api/v1/admin/geo/config", admin, map[string]any{"tolerance_m": -1}); r.status != 422 {
		t.Errorf("negative tolerance: %d", r.status)
	}
	h.do("PUT", "/api/v1/admin/geo/config", admin, map[string]any{})

	// Coordinate systems: the same place given in GCJ-02 or BD-09 locates
	// to the same grid; out= converts the point returned.
	for _, k := range []int{3, 77, 150, 301} {
		f := fc.Features[k]
		lat, lng := geoCentroid(t, f)
		for _, sys := range []geo.CoordSys{geo.GCJ02, geo.BD09} {
			clat, clng := geo.FromWGS84(lat, lng, sys)
			m := locate(t, h, clat, clng, "&coord="+string(sys))
			if gridCode(m) != f.Properties["code"] {
				t.Errorf("%s point of %v located to %s", sys, f.Properties["code"], gridCode(m))
			}
			pt := m["point"].(map[string]any)
			if pt["coord"] != "wgs84" || math.Abs(pt["lat"].(float64)-lat) > 1e-6 || math.Abs(pt["lng"].(float64)-lng) > 1e-6 {
				t.Errorf("%s → wgs84: %v, want %v,%v", sys, pt, lat, lng)
			}
			m = locate(t, h, clat, clng, "&coord="+string(sys)+"&out="+string(sys))
			if pt := m["point"].(map[string]any); math.Abs(pt["lat"].(float64)-clat) > 1e-6 || math.Abs(pt["lng"].(float64)-clng) > 1e-6 || pt["coord"] != string(sys) {
				t.Errorf("%s round trip: %v, want %v,%v", sys, pt, clat, clng)
			}
		}
		// Taken as WGS-84, the GCJ-02 numbers are hundreds of metres off.
		clat, clng := geo.FromWGS84(lat, lng, geo.GCJ02)
		if geo.DistanceM(lat, lng, clat, clng) < 100 {
			t.Errorf("GCJ-02 offset only %.0f m", geo.DistanceM(lat, lng, clat, clng))
		}
	}

	// Bad input.
	for q, field := range map[string]string{"lat=abc&lng=112": "lat", "lat=27.7&lng=200": "lng", "lat=27.7&lng=112&coord=mars": "coord",
		"lat=27.7&lng=112&out=xy": "out", "lng=112": "lat", "lat=27.7&lng=112&category=nope": "category"} {
		r := h.do("GET", "/api/v1/geo/locate?"+q, "", nil)
		fields, _ := r.body["error"].(map[string]any)["fields"].(map[string]any)
		if r.status != 422 || fields[field] == nil {
			t.Errorf("%s: %d %s", q, r.status, r.raw)
		}
	}
}

// sharedEdge finds two grids with an edge in common (same two vertices).
func sharedEdge(t *testing.T, fc geoFC) (a, b string, p, q orb.Point) {
	t.Helper()
	owner := map[[2]orb.Point]string{}
	for _, f := range fc.Features {
		code := fmt.Sprint(f.Properties["code"])
		r := mustMP(t, f.Geometry)[0][0]
		for i := 0; i+1 < len(r); i++ {
			e := [2]orb.Point{r[i], r[i+1]}
			if other, ok := owner[[2]orb.Point{e[1], e[0]}]; ok && other != code {
				return other, code, e[0], e[1]
			}
			owner[e] = code
		}
	}
	t.Fatal("no shared edge in the demo grids")
	return
}

func westmost(t *testing.T, fc geoFC) orb.Point {
	best := orb.Point{math.Inf(1), 0}
	for _, f := range fc.Features {
		for _, p := range mustMP(t, f.Geometry)[0][0] {
			if p[0] < best[0] {
				best = p
			}
		}
	}
	return best
}
