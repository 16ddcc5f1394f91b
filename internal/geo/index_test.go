package geo

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"pgregory.net/rapid"
)

// Lattice coordinates: base + k/256°. Every value and every midpoint
// (k/512) is exactly representable, so generated points regularly land
// exactly on edges and vertices, which is what the tie rule is about.
const (
	latBase = 27.75
	lngBase = 112.0
	lattice = 1.0 / 256
)

func latticePt(t *rapid.T, label string) orb.Point {
	i := rapid.IntRange(0, 24).Draw(t, label+"x")
	j := rapid.IntRange(0, 24).Draw(t, label+"y")
	return orb.Point{lngBase + float64(i)*lattice, latBase + float64(j)*lattice}
}

// genRing draws one of: an arbitrary (possibly self-intersecting) ring, an
// axis-aligned rectangle, or a star-shaped (typically concave) ring.
func genRing(t *rapid.T, label string) orb.Ring {
	switch rapid.IntRange(0, 2).Draw(t, label+"kind") {
	case 0:
		n := rapid.IntRange(3, 9).Draw(t, label+"n")
		r := make(orb.Ring, 0, n+1)
		for k := range n {
			r = append(r, latticePt(t, label+string(rune('a'+k))))
		}
		if rapid.Bool().Draw(t, label+"close") {
			r = append(r, r[0])
		}
		return r
	case 1:
		a, b := latticePt(t, label+"p"), latticePt(t, label+"q")
		return rect(a[0], a[1], b[0], b[1])[0][0]
	default:
		c := latticePt(t, label+"c")
		n := rapid.IntRange(3, 10).Draw(t, label+"n")
		r := make(orb.Ring, 0, n+1)
		for k := range n {
			ang := 2 * math.Pi * float64(k) / float64(n)
			rad := float64(rapid.IntRange(1, 8).Draw(t, label+"r"+string(rune('a'+k)))) * lattice
			// snap to the half-lattice so edges still meet exactly
			x := math.Round((c[0]+rad*math.Cos(ang))*512) / 512
			y := math.Round((c[1]+rad*math.Sin(ang))*512) / 512
			r = append(r, orb.Point{x, y})
		}
		return append(r, r[0])
	}
}

func genFeature(t *rapid.T, k int) Feature {
	label := "f" + string(rune('A'+k))
	nPoly := rapid.IntRange(1, 2).Draw(t, label+"polys") // MultiPolygons too
	var mp orb.MultiPolygon
	for p := range nPoly {
		pl := label + string(rune('0'+p))
		poly := orb.Polygon{genRing(t, pl+"shell")}
		for h := range rapid.IntRange(0, 2).Draw(t, pl+"holes") {
			poly = append(poly, genRing(t, pl+"hole"+string(rune('0'+h))))
		}
		mp = append(mp, poly)
	}
	return Feature{ID: rapid.Int64Range(1, 30).Draw(t, label+"id"), Geom: mp}
}

func genQueryPoint(t *rapid.T, fs []Feature, label string) orb.Point {
	switch rapid.IntRange(0, 3).Draw(t, label+"kind") {
	case 0: // a vertex of some feature
		f := fs[rapid.IntRange(0, len(fs)-1).Draw(t, label+"f")]
		poly := f.Geom[rapid.IntRange(0, len(f.Geom)-1).Draw(t, label+"p")]
		ring := poly[rapid.IntRange(0, len(poly)-1).Draw(t, label+"r")]
		return ring[rapid.IntRange(0, len(ring)-1).Draw(t, label+"v")]
	case 1: // half-lattice: hits edge midpoints of axis-aligned and 45° edges
		i := rapid.IntRange(-2, 50).Draw(t, label+"x")
		j := rapid.IntRange(-2, 50).Draw(t, label+"y")
		return orb.Point{lngBase + float64(i)/512, latBase + float64(j)/512}
	default: // anywhere
		return orb.Point{
			rapid.Float64Range(lngBase-0.01, lngBase+0.11).Draw(t, label+"fx"),
			rapid.Float64Range(latBase-0.01, latBase+0.11).Draw(t, label+"fy"),
		}
	}
}

