package geo

import (
	"math/big"
	"math/rand/v2"

	"github.com/paulmach/orb"
)

// Pilot area used by benchmarks and fixtures.
const (
	pilotLat = 27.73
	pilotLng = 111.99
)

// gridMesh tiles an nx×ny block of roughly cellM-metre cells with its
// south-west corner at (lat0, lng0): interior corners are jittered and each
// cell edge carries 0–2 extra vertices (≥1 on horizontal edges), shared
// bit-for-bit by both neighbours, so cells have 6–12 vertices, are often
// concave, and form an exact planar partition. IDs are 1..nx*ny.
func gridMesh(rng *rand.Rand, nx, ny int, cellM, lat0, lng0 float64) []Feature {
	kx, ky := metersPerDegree(lat0)
	dLng, dLat := cellM/kx, cellM/ky
	corner := make([][]orb.Point, nx+1)
	for i := range corner {
		corner[i] = make([]orb.Point, ny+1)
		for j := range corner[i] {
			jx, jy := 0.0, 0.0
			if i > 0 && i < nx {
				jx = (rng.Float64() - 0.5) * 0.3
			}
			if j > 0 && j < ny {
				jy = (rng.Float64() - 0.5) * 0.3
			}
			corner[i][j] = orb.Point{lng0 + (float64(i)+jx)*dLng, lat0 + (float64(j)+jy)*dLat}
		}
	}
	// Extra vertices along an edge a→b, offset sideways (not on the outer hull).
	extra := func(a, b orb.Point, k int, boundary bool) []orb.Point {
		var pts []orb.Point
		for s := 1; s <= k; s++ {
			t := float64(s) / float64(k+1)
			p := orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}
			if !boundary {
				off := (rng.Float64() - 0.5) * 0.15
				// perpendicular in degree space is fine for a jitter
				p[0] += -(b[1] - a[1]) * off
				p[1] += (b[0] - a[0]) * off
			}
			pts = append(pts, p)
		}
		return pts
	}
	hEdge := make([][][]orb.Point, nx) // hEdge[i][j]: corner(i,j)→corner(i+1,j)
	for i := range hEdge {
		hEdge[i] = make([][]orb.Point, ny+1)
		for j := range hEdge[i] {
			hEdge[i][j] = extra(corner[i][j], corner[i+1][j], 1+rng.IntN(2), j == 0 || j == ny)
		}
	}
	vEdge := make([][][]orb.Point, nx+1) // vEdge[i][j]: corner(i,j)→corner(i,j+1)
	for i := range vEdge {
		vEdge[i] = make([][]orb.Point, ny)
		for j := range vEdge[i] {
			vEdge[i][j] = extra(corner[i][j], corner[i][j+1], rng.IntN(3), i == 0 || i == nx)
		}
	}
	var feats []Feature
	for j := range ny {
		for i := range nx {
			r := orb.Ring{corner[i][j]}
			r = append(r, hEdge[i][j]...)
			r = append(r, corner[i+1][j])
			r = append(r, vEdge[i+1][j]...)
			r = append(r, corner[i+1][j+1])
			r = append(r, reversed(hEdge[i][j+1])...)
			r = append(r, corner[i][j+1])
			r = append(r, reversed(vEdge[i][j])...)
			r = append(r, corner[i][j])
			feats = append(feats, Feature{ID: int64(j*nx + i + 1), Geom: orb.MultiPolygon{{r}}})
		}
	}
	return feats
}

func reversed(p []orb.Point) []orb.Point {
	out := make([]orb.Point, len(p))
	for i := range p {
		out[i] = p[len(p)-1-i]
	}
	return out
}

// squareM returns an axis-aligned square of side m metres, south-west corner
// at (lat, lng), closed and counter-clockwise.
func squareM(lat, lng, m float64) orb.MultiPolygon {
	kx, ky := metersPerDegree(lat)
	return rect(lng, lat, lng+m/kx, lat+m/ky)
}

func rect(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// oracleContains is an independent, exact (big.Rat) even-odd test with the
// same half-open rule as the index: an edge counts if exactly one endpoint
// has y > py and px < x-intercept at py. Rings are read as closed; any
// polygon of the MultiPolygon containing the point suffices.
func oracleContains(mp orb.MultiPolygon, px, py float64) bool {
	x, y := new(big.Rat).SetFloat64(px), new(big.Rat).SetFloat64(py)
	for _, poly := range mp {
		in := false
		for _, r := range poly {
			n := len(r)
			for i := range n {
				a, b := r[i], r[(i+1)%n]
				if (a[1] > py) == (b[1] > py) {
					continue
				}
				ax, ay := new(big.Rat).SetFloat64(a[0]), new(big.Rat).SetFloat64(a[1])
				bx, by := new(big.Rat).SetFloat64(b[0]), new(big.Rat).SetFloat64(b[1])
				// xi = ax + (bx-ax)*(y-ay)/(by-ay)
				num := new(big.Rat).Mul(new(big.Rat).Sub(bx, ax), new(big.Rat).Sub(y, ay))
				xi := new(big.Rat).Add(ax, num.Quo(num, new(big.Rat).Sub(by, ay)))
				if x.Cmp(xi) < 0 {
					in = !in
				}
			}
		}
		if in {
			return true
		}
	}
	return false
}

// oracleLocate is the linear scan: lowest ID among containing features.
func oracleLocate(fs []Feature, lat, lng float64) (int64, bool) {
	var best int64
	found := false
	for _, f := range fs {
		if (!found || f.ID < best) && oracleContains(f.Geom, lng, lat) {
			best, found = f.ID, true
		}
	}
	return best, found
}
