package geo

import (
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// OverlapMinM2 is the overlap Overlap tolerates: grids digitised against
// each other share edges that differ by rounding, which yields slivers far
// below one square metre.
const OverlapMinM2 = 1.0

// Overlap reports whether a and b overlap by more than OverlapMinM2.
// Sharing an edge or a vertex is not overlap. For another threshold compare
// OverlapAreaM2 directly.
func Overlap(a, b orb.MultiPolygon) bool {
	return OverlapAreaM2(a, b) > OverlapMinM2
}

// OverlapAreaM2 returns the area of a ∩ b in square metres. Both inputs
// should be valid (see Validate); rings are read as implicitly closed.
//
// Method (exact up to float rounding, deterministic, no sampling): by
// Green's theorem the area of a region is ½∮(x dy − y dx) over its boundary,
// and the boundary of a ∩ b consists of the pieces of ∂a lying inside b
// plus the pieces of ∂b lying inside a. Each edge is split where the other
// polygon's edges cross it or touch it, and each piece is kept or dropped by
// classifying its midpoint. A piece lying on the other boundary (shared
// edge) counts once, and only if both polygons run it in the same direction,
// i.e. both interiors are on the same side; adjacent grids run a shared edge
// in opposite directions and so contribute nothing. Work is done in a local
// equirectangular projection (metres) about the pair's common centre.
func OverlapAreaM2(a, b orb.MultiPolygon) float64 {
	ba, bb := a.Bound(), b.Bound()
	if len(a) == 0 || len(b) == 0 || !ba.Intersects(bb) {
		return 0
	}
	o := ba.Union(bb).Center()
	kx, ky := metersPerDegree(o[1])
	pa, pb := projectOriented(a, o, kx, ky), projectOriented(b, o, kx, ky)
	sum := boundaryInside(pa, pb, true) + boundaryInside(pb, pa, false)
	return math.Max(0, sum/2)
}

// projPoly is a polygon in local metres: rings as flat x,y lists without
// the closing point; ring 0 counter-clockwise, holes clockwise.
type projPoly [][]float64

func projectOriented(mp orb.MultiPolygon, o orb.Point, kx, ky float64) []projPoly {
	out := make([]projPoly, 0, len(mp))
	for _, poly := range mp {
		var pp projPoly
		for ri, r := range poly {
			pts := distinctRing(r)
			if len(pts) < 3 {
				continue
			}
			xy := make([]float64, 0, 2*len(pts))
			for _, p := range pts {
				xy = append(xy, (p[0]-o[0])*kx, (p[1]-o[1])*ky)
			}
			if (shoelace(xy) > 0) != (ri == 0) {
				reverseXY(xy)
			}
			pp = append(pp, xy)
		}
		if len(pp) > 0 {
			out = append(out, pp)
		}
	}
	return out
}

func shoelace(xy []float64) float64 {
	n := len(xy)
	s := 0.0
	px, py := xy[n-2], xy[n-1]
	for i := 0; i < n; i += 2 {
		s += px*xy[i+1] - xy[i]*py
		px, py = xy[i], xy[i+1]
	}
	return s / 2
}

func reverseXY(xy []float64) {
	for i, j := 0, len(xy)-2; i < j; i, j = i+2, j-2 {
		xy[i], xy[j] = xy[j], xy[i]
		xy[i+1], xy[j+1] = xy[j+1], xy[i+1]
	}
}

// onEdgeEps (metres) decides that a piece lies on the other boundary. Far
// above float noise for county-sized coordinates (~1e-9 m), far below any
// surveyed distance.
const onEdgeEps = 1e-6

// boundaryInside returns Σ(x0·y1 − x1·y0) over the pieces of p's boundary
// inside q (plus, if keepShared, pieces on q's boundary running the same way).
func boundaryInside(p, q []projPoly, keepShared bool) float64 {
	sum := 0.0
	var ts []float64
	for _, poly := range p {
		for _, xy := range poly {
			n := len(xy)
			x0, y0 := xy[n-2], xy[n-1]
			for i := 0; i < n; i += 2 {
				x1, y1 := xy[i], xy[i+1]
				ts = splitParams(ts[:0], x0, y0, x1, y1, q)
				dx, dy := x1-x0, y1-y0
				for k := 1; k < len(ts); k++ {
					t0, t1 := ts[k-1], ts[k]
					if t1-t0 <= 1e-15 {
						continue
					}
					tm := (t0 + t1) / 2
					mx, my := x0+tm*dx, y0+tm*dy
					if keep(mx, my, dx, dy, q, keepShared) {
						ax, ay := x0+t0*dx, y0+t0*dy
						bx, by := x0+t1*dx, y0+t1*dy
						sum += ax*by - bx*ay
					}
				}
				x0, y0 = x1, y1
			}
		}
	}
	return sum
}

// splitParams returns the sorted parameters in [0,1] along segment
// (x0,y0)→(x1,y1) at which q's boundary crosses or touches it.
func splitParams(ts []float64, x0, y0, x1, y1 float64, q []projPoly) []float64 {
	ts = append(ts, 0, 1)
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return ts
	}
	minX, maxX := math.Min(x0, x1)-onEdgeEps, math.Max(x0, x1)+onEdgeEps
	minY, maxY := math.Min(y0, y1)-onEdgeEps, math.Max(y0, y1)+onEdgeEps
	for _, poly := range q {
		for _, xy := range poly {
			n := len(xy)
			ux, uy := xy[n-2], xy[n-1]
			for i := 0; i < n; i += 2 {
				vx, vy := xy[i], xy[i+1]
				if math.Max(ux, vx) >= minX && math.Min(ux, vx) <= maxX &&
					math.Max(uy, vy) >= minY && math.Min(uy, vy) <= maxY {
					ts = appendCuts(ts, x0, y0, dx, dy, l2, ux, uy, vx, vy)
				}
				ux, uy = vx, vy
			}
		}
	}
	slices.Sort(ts)
	return ts
}