// Locate must equal a brute-force linear scan with an exact oracle, for
// arbitrary polygons (concave, holed, multi, even self-intersecting), with
// query points deliberately placed on vertices and edges.
func TestLocateMatchesOracle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 12).Draw(t, "nfeat")
		fs := make([]Feature, n)
		for k := range fs {
			fs[k] = genFeature(t, k)
		}
		ix := NewIndex(fs)
		if ix.Len() != n {
			t.Fatalf("Len = %d, want %d", ix.Len(), n)
		}
		for q := range 40 {
			p := genQueryPoint(t, fs, "q"+string(rune('a'+q%26))+string(rune('a'+q/26)))
			gotID, gotOK := ix.Locate(p[1], p[0])
			wantID, wantOK := oracleLocate(fs, p[1], p[0])
			if gotOK != wantOK || gotID != wantID {
				t.Fatalf("Locate(%v) = (%d, %v), oracle (%d, %v)", p, gotID, gotOK, wantID, wantOK)
			}
		}
	})
}

// Many small grids plus a few large features (which the bucket grid hands
// to its side R-tree), with overlaps, so lowest-ID resolution has to work
// across both candidate sources.
func TestLocateMatchesOracleSmallAndLarge(t *testing.T) {
	bigRuns := 0
	rapid.Check(t, func(t *rapid.T) {
		var fs []Feature
		for k := range rapid.IntRange(8, 30).Draw(t, "nsmall") {
			a := latticePt(t, "s")
			w := float64(rapid.IntRange(1, 2).Draw(t, "w")) * lattice
			h := float64(rapid.IntRange(1, 2).Draw(t, "h")) * lattice
			fs = append(fs, Feature{ID: int64(100 + k), Geom: rect(a[0], a[1], a[0]+w, a[1]+h)})
		}
		for k := range rapid.IntRange(1, 3).Draw(t, "nbig") {
			shell := genRing(t, "big")
			// stretch around its first point so it spans most of the lattice
			o := shell[0]
			for i := range shell {
				shell[i] = orb.Point{o[0] + (shell[i][0]-o[0])*4, o[1] + (shell[i][1]-o[1])*4}
			}
			poly := orb.Polygon{shell}
			if rapid.Bool().Draw(t, "hole") {
				poly = append(poly, genRing(t, "bighole"))
			}
			fs = append(fs, Feature{ID: rapid.Int64Range(1, 200).Draw(t, "bigid") + int64(k), Geom: orb.MultiPolygon{poly}})
		}
		ix := NewIndex(fs)
		if ix.big.Len() > 0 {
			bigRuns++
		}
		for q := range 40 {
			p := genQueryPoint(t, fs, "q"+string(rune('a'+q%26))+string(rune('a'+q/26)))
			gotID, gotOK := ix.Locate(p[1], p[0])
			wantID, wantOK := oracleLocate(fs, p[1], p[0])
			if gotOK != wantOK || gotID != wantID {
				t.Fatalf("Locate(%v) = (%d, %v), oracle (%d, %v)", p, gotID, gotOK, wantID, wantOK)
			}
		}
	})
	if bigRuns == 0 {
		t.Fatal("generator never produced features for the side R-tree")
	}
	t.Logf("%d runs used the large-feature path", bigRuns)
}

