package geo

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/tidwall/rtree"
)

// Feature is one indexed area (a grid), in WGS-84 lng/lat (orb.Point{lng, lat}).
type Feature struct {
	ID   int64
	Geom orb.MultiPolygon
}

// Index answers "which grid contains this point". It is immutable once
// built and safe for concurrent use.
//
// Geometry is flattened into one []float64 (x,y pairs) with offset tables,
// so a lookup touches a few contiguous cache lines and allocates nothing.
// Candidates come from bounding boxes: an R-tree for radius queries
// (Nearest), and for Locate a bucket grid (see cellGrid) plus an R-tree of
// the few features too large for it.
type Index struct {
	tree    rtree.RTreeG[int32] // all features: bbox → feature position
	big     rtree.RTreeG[int32] // features not in grid
	grid    cellGrid
	bbox    [][4]float64 // feature position → minX, minY, maxX, maxY
	ids     []int64      // feature position → ID
	featOff []int        // feature f owns polygons featOff[f]:featOff[f+1]
	polyOff []int        // polygon p owns rings polyOff[p]:polyOff[p+1]
	ringOff []int        // ring r owns xy[ringOff[r]:ringOff[r+1]]
	xy      []float64    // x0,y0,x1,y1,… with the closing point dropped
}

// NewIndex builds an index over features (the slice is not retained).
// Features with no coordinates or with non-finite ones are kept for Len but
// never match. Duplicate IDs are allowed; they simply report the same ID.
func NewIndex(features []Feature) *Index {
	ix := &Index{
		ids:     make([]int64, len(features)),
		featOff: make([]int, 1, len(features)+1),
		polyOff: []int{0},
		ringOff: []int{0},
		bbox:    make([][4]float64, len(features)),
	}
	var indexed []int32
	npts := 0
	for _, f := range features {
		for _, p := range f.Geom {
			for _, r := range p {
				npts += len(r)
			}
		}
	}
	ix.xy = make([]float64, 0, 2*npts)

	for fi, f := range features {
		ix.ids[fi] = f.ID
		minX, minY := math.Inf(1), math.Inf(1)
		maxX, maxY := math.Inf(-1), math.Inf(-1)
		finite := true
		for _, p := range f.Geom {
			for _, r := range p {
				n := len(r)
				if n > 1 && r[0] == r[n-1] {
					n-- // the implicit closing edge makes it redundant
				}
				for _, pt := range r[:n] {
					x, y := pt[0], pt[1]
					if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
						finite = false
					}
					minX, maxX = math.Min(minX, x), math.Max(maxX, x)
					minY, maxY = math.Min(minY, y), math.Max(maxY, y)
					ix.xy = append(ix.xy, x, y)
				}
				ix.ringOff = append(ix.ringOff, len(ix.xy))
			}
			ix.polyOff = append(ix.polyOff, len(ix.ringOff)-1)
		}
		ix.featOff = append(ix.featOff, len(ix.polyOff)-1)
		ix.bbox[fi] = [4]float64{minX, minY, maxX, maxY}
		if finite && minX <= maxX {
			ix.tree.Insert([2]float64{minX, minY}, [2]float64{maxX, maxY}, int32(fi))
			indexed = append(indexed, int32(fi))
		}
	}
	var big []int32
	ix.grid, big = buildGrid(ix.bbox, ix.ids, indexed)
	for _, fi := range big {
		b := ix.bbox[fi]
		ix.big.Insert([2]float64{b[0], b[1]}, [2]float64{b[2], b[3]}, fi)
	}
	return ix
}

// Len is the number of features the index was built from.
func (ix *Index) Len() int { return len(ix.ids) }

// Locate returns the feature containing the WGS-84 point. Boundary rule
// (half-open, the crossing-number convention): a point on an edge belongs to
// the polygon lying to its right / above it, i.e. left and bottom edges are
// inclusive, right and top edges exclusive; a vertex shared by four squares
// belongs to the one whose bottom-left corner it is. Because every side test
// is exact, adjacent grids that share vertices never both claim a point, nor
// both miss it. If features overlap (invalid data) the lowest ID wins.
func (ix *Index) Locate(lat, lng float64) (id int64, ok bool) {
	best := int32(-1)
	for _, fi := range ix.grid.bucket(lng, lat) {
		b := &ix.bbox[fi]
		if lng < b[0] || lng > b[2] || lat < b[1] || lat > b[3] {
			continue
		}
		if ix.contains(int(fi), lng, lat) {
			best = fi
			break // buckets are ID-ordered: this is the lowest-ID hit
		}
	}
	if ix.big.Len() > 0 {
		p := [2]float64{lng, lat}
		ix.big.Search(p, p, func(_, _ [2]float64, fi int32) bool {
			if best >= 0 && ix.ids[fi] >= ix.ids[best] {
				return true // cannot win the tie-break; skip the polygon test
			}
			if ix.contains(int(fi), lng, lat) {
				best = fi
			}
			return true
		})
	}
	if best < 0 {
		return 0, false
	}
	return ix.ids[best], true
}

// contains: a MultiPolygon contains the point if any of its polygons does;
// a polygon does if the point crosses an odd number of its ring edges
// (holes therefore exclude).
func (ix *Index) contains(fi int, x, y float64) bool {
	for p := ix.featOff[fi]; p < ix.featOff[fi+1]; p++ {
		in := false
		for r := ix.polyOff[p]; r < ix.polyOff[p+1]; r++ {
			if ringCrossings(ix.xy[ix.ringOff[r]:ix.ringOff[r+1]], x, y) {
				in = !in
			}
		}
		if in {
			return true
		}
	}
	return false
}

