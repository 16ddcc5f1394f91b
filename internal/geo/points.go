package geo

import (
	"cmp"
	"math"
	"slices"

	"github.com/tidwall/rtree"
)

// Point is an indexed WGS-84 location with the caller's ID (a component,
// an address).
type Point struct {
	ID       int64
	Lat, Lng float64
}

// PointHit is a point found near a query, with its distance in metres.
type PointHit struct {
	Point
	Meters float64
}

// PointIndex answers "what is near here" over points. It is immutable once
// built and safe for concurrent use.
type PointIndex struct {
	tree rtree.RTreeG[int32]
	pts  []Point
}

// NewPointIndex builds an index over pts (copied). Points with non-finite
// or out-of-range coordinates are left out.
func NewPointIndex(pts []Point) *PointIndex {
	ix := &PointIndex{pts: make([]Point, 0, len(pts))}
	for _, p := range pts {
		if !(p.Lat >= -90 && p.Lat <= 90 && p.Lng >= -180 && p.Lng <= 180) {
			continue
		}
		ix.tree.Insert([2]float64{p.Lng, p.Lat}, [2]float64{p.Lng, p.Lat}, int32(len(ix.pts)))
		ix.pts = append(ix.pts, p)
	}
	return ix
}

// Len is the number of points indexed.
func (ix *PointIndex) Len() int { return len(ix.pts) }

// Within returns up to limit points within maxMeters of (lat, lng), nearest
// first (ties by ID), keeping only those accept allows (nil accepts all).
// limit ≤ 0 means no limit.
func (ix *PointIndex) Within(lat, lng, maxMeters float64, limit int, accept func(id int64) bool) []PointHit {
	if ix == nil || !(maxMeters >= 0) || math.IsInf(maxMeters, 0) || math.IsNaN(lat) || math.IsNaN(lng) {
		return nil
	}
	kx, ky := metersPerDegree(lat)
	dLat := maxMeters / ky * 1.01
	dLng := 360.0
	if kx > 1e-9 {
		dLng = maxMeters / kx * 1.01
	}
	var hits []PointHit
	ix.tree.Search([2]float64{lng - dLng, lat - dLat}, [2]float64{lng + dLng, lat + dLat},
		func(_, _ [2]float64, i int32) bool {
			p := ix.pts[i]
			if accept != nil && !accept(p.ID) {
				return true
			}
			dx, dy := (p.Lng-lng)*kx, (p.Lat-lat)*ky
			if d := math.Hypot(dx, dy); d <= maxMeters {
				hits = append(hits, PointHit{p, d})
			}
			return true
		})
	slices.SortFunc(hits, func(a, b PointHit) int { return cmp.Or(cmp.Compare(a.Meters, b.Meters), cmp.Compare(a.ID, b.ID)) })
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// Nearest returns the nearest accepted point within maxMeters.
func (ix *PointIndex) Nearest(lat, lng, maxMeters float64, accept func(id int64) bool) (PointHit, bool) {
	hits := ix.Within(lat, lng, maxMeters, 1, accept)
	if len(hits) == 0 {
		return PointHit{}, false
	}
	return hits[0], true
}

// DistanceM is the distance in metres between two nearby WGS-84 points
// (local equirectangular projection at their mean latitude: well under
// 0.1% error up to tens of kilometres).
func DistanceM(lat1, lng1, lat2, lng2 float64) float64 {
	kx, ky := metersPerDegree((lat1 + lat2) / 2)
	return math.Hypot((lng2-lng1)*kx, (lat2-lat1)*ky)
}