// Same with unrounded float coordinates: exercises the exact-orientation
// fallback, with points nudged by single ulps around vertices and edges.
func TestLocateMatchesOracleFloat(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 6).Draw(t, "nfeat")
		fs := make([]Feature, n)
		for k := range fs {
			m := rapid.IntRange(3, 8).Draw(t, "n")
			r := make(orb.Ring, 0, m+1)
			for range m {
				r = append(r, orb.Point{
					rapid.Float64Range(pilotLng, pilotLng+0.001).Draw(t, "x"),
					rapid.Float64Range(pilotLat, pilotLat+0.001).Draw(t, "y"),
				})
			}
			fs[k] = Feature{ID: int64(k + 1), Geom: orb.MultiPolygon{{append(r, r[0])}}}
		}
		ix := NewIndex(fs)
		for range 30 {
			f := fs[rapid.IntRange(0, n-1).Draw(t, "f")]
			ring := f.Geom[0][0]
			k := rapid.IntRange(0, len(ring)-2).Draw(t, "v")
			a, b := ring[k], ring[k+1]
			s := rapid.Float64Range(0, 1).Draw(t, "s")
			p := orb.Point{a[0] + s*(b[0]-a[0]), a[1] + s*(b[1]-a[1])} // on or next to the edge
			for range rapid.IntRange(0, 2).Draw(t, "nudgex") {
				p[0] = math.Nextafter(p[0], math.Inf(rapid.IntRange(-1, 1).Draw(t, "dx")|1))
			}
			for range rapid.IntRange(0, 2).Draw(t, "nudgey") {
				p[1] = math.Nextafter(p[1], math.Inf(rapid.IntRange(-1, 1).Draw(t, "dy")|1))
			}
			gotID, gotOK := ix.Locate(p[1], p[0])
			wantID, wantOK := oracleLocate(fs, p[1], p[0])
			if gotOK != wantOK || gotID != wantID {
				t.Fatalf("Locate(%v) = (%d, %v), oracle (%d, %v)", p, gotID, gotOK, wantID, wantOK)
			}
		}
	})
}

// In an exact partition every point of the interior belongs to exactly one
// cell, however close to an edge or vertex it is.
func TestMeshPartitionOneCellPerPoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	fs := gridMesh(rng, 8, 8, 100, pilotLat, pilotLng)
	ix := NewIndex(fs)
	check := func(p orb.Point) {
		t.Helper()
		count := 0
		for fi := range fs {
			if ix.contains(fi, p[0], p[1]) {
				count++
			}
		}
		id, ok := ix.Locate(p[1], p[0])
		if count != 1 || !ok {
			t.Fatalf("point %v: in %d cells, Locate=(%d,%v)", p, count, id, ok)
		}
	}
	b := fs[0].Geom.Bound().Union(fs[len(fs)-1].Geom.Bound())
	inner := func(p orb.Point) bool {
		return p[0] > b.Min[0] && p[0] < b.Max[0] && p[1] > b.Min[1] && p[1] < b.Max[1]
	}
	for _, f := range fs {
		ring := f.Geom[0][0]
		for k := 0; k+1 < len(ring); k++ {
			a, c := ring[k], ring[k+1]
			for _, s := range []float64{0, 0.5, 1.0 / 3, 0.123456789} {
				p := orb.Point{a[0] + s*(c[0]-a[0]), a[1] + s*(c[1]-a[1])}
				for dx := -2; dx <= 2; dx++ {
					for dy := -2; dy <= 2; dy++ {
						q := p
						for range abs(dx) {
							q[0] = math.Nextafter(q[0], math.Inf(dx))
						}
						for range abs(dy) {
							q[1] = math.Nextafter(q[1], math.Inf(dy))
						}
						if inner(q) {
							check(q)
						}
					}
				}
			}
		}
	}
	for range 20000 {
		p := orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		if inner(p) {
			check(p)
		}
	}
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

