package geo

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

func meshParts(fs []Feature) []orb.MultiPolygon {
	out := make([]orb.MultiPolygon, len(fs))
	for i, f := range fs {
		out[i] = f.Geom
	}
	return out
}

func TestGapsNoneInPartition(t *testing.T) {
	fs := gridMesh(rand.New(rand.NewPCG(1, 2)), 8, 6, 100, pilotLat, pilotLng)
	if g := Gaps(meshParts(fs), 0); len(g) != 0 {
		t.Fatalf("an exact partition has %d gaps: %+v", len(g), g[0])
	}
}

func TestGapsMissingInteriorCell(t *testing.T) {
	fs := gridMesh(rand.New(rand.NewPCG(3, 4)), 5, 5, 100, pilotLat, pilotLng)
	const hole = 2*5 + 2 // the centre cell, ID 13
	parts := meshParts(fs)
	missing := parts[hole]
	parts = slices.Delete(parts, hole, hole+1)
	gaps := Gaps(parts, 1)
	if len(gaps) != 1 {
		t.Fatalf("got %d gaps, want 1", len(gaps))
	}
	want := AreaM2(missing)
	if math.Abs(gaps[0].AreaM2-want) > 1e-6*want {
		t.Errorf("gap area %.3f m², want the missing cell's %.3f m²", gaps[0].AreaM2, want)
	}
	// Its four edge neighbours (indices after the deletion) bound it.
	wantParts := []int{2*5 + 1, 1*5 + 2, 2*5 + 2, 3*5 + 2 - 1}
	slices.Sort(wantParts)
	if !slices.Equal(gaps[0].Parts, wantParts) {
		t.Errorf("gap bounded by parts %v, want %v", gaps[0].Parts, wantParts)
	}
	if ringArea2(gaps[0].Ring[:len(gaps[0].Ring)-1]) >= 0 {
		t.Error("gap ring is not clockwise")
	}
	// Below the threshold it is not reported.
	if g := Gaps(parts, want+1); len(g) != 0 {
		t.Errorf("gap of %.0f m² reported with threshold %.0f", want, want+1)
	}
}

func TestGapsMissingBoundaryCellIsNoGap(t *testing.T) {
	fs := gridMesh(rand.New(rand.NewPCG(5, 6)), 4, 4, 100, pilotLat, pilotLng)
	parts := meshParts(fs)
	parts = slices.Delete(parts, 1, 2) // on the southern edge: open to the outside
	if g := Gaps(parts, 0); len(g) != 0 {
		t.Fatalf("a notch in the outline reported as %d gaps", len(g))
	}
}

// TestGapsTJunctions: a frame whose long bars do not carry the vertices of
// the short pieces they touch; the shared stretches must still cancel.
func TestGapsTJunctions(t *testing.T) {
	const u = 0.001
	x, y := pilotLng, pilotLat
	r := func(x0, y0, x1, y1 float64) orb.MultiPolygon { return rect(x+x0*u, y+y0*u, x+x1*u, y+y1*u) }
	frame := []orb.MultiPolygon{
		r(0, 0, 3, 1), // bottom bar: corners only
		r(0, 2, 3, 3), // top bar
		r(0, 1, 1, 2), // left
		r(2, 1, 3, 2), // right
	}
	gaps := Gaps(frame, 0)
	if len(gaps) != 1 {
		t.Fatalf("got %d gaps, want the centre square", len(gaps))
	}
	want := AreaM2(r(1, 1, 2, 2))
	if math.Abs(gaps[0].AreaM2-want) > 1e-6*want {
		t.Errorf("gap %.3f m², want %.3f", gaps[0].AreaM2, want)
	}
	if !slices.Equal(gaps[0].Parts, []int{0, 1, 2, 3}) {
		t.Errorf("parts %v", gaps[0].Parts)
	}
	// Filling the centre with a piece that splits the bars' edges closes it.
	filled := append(slices.Clone(frame), r(1, 1, 2, 2))
	if g := Gaps(filled, 0); len(g) != 0 {
		t.Errorf("filled frame has %d gaps", len(g))
	}
}