// ringCrossings reports whether a ray from (px,py) towards +x crosses the
// (implicitly closed) ring an odd number of times.
//
// Half-open rule: an edge counts if exactly one endpoint has y > py (so a
// vertex at the ray's height is treated as lying below it), and the point is
// strictly left of the edge. This is the classic PNPOLY convention, which
// behaves as if the point were nudged infinitesimally up and to the right;
// such a nudged point lies inside exactly one face of any planar partition.
// The left-of test is an exact orientation on the edge taken bottom→top, so
// both grids sharing an edge reach the same verdict.
func ringCrossings(xy []float64, px, py float64) bool {
	n := len(xy)
	if n < 6 {
		return false // fewer than 3 points enclose nothing
	}
	odd := false
	x0, y0 := xy[n-2], xy[n-1]
	for i := 0; i < n; i += 2 {
		x1, y1 := xy[i], xy[i+1]
		if (y1 > py) != (y0 > py) {
			// Orient the edge bottom→top independently of ring direction.
			ax, ay, bx, by := x0, y0, x1, y1
			if y0 > y1 {
				ax, ay, bx, by = x1, y1, x0, y0
			}
			switch {
			case px < ax && px < bx:
				odd = !odd
			case px >= ax && px >= bx:
				// right of (or on) the edge
			case orient(ax, ay, bx, by, px, py) > 0:
				odd = !odd
			}
		}
		x0, y0 = x1, y1
	}
	return odd
}

// Nearest returns the feature nearest to the point among those within
// maxMeters, with the distance in metres: 0 when the point is inside a
// feature (ties go to the lowest ID), else the distance to its boundary.
// Distances use a local equirectangular projection at the query latitude on
// the WGS-84 ellipsoid, accurate to well under 0.1% at the kilometre scale.
func (ix *Index) Nearest(lat, lng float64, maxMeters float64) (id int64, meters float64, ok bool) {
	if !(maxMeters >= 0) || math.IsNaN(lat) || math.IsNaN(lng) || math.IsInf(maxMeters, 0) {
		return 0, 0, false
	}
	kx, ky := metersPerDegree(lat)
	// Pad the search box by 1% for scale change across it.
	dLat := maxMeters / ky * 1.01
	dLng := 360.0
	if kx > 1e-9 {
		dLng = maxMeters / kx * 1.01
	}
	best := int32(-1)
	bestD2 := maxMeters * maxMeters
	ix.tree.Search([2]float64{lng - dLng, lat - dLat}, [2]float64{lng + dLng, lat + dLat},
		func(_, _ [2]float64, fi int32) bool {
			d2 := ix.dist2(int(fi), lng, lat, kx, ky)
			if d2 < bestD2 || (d2 == bestD2 && (best < 0 || ix.ids[fi] < ix.ids[best])) {
				best, bestD2 = fi, d2
			}
			return true
		})
	if best < 0 {
		return 0, 0, false
	}
	return ix.ids[best], math.Sqrt(bestD2), true
}

// LocateTolerant is Locate, falling back to Nearest within tolMeters for
// points just outside every grid (GPS noise, gaps between grids).
func (ix *Index) LocateTolerant(lat, lng, tolMeters float64) (id int64, exact bool, ok bool) {
	if id, ok := ix.Locate(lat, lng); ok {
		return id, true, true
	}
	if tolMeters > 0 {
		if id, _, ok := ix.Nearest(lat, lng, tolMeters); ok {
			return id, false, true
		}
	}
	return 0, false, false
}

// dist2 is the squared distance in m² from (px,py) to feature fi: 0 inside.
func (ix *Index) dist2(fi int, px, py, kx, ky float64) float64 {
	if ix.contains(fi, px, py) {
		return 0
	}
	best := math.Inf(1)
	for r := ix.polyOff[ix.featOff[fi]]; r < ix.polyOff[ix.featOff[fi+1]]; r++ {
		xy := ix.xy[ix.ringOff[r]:ix.ringOff[r+1]]
		n := len(xy)
		if n == 0 {
			continue
		}
		x0, y0 := (xy[n-2]-px)*kx, (xy[n-1]-py)*ky
		for i := 0; i < n; i += 2 {
			x1, y1 := (xy[i]-px)*kx, (xy[i+1]-py)*ky
			if d := segDist2Origin(x0, y0, x1, y1); d < best {
				best = d
			}
			x0, y0 = x1, y1
		}
	}
	return best
}

// segDist2Origin is the squared distance from the origin to segment a–b.
func segDist2Origin(ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = -(ax*dx + ay*dy) / l2
		t = math.Max(0, math.Min(1, t))
	}
	x, y := ax+t*dx, ay+t*dy
	return x*x + y*y
}

// WGS-84 ellipsoid, for metre conversions.
const (
	wgs84A  = 6378137.0
	wgs84F  = 1 / 298.257223563
	wgs84E2 = wgs84F * (2 - wgs84F)
)

// metersPerDegree returns metres per degree of longitude and latitude at lat
// (prime-vertical and meridional radii of curvature).
func metersPerDegree(lat float64) (kx, ky float64) {
	s, c := math.Sincos(lat * math.Pi / 180)
	w := 1 - wgs84E2*s*s
	n := wgs84A / math.Sqrt(w)
	m := wgs84A * (1 - wgs84E2) / (w * math.Sqrt(w))
	return n * c * math.Pi / 180, m * math.Pi / 180
}