func TestSharedEdgeGoesToOneGrid(t *testing.T) {
	// A (left) and B (right) share the vertical edge x = 112.001.
	a := Feature{ID: 7, Geom: rect(112.000, 27.730, 112.001, 27.731)}
	b := Feature{ID: 3, Geom: rect(112.001, 27.730, 112.002, 27.731)}
	onEdge := orb.Point{112.001, 27.7305}
	for _, fs := range [][]Feature{{a, b}, {b, a}} {
		ix := NewIndex(fs)
		for range 100 {
			id, ok := ix.Locate(onEdge[1], onEdge[0])
			if !ok || id != 3 { // left edge of B is inclusive → B, regardless of IDs
				t.Fatalf("Locate(shared vertical edge) = (%d, %v), want (3, true)", id, ok)
			}
		}
	}
	// C (bottom) and D (top) share the horizontal edge y = 27.731.
	c := Feature{ID: 1, Geom: rect(112.000, 27.730, 112.001, 27.731)}
	d := Feature{ID: 2, Geom: rect(112.000, 27.731, 112.001, 27.732)}
	ix := NewIndex([]Feature{c, d})
	if id, ok := ix.Locate(27.731, 112.0005); !ok || id != 2 {
		t.Fatalf("Locate(shared horizontal edge) = (%d, %v), want (2, true)", id, ok)
	}
	// Exactly one of the two contains each shared-edge point.
	for _, p := range []orb.Point{onEdge, {112.001, 27.730}, {112.001, 27.731}} {
		ix := NewIndex([]Feature{a, b})
		n := 0
		for fi := range 2 {
			if ix.contains(fi, p[0], p[1]) {
				n++
			}
		}
		if p[1] < 27.731 && n != 1 {
			t.Errorf("point %v in %d polygons", p, n)
		}
	}
}

func TestCornerSharedByFourSquares(t *testing.T) {
	const x, y, s = 112.001, 27.731, 0.001
	fs := []Feature{
		{ID: 1, Geom: rect(x-s, y-s, x, y)}, // SW
		{ID: 2, Geom: rect(x, y-s, x+s, y)}, // SE
		{ID: 3, Geom: rect(x-s, y, x, y+s)}, // NW
		{ID: 4, Geom: rect(x, y, x+s, y+s)}, // NE: the vertex is its bottom-left corner
	}
	for perm := range 4 {
		rot := append(slices.Clone(fs[perm:]), fs[:perm]...)
		ix := NewIndex(rot)
		n := 0
		for fi := range rot {
			if ix.contains(fi, x, y) {
				n++
			}
		}
		id, ok := ix.Locate(y, x)
		if n != 1 || !ok || id != 4 {
			t.Fatalf("vertex: contained by %d, Locate = (%d, %v), want NE (4)", n, id, ok)
		}
	}
	// With a slanted shared vertex (a fan of triangles) still exactly one.
	c := orb.Point{112.0004567, 27.7303210}
	var fan []Feature
	const k = 7
	for i := range k {
		a0 := 2 * math.Pi * float64(i) / k
		a1 := 2 * math.Pi * float64(i+1) / k
		p := orb.Point{c[0] + 0.001*math.Cos(a0), c[1] + 0.001*math.Sin(a0)}
		q := orb.Point{c[0] + 0.001*math.Cos(a1), c[1] + 0.001*math.Sin(a1)}
		if i == k-1 {
			q = fan[0].Geom[0][0][1]
		}
		fan = append(fan, Feature{ID: int64(i + 1), Geom: orb.MultiPolygon{{orb.Ring{c, p, q, c}}}})
	}
	ix := NewIndex(fan)
	n := 0
	for fi := range fan {
		if ix.contains(fi, c[0], c[1]) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("fan centre contained by %d triangles", n)
	}
}

func TestOverlappingFeaturesLowestIDWins(t *testing.T) {
	fs := []Feature{
		{ID: 9, Geom: rect(112.000, 27.730, 112.002, 27.732)},
		{ID: 4, Geom: rect(112.001, 27.731, 112.003, 27.733)},
		{ID: 6, Geom: rect(112.0005, 27.7305, 112.0025, 27.7325)},
	}
	ix := NewIndex(fs)
	if id, ok := ix.Locate(27.7315, 112.0015); !ok || id != 4 {
		t.Fatalf("got (%d,%v), want lowest ID 4", id, ok)
	}
	if id, ok := ix.Locate(27.7302, 112.0002); !ok || id != 9 {
		t.Fatalf("got (%d,%v), want 9", id, ok)
	}
}

