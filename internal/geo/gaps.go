package geo

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// Gap is an area enclosed by a set of polygons but covered by none of them:
// a hole in their union. Parts lists the indices (into the input) of the
// polygons whose boundary runs along the gap, ascending.
type Gap struct {
	Ring   orb.Ring // closed, clockwise
	AreaM2 float64
	Parts  []int
	At     orb.Point // a vertex of the gap, for messages
}

// Gaps returns the holes in the union of parts with an area above
// minAreaM2, largest first. parts should be valid and must not overlap
// (see Validate and OverlapAreaM2); a polygon's own hole that no other part
// fills is a gap too.
//
// Method: every ring is oriented (shells counter-clockwise, holes
// clockwise) and cut into directed edges; an edge is split wherever another
// part's vertex lies exactly on it (T-junctions, decided by the exact
// orientation predicate); an edge cancels against the same edge run the
// other way by a neighbour, which is what a shared boundary is. The
// remaining edges are the union's boundary with the covered side on their
// left; they are chained into rings, turning as far right as possible at a
// vertex where several continue, which hugs the uncovered side (so two gaps
// touching at a point, or a gap touching the outline, come apart). Counter-clockwise rings are outer boundaries, clockwise ones are
// gaps. Boundaries digitised independently (no shared vertices) do not
// cancel and produce no ring for the sliver between them: only enclosed
// holes are found.
func Gaps(parts []orb.MultiPolygon, minAreaM2 float64) []Gap {
	type edge struct {
		a, b orb.Point
		part int
	}
	var edges []edge
	var verts []orb.Point
	for pi, mp := range parts {
		for _, poly := range mp {
			for ri, r := range poly {
				pts := distinctRing(r)
				if len(pts) < 3 {
					continue
				}
				if (ringArea2(pts) > 0) != (ri == 0) {
					slices.Reverse(pts)
				}
				for k := range pts {
					edges = append(edges, edge{pts[k], pts[(k+1)%len(pts)], pi})
				}
				verts = append(verts, pts...)
			}
		}
	}
	if len(edges) == 0 {
		return nil
	}
	// T-junctions: split each edge at vertices lying strictly inside it.
	slices.SortFunc(verts, func(p, q orb.Point) int { return cmp.Or(cmp.Compare(p[0], q[0]), cmp.Compare(p[1], q[1])) })
	verts = slices.Compact(verts)
	var split []edge
	var on []orb.Point
	for _, e := range edges {
		minX, maxX := math.Min(e.a[0], e.b[0]), math.Max(e.a[0], e.b[0])
		minY, maxY := math.Min(e.a[1], e.b[1]), math.Max(e.a[1], e.b[1])
		i, _ := slices.BinarySearchFunc(verts, minX, func(p orb.Point, x float64) int { return cmp.Compare(p[0], x) })
		on = on[:0]
		for ; i < len(verts) && verts[i][0] <= maxX; i++ {
			v := verts[i]
			if v[1] < minY || v[1] > maxY || v == e.a || v == e.b {
				continue
			}
			if orient(e.a[0], e.a[1], e.b[0], e.b[1], v[0], v[1]) == 0 {
				on = append(on, v)
			}
		}
		if len(on) == 0 {
			split = append(split, e)
			continue
		}
		d := orb.Point{e.b[0] - e.a[0], e.b[1] - e.a[1]}
		slices.SortFunc(on, func(p, q orb.Point) int {
			return cmp.Compare((p[0]-e.a[0])*d[0]+(p[1]-e.a[1])*d[1], (q[0]-e.a[0])*d[0]+(q[1]-e.a[1])*d[1])
		})
		prev := e.a
		for _, v := range on {
			split = append(split, edge{prev, v, e.part})
			prev = v
		}
		split = append(split, edge{prev, e.b, e.part})
	}
	// Cancel shared edges run both ways: of n copies of a→b and m of b→a,
	// min(n, m) pairs cancel and the rest remain.
	type key [2]orb.Point
	count := map[key]int{}
	for _, e := range split {
		count[key{e.a, e.b}]++
	}
	remain := map[key]int{}
	for _, e := range split {
		k := key{e.a, e.b}
		if _, ok := remain[k]; !ok {
			remain[k] = count[k] - min(count[k], count[key{e.b, e.a}])
		}
	}
	var rest []edge
	for _, e := range split {
		if k := (key{e.a, e.b}); remain[k] > 0 {
			remain[k]--
			rest = append(rest, e)
		}
	}
	// Chain into rings.
	out := map[orb.Point][]int{}
	for i, e := range rest {
		out[e.a] = append(out[e.a], i)
	}
	used := make([]bool, len(rest))
	type ring struct {
		pts   []orb.Point
		xy    []float64
		area  float64
		parts []int
	}
	var shells, holes []ring
	for s := range rest {
		if used[s] {
			continue
		}
		chain := []int{s}
		used[s] = true
		closed := false
		for cur := s; ; {
			e := rest[cur]
			best, bestAng := -1, 10.0
			back := math.Atan2(e.a[1]-e.b[1], e.a[0]-e.b[0])
			for _, c := range out[e.b] {
				if used[c] && c != s {
					continue
				}
				f := rest[c]
				ang := math.Atan2(f.b[1]-f.a[1], f.b[0]-f.a[0]) - back
				for ang <= 0 {
					ang += 2 * math.Pi
				}
				for ang > 2*math.Pi {
					ang -= 2 * math.Pi
				}
				if ang < bestAng {
					best, bestAng = c, ang
				}
			}
			if best < 0 {
				break // dangling: inconsistent topology, no ring
			}
			if best == s {
				closed = true
				break
			}
			used[best] = true
			chain = append(chain, best)
			cur = best
		}
		if !closed || len(chain) < 3 {
			continue
		}
		r := ring{pts: make([]orb.Point, 0, len(chain))}
		for _, i := range chain {
			r.pts = append(r.pts, rest[i].a)
			r.parts = append(r.parts, rest[i].part)
		}
		r.xy = flatXY(r.pts)
		r.area = AreaM2(orb.MultiPolygon{{append(orb.Ring(slices.Clone(r.pts)), r.pts[0])}})
		if ringArea2(r.pts) >= 0 {
			shells = append(shells, r) // an outer boundary of (a piece of) the union
		} else {
			holes = append(holes, r)
		}
	}
	// A piece of the union inside a hole (an island: a grid surrounded by
	// nobody's land) is not part of the gap: its area comes off the
	// innermost hole around it, and it bounds that gap too.
	for _, sh := range shells {
		best := -1
		for hi, h := range holes {
			if best >= 0 && h.area >= holes[best].area {
				continue
			}
			for _, p := range sh.pts {
				if rel := pointInRing(p, h.pts, h.xy); rel != onBoundary {
					if rel == inside {
						best = hi
					}
					break
				}
			}
		}
		if best >= 0 {
			holes[best].area -= sh.area
			holes[best].parts = append(holes[best].parts, sh.parts...)
		}
	}
	var gaps []Gap
	for _, h := range holes {
		if h.area <= minAreaM2 {
			continue
		}
		slices.Sort(h.parts)
		gaps = append(gaps, Gap{Ring: append(orb.Ring(h.pts), h.pts[0]), AreaM2: h.area, Parts: slices.Compact(h.parts), At: lowestLeft(h.pts)})
	}
	slices.SortStableFunc(gaps, func(x, y Gap) int {
		return cmp.Or(cmp.Compare(y.AreaM2, x.AreaM2), cmp.Compare(x.At[0], y.At[0]), cmp.Compare(x.At[1], y.At[1]))
	})
	return gaps
}

// ringArea2 is twice the signed area in degree space (positive = CCW);
// only its sign is used, which the projection to metres preserves.
func ringArea2(pts []orb.Point) float64 {
	s := 0.0
	n := len(pts)
	o := pts[0]
	for i := range n {
		p, q := pts[i], pts[(i+1)%n]
		s += (p[0]-o[0])*(q[1]-o[1]) - (q[0]-o[0])*(p[1]-o[1])
	}
	return s
}

func lowestLeft(pts []orb.Point) orb.Point {
	best := pts[0]
	for _, p := range pts[1:] {
		if p[0] < best[0] || (p[0] == best[0] && p[1] < best[1]) {
			best = p
		}
	}
	return best
}