// appendCuts adds the parameters where segment u→v meets the segment
// p0 + t·d: a proper crossing, or u/v lying on it (covers collinear runs).
func appendCuts(ts []float64, x0, y0, dx, dy, l2, ux, uy, vx, vy float64) []float64 {
	l := math.Sqrt(l2)
	for _, e := range [2][2]float64{{ux, uy}, {vx, vy}} {
		t := ((e[0]-x0)*dx + (e[1]-y0)*dy) / l2
		if t > 0 && t < 1 {
			// distance from the endpoint to the line
			if math.Abs((e[0]-x0)*dy-(e[1]-y0)*dx)/l <= onEdgeEps {
				ts = append(ts, t)
			}
		}
	}
	ex, ey := vx-ux, vy-uy
	den := dx*ey - dy*ex
	if math.Abs(den) <= 1e-12*l*math.Hypot(ex, ey) {
		return ts // parallel: handled by the endpoint test above
	}
	t := ((ux-x0)*ey - (uy-y0)*ex) / den
	s := ((ux-x0)*dy - (uy-y0)*dx) / den
	if t > 0 && t < 1 && s >= 0 && s <= 1 {
		ts = append(ts, t)
	}
	return ts
}

// keep decides whether the piece with midpoint (mx,my) and direction
// (dx,dy) belongs to the boundary of the intersection.
func keep(mx, my, dx, dy float64, q []projPoly, keepShared bool) bool {
	// On q's boundary?
	best := math.Inf(1)
	var bdx, bdy float64
	for _, poly := range q {
		for _, xy := range poly {
			n := len(xy)
			ux, uy := xy[n-2], xy[n-1]
			for i := 0; i < n; i += 2 {
				vx, vy := xy[i], xy[i+1]
				if d := segDist2Origin(ux-mx, uy-my, vx-mx, vy-my); d < best {
					best, bdx, bdy = d, vx-ux, vy-uy
				}
				ux, uy = vx, vy
			}
		}
	}
	if best <= onEdgeEps*onEdgeEps {
		return keepShared && dx*bdx+dy*bdy > 0
	}
	for _, poly := range q {
		in := false
		for _, xy := range poly {
			if ringCrossings(xy, mx, my) {
				in = !in
			}
		}
		if in {
			return true
		}
	}
	return false
}