func TestHolesAndMultiPolygons(t *testing.T) {
	outer := orb.Ring{{112.000, 27.730}, {112.003, 27.730}, {112.003, 27.733}, {112.000, 27.733}, {112.000, 27.730}}
	hole := orb.Ring{{112.001, 27.731}, {112.001, 27.732}, {112.002, 27.732}, {112.002, 27.731}, {112.001, 27.731}}
	island := rect(112.0013, 27.7313, 112.0017, 27.7317)[0]
	far := rect(112.010, 27.730, 112.011, 27.731)[0]
	fs := []Feature{
		{ID: 1, Geom: orb.MultiPolygon{{outer, hole}, far}},
		{ID: 2, Geom: orb.MultiPolygon{island}},
	}
	ix := NewIndex(fs)
	cases := []struct {
		lat, lng float64
		id       int64
		ok       bool
	}{
		{27.7305, 112.0005, 1, true},  // in the ring
		{27.7311, 112.0011, 0, false}, // in the hole
		{27.7315, 112.0015, 2, true},  // on the island in the hole
		{27.7305, 112.0105, 1, true},  // second polygon of the MultiPolygon
		{27.7350, 112.0050, 0, false}, // nowhere
	}
	for _, c := range cases {
		id, ok := ix.Locate(c.lat, c.lng)
		if id != c.id || ok != c.ok {
			t.Errorf("Locate(%v, %v) = (%d, %v), want (%d, %v)", c.lat, c.lng, id, ok, c.id, c.ok)
		}
	}
}

func TestTolerance(t *testing.T) {
	kx, ky := metersPerDegree(pilotLat)
	g := Feature{ID: 42, Geom: squareM(pilotLat, pilotLng, 100)}
	other := Feature{ID: 43, Geom: squareM(pilotLat, pilotLng+500/kx, 100)} // 400 m east of g
	ix := NewIndex([]Feature{g, other})
	eastEdge := pilotLng + 100/kx
	midLat := pilotLat + 50/ky

	id, exact, ok := ix.LocateTolerant(midLat, pilotLng+50/kx, 30)
	if !ok || !exact || id != 42 {
		t.Fatalf("inside: (%d,%v,%v)", id, exact, ok)
	}
	id, exact, ok = ix.LocateTolerant(midLat, eastEdge+10/kx, 30)
	if !ok || exact || id != 42 {
		t.Fatalf("10 m outside, tol 30: (%d,%v,%v), want (42,false,true)", id, exact, ok)
	}
	if _, m, ok := ix.Nearest(midLat, eastEdge+10/kx, 30); !ok || math.Abs(m-10) > 0.01 {
		t.Fatalf("Nearest distance = %.4f m, want 10", m)
	}
	if _, _, ok := ix.LocateTolerant(midLat, eastEdge+100/kx, 30); ok {
		t.Fatal("100 m outside with tol 30 must not match")
	}
	if _, _, ok := ix.LocateTolerant(midLat, eastEdge+10/kx, 0); ok {
		t.Fatal("tol 0 must not fall back")
	}
	// South of the grid: the metre conversion is per axis.
	if _, m, ok := ix.Nearest(pilotLat-20/ky, pilotLng+50/kx, 30); !ok || math.Abs(m-20) > 0.01 {
		t.Fatalf("20 m south: %.4f m, %v", m, ok)
	}
	// Between the two grids the nearer wins; equidistant → lowest ID.
	if id, m, ok := ix.Nearest(midLat, eastEdge+150/kx, 500); !ok || id != 42 || math.Abs(m-150) > 0.02 {
		t.Fatalf("nearer: (%d, %.3f, %v)", id, m, ok)
	}
	if id, _, ok := ix.Nearest(midLat, eastEdge+250/kx, 500); !ok || id != 43 {
		t.Fatalf("nearer east: (%d, %v)", id, ok)
	}
	twin := NewIndex([]Feature{{ID: 5, Geom: g.Geom}, {ID: 2, Geom: g.Geom}})
	if id, _, ok := twin.Nearest(midLat, eastEdge+10/kx, 30); !ok || id != 2 {
		t.Fatalf("tie: %d", id)
	}
	if id, m, ok := ix.Nearest(midLat, pilotLng+50/kx, 0); !ok || id != 42 || m != 0 {
		t.Fatalf("inside → distance 0: (%d, %v, %v)", id, m, ok)
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		if _, _, ok := ix.Nearest(midLat, eastEdge, bad); ok {
			t.Fatalf("maxMeters %v accepted", bad)
		}
	}
}

