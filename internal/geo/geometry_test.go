package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"
	"pgregory.net/rapid"
)

func TestParseGeometry(t *testing.T) {
	cases := []struct {
		name, in string
		want     orb.MultiPolygon
	}{
		{"polygon", `{"type":"Polygon","coordinates":[[[112,27],[113,27],[113,28],[112,27]]]}`,
			orb.MultiPolygon{{{{112, 27}, {113, 27}, {113, 28}, {112, 27}}}}},
		{"polygon with hole, altitude dropped",
			`{"type":"Polygon","coordinates":[[[0,0,5],[10,0,5],[10,10,5],[0,10,5],[0,0,5]],[[2,2],[2,3],[3,3],[2,2]]]}`,
			orb.MultiPolygon{{{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, 0}}, {{2, 2}, {2, 3}, {3, 3}, {2, 2}}}}},
		{"multipolygon", `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,6],[5,5]]]]}`,
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, {{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}}},
		{"feature wrapper", `{"type":"Feature","properties":{"name":"网格1"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}`,
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}},
		{"unclosed ring kept as is", `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}`,
			orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}}}}},
		{"empty polygon", `{"type":"Polygon","coordinates":[]}`, orb.MultiPolygon{{}}},
	}
	for _, c := range cases {
		got, err := ParseGeometry([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !got.Equal(c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestParseGeometryErrors(t *testing.T) {
	cases := map[string]string{
		`not json`:                             "invalid_json",
		`{"type":"Point","coordinates":[1,2]}`: "unsupported_type",
		`{"type":"polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`: "unsupported_type", // GeoJSON types are case-sensitive
		`{"type":"Feature","geometry":null}`:                           "unsupported_type",
		`{"type":"Polygon"}`:                                           "invalid_position",
		`{"type":"Polygon","coordinates":null}`:                        "invalid_position",
		`{"type":"Polygon","coordinates":[[[0],[1,0],[1,1],[0,0]]]}`:   "invalid_position",
		`{"type":"Polygon","coordinates":[[[null,0],[1,0],[1,1]]]}`:    "invalid_position",
		`{"type":"Polygon","coordinates":[[["1",0],[1,0],[1,1]]]}`:     "invalid_position",
		`{"type":"Polygon","coordinates":[[0,0],[1,0]]}`:               "invalid_position",
		`{"type":"MultiPolygon","coordinates":[[[0,0],[1,0],[1,1]]]}`:  "invalid_position",
	}
	for in, code := range cases {
		_, err := ParseGeometry([]byte(in))
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: err = %v, want *ParseError", in, err)
			continue
		}
		if pe.Code != code || pe.Message == "" || pe.MessageEn == "" || !strings.HasPrefix(pe.Error(), "geo: ") {
			t.Errorf("%s: got %+v, want code %s", in, pe, code)
		}
	}
}

// sq is a closed CCW square ring.
func sq(x0, y0, x1, y1 float64) orb.Ring { return rect(x0, y0, x1, y1)[0][0] }

func TestValidateValid(t *testing.T) {
	valid := map[string]orb.MultiPolygon{
		"square": {{sq(0, 0, 1, 1)}},
		"clockwise square (orientation not enforced)": {{orb.Ring{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}}}},
		"with hole":                       {{sq(0, 0, 10, 10), sq(2, 2, 3, 3)}},
		"hole touching shell at a vertex": {{sq(0, 0, 10, 10), orb.Ring{{0, 5}, {3, 4}, {3, 6}, {0, 5}}}},
		"two holes touching at a vertex":  {{sq(0, 0, 10, 10), sq(2, 2, 4, 4), sq(4, 4, 6, 6)}},
		"collinear extra vertex":          {{orb.Ring{{0, 0}, {0.5, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}},
		"repeated consecutive point":      {{orb.Ring{{0, 0}, {1, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}},
		"multipolygon sharing an edge":    {{sq(0, 0, 1, 1)}, {sq(1, 0, 2, 1)}},
		"multipolygon disjoint":           {{sq(0, 0, 1, 1)}, {sq(5, 5, 6, 6)}},
		"concave":                         {{orb.Ring{{0, 0}, {4, 0}, {4, 4}, {2, 1}, {0, 4}, {0, 0}}}},
	}
	for name, mp := range valid {
		if p := Validate(mp); p != nil {
			t.Errorf("%s: unexpected problems %+v", name, p)
		}
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for _, f := range gridMesh(rng, 10, 10, 100, pilotLat, pilotLng) {
		if p := Validate(f.Geom); p != nil {
			t.Fatalf("mesh cell %d: %+v", f.ID, p)
		}
	}
}

func TestValidateProblems(t *testing.T) {
	type want struct {
		code string
		ring int
		zh   string // substring of Message
		en   string // substring of MessageEn
	}
	cases := []struct {
		name string
		mp   orb.MultiPolygon
		want []want
	}{
		{"empty", orb.MultiPolygon{}, []want{{"empty_geometry", 0, "几何图形为空", "geometry is empty"}}},
		{"polygon without rings", orb.MultiPolygon{{}}, []want{{"empty_polygon", 0, "第1个多边形没有任何环", "polygon 1 has no rings"}}},
		{"hole not closed", orb.MultiPolygon{{sq(0, 0, 10, 10), orb.Ring{{2, 2}, {2, 3}, {3, 3}, {3, 2}}}},
			[]want{{"ring_not_closed", 2, "第2个环未闭合（首尾坐标不同）", "ring 2 is not closed (first and last points differ)"}}},
		{"too few points", orb.MultiPolygon{{orb.Ring{{0, 0}, {1, 0}, {0, 0}}}},
			[]want{{"too_few_points", 1, "第1个环的点数不足", "ring 1 has too few points"}}},
		{"too few after dedupe, not closed", orb.MultiPolygon{{orb.Ring{{0, 0}, {1, 1}, {1, 1}}}},
			[]want{{"ring_not_closed", 1, "第1个环未闭合", "ring 1 is not closed"}, {"too_few_points", 1, "点数不足", "too few points"}}},
		{"invalid coordinate", orb.MultiPolygon{{orb.Ring{{0, 0}, {181, 0}, {1, 1}, {0, 0}}}},
			[]want{{"invalid_coordinate", 1, "第1个环的第2个点坐标无效", "ring 1, point 2 has an invalid coordinate"}}},
		{"NaN coordinate", orb.MultiPolygon{{orb.Ring{{0, 0}, {1, math.NaN()}, {1, 1}, {0, 0}}}},
			[]want{{"invalid_coordinate", 1, "坐标无效", "invalid coordinate"}}},
		{"bow tie", orb.MultiPolygon{{orb.Ring{{0, 0}, {1, 1}, {1, 0}, {0, 1}, {0, 0}}}},
			[]want{{"self_intersection", 1, "第1个环自相交（约在 经度0.500000, 纬度0.500000 附近）", "ring 1 intersects itself (near lng 0.500000, lat 0.500000)"}}},
		{"figure eight touching at a vertex", orb.MultiPolygon{{orb.Ring{{0, 0}, {2, 0}, {1, 1}, {2, 2}, {0, 2}, {1, 1}, {0, 0}}}},
			[]want{{"self_intersection", 1, "第1个环自相交", "ring 1 intersects itself"}}},
		{"spike folding back", orb.MultiPolygon{{orb.Ring{{0, 0}, {2, 0}, {3, 0}, {2, 0}, {2, 2}, {0, 2}, {0, 0}}}},
			[]want{{"self_intersection", 1, "自相交", "intersects itself"}}},
		{"hole crossing shell", orb.MultiPolygon{{sq(0, 0, 10, 10), sq(8, 8, 12, 12)}},
			[]want{{"rings_intersect", 2, "第1个环与第2个环相交", "ring 1 crosses ring 2"}}},
		{"hole sharing a shell edge", orb.MultiPolygon{{sq(0, 0, 10, 10), sq(0, 2, 3, 3)}},
			[]want{{"rings_intersect", 2, "相交", "crosses"}}},
		{"hole outside shell", orb.MultiPolygon{{sq(0, 0, 10, 10), sq(20, 20, 21, 21)}},
			[]want{{"hole_outside_shell", 2, "第2个环（内洞）不在外环（第1个环）之内", "ring 2 (a hole) is not inside its outer ring (ring 1)"}}},
		{"hole meeting the shell only at vertices, partly outside", orb.MultiPolygon{{sq(0, 0, 10, 10), orb.Ring{{10, 10}, {12, 5}, {10, 0}, {5, 5}, {10, 10}}}},
			[]want{{"hole_outside_shell", 2, "不在外环", "not inside"}}},
		{"nested holes", orb.MultiPolygon{{sq(0, 0, 10, 10), sq(1, 1, 9, 9), sq(2, 2, 3, 3)}},
			[]want{{"holes_overlap", 3, "第3个环（内洞）与另一个内洞（第2个环）重叠或位于其内", "ring 3 (a hole) overlaps or lies inside another hole (ring 2)"}}},
		{"overlapping parts", orb.MultiPolygon{{sq(0, 0, 0.001, 0.001)}, {sq(0.0005, 0, 0.0015, 0.001)}},
			[]want{{"polygons_overlap", 2, "第1个多边形与第2个多边形重叠", "polygon 1 overlaps polygon 2"}}},
		{"ring numbering across polygons", orb.MultiPolygon{{sq(0, 0, 1, 1), sq(0.2, 0.2, 0.3, 0.3)}, {orb.Ring{{5, 5}, {6, 5}, {6, 6}}}},
			[]want{{"ring_not_closed", 3, "第3个环未闭合", "ring 3 is not closed"}}},
	}
	for _, c := range cases {
		got := Validate(c.mp)
		if len(got) != len(c.want) {
			t.Errorf("%s: got %d problems %+v, want %d", c.name, len(got), got, len(c.want))
			continue
		}
		for i, w := range c.want {
			g := got[i]
			if g.Code != w.code || g.Ring != w.ring || !strings.Contains(g.Message, w.zh) || !strings.Contains(g.MessageEn, w.en) {
				t.Errorf("%s: problem %d = %+v, want %+v", c.name, i, g, w)
			}
		}
	}
}

// Area of the ellipsoidal quadrangle between two meridians and two
// parallels, in closed form (authalic latitude), as an independent check.
func quadrangleArea(lat0, lat1, dLng float64) float64 {
	e := math.Sqrt(wgs84E2)
	b2 := wgs84A * wgs84A * (1 - wgs84E2)
	q := func(lat float64) float64 {
		s := math.Sin(lat * math.Pi / 180)
		return s/(1-wgs84E2*s*s) + math.Log((1+e*s)/(1-e*s))/(2*e)
	}
	return b2 / 2 * dLng * math.Pi / 180 * (q(lat1) - q(lat0))
}

func TestAreaM2(t *testing.T) {
	for _, c := range []struct {
		lat, size, tol float64
	}{
		{pilotLat, 0.001, 1e-6}, // ~100 m grid
		{pilotLat, 0.01, 1e-6},
		{pilotLat, 0.1, 1e-4},
		{0, 1, 1e-3},
		{50, 0.05, 1e-5},
	} {
		mp := rect(pilotLng, c.lat, pilotLng+c.size, c.lat+c.size)
		got := AreaM2(mp)
		want := quadrangleArea(c.lat, c.lat+c.size, c.size)
		if rel := math.Abs(got-want) / want; rel > c.tol {
			t.Errorf("AreaM2(%g° square at %g°) = %.3f, closed form %.3f (rel %.2g)", c.size, c.lat, got, want, rel)
		}
		// orb's spherical area (R = 6378137) agrees within the
		// sphere/ellipsoid difference (< 1%).
		if s := orbgeo.Area(mp); math.Abs(s-got)/got > 0.01 {
			t.Errorf("orb spherical area %.1f vs ours %.1f", s, got)
		}
	}
	a := AreaM2(squareM(pilotLat, pilotLng, 100))
	if math.Abs(a-10000) > 1 {
		t.Errorf("100 m square = %.3f m²", a)
	}
	holed := orb.MultiPolygon{{sq(0, 0, 0.002, 0.002), sq(0.0005, 0.0005, 0.0015, 0.0015)}}
	full, hole := AreaM2(orb.MultiPolygon{{holed[0][0]}}), AreaM2(orb.MultiPolygon{{holed[0][1]}})
	if got := AreaM2(holed); math.Abs(got-(full-hole)) > 1e-6*full {
		t.Errorf("hole not subtracted: %.3f vs %.3f", got, full-hole)
	}
	// Orientation, closure and MultiPolygon summing.
	cw := orb.MultiPolygon{{orb.Ring{{0, 0}, {0, 0.001}, {0.001, 0.001}, {0.001, 0}}}}
	if got, want := AreaM2(cw), AreaM2(rect(0, 0, 0.001, 0.001)); math.Abs(got-want) > 1e-6 {
		t.Errorf("clockwise unclosed %.3f vs %.3f", got, want)
	}
	two := orb.MultiPolygon{rect(0, 0, 0.001, 0.001)[0], rect(1, 0, 1.001, 0.001)[0]}
	if got, want := AreaM2(two), 2*AreaM2(rect(0, 0, 0.001, 0.001)); math.Abs(got-want) > 1e-3 {
		t.Errorf("multipolygon %.3f vs %.3f", got, want)
	}
	if AreaM2(nil) != 0 {
		t.Error("empty area")
	}
}

func TestOverlapArea(t *testing.T) {
	g := squareM(pilotLat, pilotLng, 100)
	kx, ky := metersPerDegree(pilotLat)
	shift := func(mp orb.MultiPolygon, dx, dy float64) orb.MultiPolygon {
		out := mp.Clone()
		for _, p := range out {
			for _, r := range p {
				for i := range r {
					r[i][0] += dx / kx
					r[i][1] += dy / ky
				}
			}
		}
		return out
	}
	reverse := func(mp orb.MultiPolygon) orb.MultiPolygon {
		out := mp.Clone()
		for _, p := range out {
			for _, r := range p {
				slices.Reverse(r)
			}
		}
		return out
	}
	cases := []struct {
		name string
		a, b orb.MultiPolygon
		want float64
	}{
		{"identical", g, g, 10000},
		{"identical, opposite orientation", g, reverse(g), 10000},
		{"shared edge", g, shift(g, 100, 0), 0},
		{"shared vertex", g, shift(g, 100, 100), 0},
		{"disjoint", g, shift(g, 300, 0), 0},
		{"half", g, shift(g, 50, 0), 5000},
		{"quarter", g, shift(g, 50, 50), 2500},
		{"sliver 0.5 m", g, shift(g, 99.5, 0), 50},
		{"contained", g, squareM(pilotLat+20/ky, pilotLng+20/kx, 10), 100},
		{"inside the hole", orb.MultiPolygon{{g[0][0], squareM(pilotLat+10/ky, pilotLng+10/kx, 80)[0][0]}},
			squareM(pilotLat+20/ky, pilotLng+20/kx, 10), 0},
		{"half in the hole", orb.MultiPolygon{{g[0][0], squareM(pilotLat+10/ky, pilotLng+10/kx, 80)[0][0]}},
			squareM(pilotLat+20/ky, pilotLng+5/kx, 10), 50},
		{"shared edge, collinear T-junction", g,
			orb.MultiPolygon{{orb.Ring{g[0][0][1], {g[0][0][1][0] + 0.001, g[0][0][1][1]}, {g[0][0][2][0] + 0.001, g[0][0][2][1]}, g[0][0][2],
				{g[0][0][1][0], (g[0][0][1][1] + g[0][0][2][1]) / 2}, g[0][0][1]}}}, 0},
	}
	for _, c := range cases {
		for _, swap := range []bool{false, true} {
			a, b := c.a, c.b
			if swap {
				a, b = b, a
			}
			got := OverlapAreaM2(a, b)
			if math.Abs(got-c.want) > 1e-3*math.Max(1, c.want) {
				t.Errorf("%s (swap=%v): %.6f m², want %.6f", c.name, swap, got, c.want)
			}
		}
	}
	if !Overlap(g, shift(g, 50, 0)) {
		t.Error("half overlap not detected")
	}
	if Overlap(g, shift(g, 100, 0)) || Overlap(g, shift(g, 99.995, 0)) {
		t.Error("shared edge / 0.5 m² sliver flagged as overlap")
	}
	if !Overlap(g, shift(g, 99, 0)) {
		t.Error("100 m² overlap not flagged")
	}
	// Neighbouring mesh cells only share edges; a cell overlaps itself fully.
	mesh := gridMesh(rand.New(rand.NewPCG(11, 11)), 6, 6, 100, pilotLat, pilotLng)
	for i, a := range mesh {
		if got, want := OverlapAreaM2(a.Geom, a.Geom), AreaM2(a.Geom); math.Abs(got-want) > 1e-6*want {
			t.Fatalf("cell %d self-overlap %.6f vs area %.6f", i, got, want)
		}
		for _, b := range mesh[i+1:] {
			if got := OverlapAreaM2(a.Geom, b.Geom); got > 1e-6 {
				t.Fatalf("cells %d and %d overlap by %.9f m²", a.ID, b.ID, got)
			}
		}
	}
}

// Overlap area of random star-shaped (often concave, sometimes holed)
// polygons against a fine sampling estimate.
func TestOverlapAreaMatchesSampling(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		star := func(label string, cx, cy float64) orb.MultiPolygon {
			n := rapid.IntRange(3, 9).Draw(t, label+"n")
			r := make(orb.Ring, 0, n+1)
			for k := range n {
				ang := 2 * math.Pi * (float64(k) + 0.3*rapid.Float64Range(-1, 1).Draw(t, label+"a")) / float64(n)
				rad := rapid.Float64Range(0.0002, 0.001).Draw(t, label+"r")
				r = append(r, orb.Point{cx + rad*math.Cos(ang), cy + rad*math.Sin(ang)})
			}
			poly := orb.Polygon{append(r, r[0])}
			// With ≥5 vertices the angular gaps stay < π, so the centre is
			// ≥ 1e-4° inside every edge and this small square hole is valid.
			if n >= 5 && rapid.Bool().Draw(t, label+"hole") {
				poly = append(poly, sq(cx-0.00005, cy-0.00005, cx+0.00005, cy+0.00005))
			}
			return orb.MultiPolygon{poly}
		}
		a := star("a", pilotLng, pilotLat)
		b := star("b", pilotLng+rapid.Float64Range(-0.001, 0.001).Draw(t, "dx"), pilotLat+rapid.Float64Range(-0.001, 0.001).Draw(t, "dy"))
		got := OverlapAreaM2(a, b)
		if sym := OverlapAreaM2(b, a); math.Abs(sym-got) > 1e-6*math.Max(1, got) {
			t.Fatalf("asymmetric: %.6f vs %.6f", got, sym)
		}
		// Midpoint-rule sampling on a 200×200 grid over the union bbox.
		bb := a.Bound().Union(b.Bound())
		const n = 200
		ia, ib := NewIndex([]Feature{{Geom: a}}), NewIndex([]Feature{{Geom: b}})
		hit := 0
		for i := range n {
			for j := range n {
				x := bb.Min[0] + (float64(i)+0.5)/n*(bb.Max[0]-bb.Min[0])
				y := bb.Min[1] + (float64(j)+0.5)/n*(bb.Max[1]-bb.Min[1])
				if ia.contains(0, x, y) && ib.contains(0, x, y) {
					hit++
				}
			}
		}
		cell := AreaM2(rect(bb.Min[0], bb.Min[1], bb.Max[0], bb.Max[1])) / (n * n)
		est := float64(hit) * cell
		// Sampling error is bounded by the cells the boundary passes through.
		if math.Abs(got-est) > 0.02*est+200*cell {
			t.Fatalf("overlap %.2f m², sampling %.2f m² (cell %.3f m²)", got, est, cell)
		}
		// (AreaM2 projects about each polygon's own centre: allow 1e-5.)
		if got > AreaM2(a)*(1+1e-5) || got > AreaM2(b)*(1+1e-5) {
			t.Fatalf("overlap %.2f exceeds an operand (%.2f, %.2f)", got, AreaM2(a), AreaM2(b))
		}
	})
}

// Validate must not panic on arbitrary input and must be deterministic.
func TestValidateArbitraryInput(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		coord := rapid.OneOf(
			rapid.Float64Range(-200, 200),
			rapid.SampledFrom([]float64{0, 1, math.NaN(), math.Inf(1), -90, 180}),
			rapid.Map(rapid.IntRange(0, 4), func(i int) float64 { return float64(i) }),
		)
		pt := rapid.Custom(func(t *rapid.T) orb.Point { return orb.Point{coord.Draw(t, "x"), coord.Draw(t, "y")} })
		ring := rapid.Custom(func(t *rapid.T) orb.Ring { return orb.Ring(rapid.SliceOfN(pt, 0, 8).Draw(t, "ring")) })
		poly := rapid.Custom(func(t *rapid.T) orb.Polygon { return orb.Polygon(rapid.SliceOfN(ring, 0, 3).Draw(t, "poly")) })
		mp := orb.MultiPolygon(rapid.SliceOfN(poly, 0, 3).Draw(t, "mp"))
		a, b := Validate(mp), Validate(mp)
		if !slices.Equal(a, b) {
			t.Fatalf("nondeterministic: %v vs %v", a, b)
		}
		for _, p := range a {
			if p.Code == "" || p.Message == "" || p.MessageEn == "" {
				t.Fatalf("incomplete problem %+v", p)
			}
		}
		AreaM2(mp)
		OverlapAreaM2(mp, mp)
	})
}

func FuzzParseGeometry(f *testing.F) {
	f.Add([]byte(`{"type":"Polygon","coordinates":[[[112,27],[113,27],[113,28],[112,27]]]}`))
	f.Add([]byte(`{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`))
	f.Add([]byte(`{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[]]}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		mp, err := ParseGeometry(raw)
		if err == nil {
			Validate(mp)
		}
	})
}