func TestGapsHoles(t *testing.T) {
	const u = 0.001
	x, y := pilotLng, pilotLat
	outer := orb.Ring{{x, y}, {x + 3*u, y}, {x + 3*u, y + 3*u}, {x, y + 3*u}, {x, y}}
	hole := orb.Ring{{x + u, y + u}, {x + u, y + 2*u}, {x + 2*u, y + 2*u}, {x + 2*u, y + u}, {x + u, y + u}}
	donut := orb.MultiPolygon{{outer, hole}}
	if g := Gaps([]orb.MultiPolygon{donut}, 0); len(g) != 1 || !slices.Equal(g[0].Parts, []int{0}) {
		t.Fatalf("an unfilled hole: %+v", g)
	}
	enclave := rect(x+u, y+u, x+2*u, y+2*u)
	if g := Gaps([]orb.MultiPolygon{donut, enclave}, 0); len(g) != 0 {
		t.Fatalf("a hole filled by an enclave grid reported: %+v", g)
	}
	// An island inside the hole: the gap is the ring between them, and
	// the island bounds it too.
	island := rect(x+1.25*u, y+1.25*u, x+1.75*u, y+1.75*u)
	g := Gaps([]orb.MultiPolygon{donut, island}, 0)
	want := AreaM2(enclave) - AreaM2(island)
	if len(g) != 1 || math.Abs(g[0].AreaM2-want) > 1e-6*want || !slices.Equal(g[0].Parts, []int{0, 1}) {
		t.Fatalf("island in a hole: %+v, want area %.3f", g, want)
	}
	// Orientation of the input does not matter.
	rev := orb.MultiPolygon{{reversed(outer), reversed(hole)}}
	if g := Gaps([]orb.MultiPolygon{rev, enclave}, 0); len(g) != 0 {
		t.Fatalf("reversed rings: %+v", g)
	}
}

// TestGapsTouchingAtPoint: two gaps meeting at one vertex come out as two.
func TestGapsTouchingAtPoint(t *testing.T) {
	const u = 0.001
	x, y := pilotLng, pilotLat
	r := func(x0, y0, x1, y1 float64) orb.MultiPolygon { return rect(x+x0*u, y+y0*u, x+x1*u, y+y1*u) }
	// 4×4 block of unit squares without (1,1) and (2,2): the two holes
	// touch at (2,2).
	var parts []orb.MultiPolygon
	for j := range 4 {
		for i := range 4 {
			if (i == 1 && j == 1) || (i == 2 && j == 2) {
				continue
			}
			parts = append(parts, r(float64(i), float64(j), float64(i+1), float64(j+1)))
		}
	}
	gaps := Gaps(parts, 0)
	if len(gaps) != 2 {
		t.Fatalf("got %d gaps, want 2", len(gaps))
	}
	// 3×3 without the centre and the north-east corner: the centre hole
	// touches the outside at one vertex and is still a gap.
	parts = nil
	for j := range 3 {
		for i := range 3 {
			if (i == 1 && j == 1) || (i == 2 && j == 2) {
				continue
			}
			parts = append(parts, r(float64(i), float64(j), float64(i+1), float64(j+1)))
		}
	}
	if gaps := Gaps(parts, 0); len(gaps) != 1 {
		t.Fatalf("hole touching the outline: %d gaps, want 1", len(gaps))
	}
}

func TestPointIndex(t *testing.T) {
	kx, ky := metersPerDegree(pilotLat)
	at := func(id int64, east, north float64) Point {
		return Point{ID: id, Lat: pilotLat + north/ky, Lng: pilotLng + east/kx}
	}
	ix := NewPointIndex([]Point{at(1, 10, 0), at(2, 0, 20), at(3, -5, 0), at(4, 100, 100), {ID: 5, Lat: math.NaN()}})
	if ix.Len() != 4 {
		t.Fatalf("Len = %d", ix.Len())
	}
	hits := ix.Within(pilotLat, pilotLng, 50, 0, nil)
	var ids []int64
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	if !slices.Equal(ids, []int64{3, 1, 2}) {
		t.Fatalf("within 50 m: %v", ids)
	}
	if math.Abs(hits[0].Meters-5) > 0.01 {
		t.Errorf("distance %.4f, want 5", hits[0].Meters)
	}
	h, ok := ix.Nearest(pilotLat, pilotLng, 50, func(id int64) bool { return id%2 == 0 })
	if !ok || h.ID != 2 {
		t.Errorf("nearest even: %+v %v", h, ok)
	}
	if _, ok := ix.Nearest(pilotLat, pilotLng, 4, nil); ok {
		t.Error("found a point beyond the radius")
	}
	if got := ix.Within(pilotLat, pilotLng, 1000, 2, nil); len(got) != 2 {
		t.Errorf("limit 2 gave %d", len(got))
	}
	if d := DistanceM(27, 112, 28, 112); math.Abs(d-110_800) > 300 {
		t.Errorf("one degree of latitude = %.0f m", d)
	}
}