func TestDegenerateInputs(t *testing.T) {
	ix := NewIndex(nil)
	if ix.Len() != 0 {
		t.Fatal("empty Len")
	}
	if _, ok := ix.Locate(pilotLat, pilotLng); ok {
		t.Fatal("empty index located a point")
	}
	fs := []Feature{
		{ID: 1},                             // no geometry
		{ID: 2, Geom: orb.MultiPolygon{{}}}, // polygon without rings
		{ID: 3, Geom: rect(math.NaN(), 27, 112, 28)}, // non-finite: never matches
		{ID: 4, Geom: rect(111, 27, 112, 28)},
	}
	ix = NewIndex(fs)
	if ix.Len() != 4 {
		t.Fatalf("Len = %d", ix.Len())
	}
	if id, ok := ix.Locate(27.5, 111.5); !ok || id != 4 {
		t.Fatalf("got (%d, %v)", id, ok)
	}
	if _, ok := ix.Locate(math.NaN(), 111.5); ok {
		t.Fatal("NaN located")
	}
	if _, _, ok := ix.Nearest(math.NaN(), 111.5, 10); ok {
		t.Fatal("NaN nearest")
	}
}

func TestLocateZeroAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	fs := gridMesh(rng, 20, 20, 100, pilotLat, pilotLng)
	ix := NewIndex(fs)
	p := fs[123].Geom.Bound().Center()
	if a := testing.AllocsPerRun(1000, func() { ix.Locate(p[1], p[0]) }); a != 0 {
		t.Errorf("Locate allocs = %v", a)
	}
	if a := testing.AllocsPerRun(1000, func() { ix.Nearest(p[1]+0.01, p[0], 50) }); a != 0 {
		t.Errorf("Nearest allocs = %v", a)
	}
	if a := testing.AllocsPerRun(1000, func() { ix.LocateTolerant(p[1]-0.003, p[0], 30) }); a != 0 {
		t.Errorf("LocateTolerant allocs = %v", a)
	}
}

func TestConcurrentLocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	fs := gridMesh(rng, 30, 30, 100, pilotLat, pilotLng)
	ix := NewIndex(fs)
	b := ix.bounds()
	pts := make([]orb.Point, 2000)
	want := make([]int64, len(pts))
	for i := range pts {
		pts[i] = orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
		want[i], _ = ix.Locate(pts[i][1], pts[i][0])
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range pts {
				k := (i + g*97) % len(pts)
				if id, _ := ix.Locate(pts[k][1], pts[k][0]); id != want[k] {
					t.Errorf("goroutine %d: point %d got %d want %d", g, k, id, want[k])
					return
				}
				ix.LocateTolerant(pts[k][1]+0.0001, pts[k][0], 20)
			}
		})
	}
	wg.Wait()
}

// bounds is a test helper: the extent of all indexed features.
func (ix *Index) bounds() orb.Bound {
	mn, mx := ix.tree.Bounds()
	return orb.Bound{Min: orb.Point(mn), Max: orb.Point(mx)}
}

// --- benchmarks ---

var benchMesh = sync.OnceValue(func() []Feature {
	// 100×100 cells of ~100 m: 10,000 grids of 6–12 vertices near the pilot county.
	return gridMesh(rand.New(rand.NewPCG(42, 42)), 100, 100, 100, pilotLat, pilotLng)
})

func benchPoints(b orb.Bound, n int) []orb.Point {
	rng := rand.New(rand.NewPCG(9, 9))
	pts := make([]orb.Point, n)
	for i := range pts {
		pts[i] = orb.Point{b.Min[0] + rng.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + rng.Float64()*(b.Max[1]-b.Min[1])}
	}
	return pts
}

// window25km is a ~25 km × 25 km box centred on the mesh.
func window25km(mesh orb.Bound) orb.Bound {
	c := mesh.Center()
	kx, ky := metersPerDegree(c[1])
	return orb.Bound{Min: orb.Point{c[0] - 12500/kx, c[1] - 12500/ky}, Max: orb.Point{c[0] + 12500/kx, c[1] + 12500/ky}}
}

// benchScattered: 10,000 grids of ~100 m × 100 m spread over 25 km × 25 km
// (a 250 m-pitch mesh with every cell shrunk to 40% about its centre).
var benchScattered = sync.OnceValue(func() []Feature {
	fs := gridMesh(rand.New(rand.NewPCG(43, 43)), 100, 100, 250, pilotLat, pilotLng)
	for _, f := range fs {
		c := f.Geom.Bound().Center()
		for _, r := range f.Geom[0] {
			for i := range r {
				r[i] = orb.Point{c[0] + 0.4*(r[i][0]-c[0]), c[1] + 0.4*(r[i][1]-c[1])}
			}
		}
	}
	return fs
})

func BenchmarkLocate(b *testing.B) {
	mesh := NewIndex(benchMesh())
	scattered := NewIndex(benchScattered())
	for _, bc := range []struct {
		name string
		ix   *Index
		area orb.Bound
	}{
		{"in-mesh", mesh, mesh.bounds()},                 // tiled 10 km × 10 km, every lookup hits
		{"window25km", mesh, window25km(mesh.bounds())},  // same grids, points over 25 km
		{"scattered25km", scattered, scattered.bounds()}, // grids spread over 25 km
	} {
		ix := bc.ix
		b.Run(bc.name, func(b *testing.B) {
			pts := benchPoints(bc.area, 1<<16)
			hits := 0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				p := pts[i&(len(pts)-1)]
				if _, ok := ix.Locate(p[1], p[0]); ok {
					hits++
				}
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lookups/s")
			b.ReportMetric(float64(hits)/float64(i), "hit-ratio")
		})
	}
}

func BenchmarkLocateParallel(b *testing.B) {
	ix := NewIndex(benchMesh())
	pts := benchPoints(ix.bounds(), 1<<16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.IntN(len(pts))
		for pb.Next() {
			p := pts[i&(len(pts)-1)]
			ix.Locate(p[1], p[0])
			i++
		}
	})
}

func BenchmarkLocateTolerant30m(b *testing.B) {
	ix := NewIndex(benchMesh())
	pts := benchPoints(window25km(ix.bounds()), 1<<16)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p := pts[i&(len(pts)-1)]
		ix.LocateTolerant(p[1], p[0], 30)
		i++
	}
}

func BenchmarkBuild10k(b *testing.B) {
	fs := benchMesh()
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(fs)
	}
}

// Two triangles sharing the edge (-12,-12)–(24,24), queried on a 64×64
// grid of ulp-spaced points around (0.5,0.5), where naive float
// orientation is wrong for many inputs: the exact predicate must keep
// every point in exactly one triangle, matching the rational oracle.
func TestSharedDiagonalUlpGrid(t *testing.T) {
	fs := []Feature{
		{ID: 1, Geom: orb.MultiPolygon{{orb.Ring{{-12, -12}, {24, 24}, {-12, 24}, {-12, -12}}}}}, // above-left
		{ID: 2, Geom: orb.MultiPolygon{{orb.Ring{{-12, -12}, {24, -12}, {24, 24}, {-12, -12}}}}}, // below-right
	}
	ix := NewIndex(fs)
	ulp := math.Nextafter(0.5, 1) - 0.5
	for i := range 64 {
		for j := range 64 {
			x, y := 0.5+float64(i-32)*ulp, 0.5+float64(j-32)*ulp
			n := 0
			for fi := range fs {
				if ix.contains(fi, x, y) {
					n++
				}
			}
			id, ok := ix.Locate(y, x)
			wid, wok := oracleLocate(fs, y, x)
			if n != 1 || id != wid || ok != wok {
				t.Fatalf("(%v,%v): in %d, Locate (%d,%v), oracle (%d,%v)", x, y, n, id, ok, wid, wok)
			}
		}
	}
}
