package demo

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// The demo district's geometry is a jittered lattice in metres around the
// seat. A coarse lattice (coarseSize) covers the whole district; each coarse
// cell outside the urban block is one township grid. The urban block (two
// coarse cells side by side, centred on the seat) is subdivided into a fine
// lattice of urbanKX×urbanKY cells per coarse cell, one urban grid each. Fine
// vertices on the block's outline lie on the straight coarse edges and are
// repeated in the neighbouring township rings, so neighbours share exact
// vertices and edges: no overlaps and no gaps.
const (
	coarseSize   = 2500.0 // metres
	coarseJitter = 0.18   // fraction of coarseSize, each axis
	urbanKX      = 12     // fine columns per coarse cell
	urbanKY      = 11     // fine rows per coarse cell
	fineJitter   = 0.12   // fraction of a fine cell, each axis
	latticeMin   = -7     // coarse cell indices run over [latticeMin, latticeMax)
	latticeMax   = 7
	targetAreaM2 = 630e6

	earthRadius = 6371008.8
	coordScale  = 1e7 // coordinates are rounded to 1e-7 degree (about 1 cm)
)

// The urban block is coarse cells (urbanI0..urbanI0+urbanW-1, 0).
const (
	urbanI0 = -1
	urbanW  = 2
)

type pt struct{ x, y float64 } // metres east and north of the seat

func (a pt) dist(b pt) float64 { return math.Hypot(a.x-b.x, a.y-b.y) }

// lerp interpolates from a (t=0) to b (t=1), returning the end points
// exactly so that vertices shared along a lattice edge stay bit-identical.
func lerp(a, b pt, t float64) pt {
	switch t {
	case 0:
		return a
	case 1:
		return b
	}
	return pt{a.x + (b.x-a.x)*t, a.y + (b.y-a.y)*t}
}

// cell is one future unit grid.
type cell struct {
	ring   []pt // counter-clockwise, not closed
	centre pt
	urban  bool
	adj    []int // indices of cells sharing an edge, same lattice only
}

// lattice is the generated geometry before it is cut into streets.
type lattice struct {
	cells []cell
	urban []int // indices of urban cells
	rural []int // indices of township cells
}

type coarseIdx struct{ i, j int }

func isUrbanCoarse(c coarseIdx) bool {
	return c.j == 0 && c.i >= urbanI0 && c.i < urbanI0+urbanW
}

func buildLattice(rng *rand.Rand) *lattice {
	n := latticeMax - latticeMin + 1 // vertices per axis
	// Coarse vertices, jittered.
	cv := make([]pt, n*n)
	at := func(i, j int) *pt { return &cv[(j-latticeMin)*n+(i-latticeMin)] }
	for j := latticeMin; j <= latticeMax; j++ {
		for i := latticeMin; i <= latticeMax; i++ {
			dx := (rng.Float64()*2 - 1) * coarseJitter * coarseSize
			dy := (rng.Float64()*2 - 1) * coarseJitter * coarseSize
			*at(i, j) = pt{float64(i)*coarseSize + dx, (float64(j)-0.5)*coarseSize + dy}
		}
	}
	quad := func(c coarseIdx) [4]pt {
		return [4]pt{*at(c.i, c.j), *at(c.i+1, c.j), *at(c.i+1, c.j+1), *at(c.i, c.j+1)}
	}

	// Fine vertices of the urban block: bilinear in their coarse cell,
	// jittered unless on the block outline.
	fw, fh := urbanW*urbanKX, urbanKY
	fv := make([]pt, (fw+1)*(fh+1))
	fat := func(p, q int) pt { return fv[q*(fw+1)+p] }
	fx := coarseSize / urbanKX
	fy := coarseSize / urbanKY
	for q := 0; q <= fh; q++ {
		for p := 0; p <= fw; p++ {
			ci := min(p/urbanKX, urbanW-1)
			u := float64(p-ci*urbanKX) / urbanKX
			v := float64(q) / urbanKY
			c := quad(coarseIdx{urbanI0 + ci, 0})
			pos := lerp(lerp(c[0], c[1], u), lerp(c[3], c[2], u), v)
			if p > 0 && p < fw && q > 0 && q < fh {
				pos.x += (rng.Float64()*2 - 1) * fineJitter * fx
				pos.y += (rng.Float64()*2 - 1) * fineJitter * fy
			}
			fv[q*(fw+1)+p] = pos
		}
	}

	lat := &lattice{}
	// Urban cells, row by row from the south-west.
	for q := range fh {
		for p := range fw {
			ring := []pt{fat(p, q), fat(p+1, q), fat(p+1, q+1), fat(p, q+1)}
			idx := len(lat.cells)
			var adj []int
			if p > 0 {
				adj = append(adj, idx-1)
			}
			if p < fw-1 {
				adj = append(adj, idx+1)
			}
			if q > 0 {
				adj = append(adj, idx-fw)
			}
			if q < fh-1 {
				adj = append(adj, idx+fw)
			}
			lat.cells = append(lat.cells, cell{ring: ring, centre: centroid(ring), urban: true, adj: adj})
			lat.urban = append(lat.urban, idx)
		}
	}

	// Township cells: grow outwards from the urban block, taking the
	// frontier cell with the lowest wobbly radial score until the district
	// reaches its area.
	score := func(c coarseIdx) float64 {
		q := quad(c)
		m := centroid(q[:])
		th := math.Atan2(m.y, m.x)
		r := 1 + 0.22*math.Sin(2*th+0.9) + 0.12*math.Sin(3*th+2.1) + 0.06*math.Sin(5*th+0.4)
		return math.Hypot(m.x, m.y) / r
	}
	inRange := func(c coarseIdx) bool {
		return c.i >= latticeMin && c.i < latticeMax && c.j >= latticeMin && c.j < latticeMax
	}
	neighbours := func(c coarseIdx) [4]coarseIdx {
		return [4]coarseIdx{{c.i, c.j - 1}, {c.i + 1, c.j}, {c.i, c.j + 1}, {c.i - 1, c.j}}
	}
	selected := map[coarseIdx]bool{}
	area := 0.0
	for i := urbanI0; i < urbanI0+urbanW; i++ {
		c := coarseIdx{i, 0}
		selected[c] = true
		q := quad(c)
		area += ringArea(q[:])
	}
	var order []coarseIdx // township cells in the order taken
	for {
		best, bestScore := coarseIdx{}, math.Inf(1)
		for _, s := range append(slices.Clone(order), coarseIdx{urbanI0, 0}, coarseIdx{urbanI0 + 1, 0}) {
			for _, nb := range neighbours(s) {
				if !inRange(nb) || selected[nb] {
					continue
				}
				if sc := score(nb); sc < bestScore {
					best, bestScore = nb, sc
				}
			}
		}
		if math.IsInf(bestScore, 1) {
			break
		}
		q := quad(best)
		a := ringArea(q[:])
		if area+a/2 > targetAreaM2 {
			break
		}
		selected[best], area = true, area+a
		order = append(order, best)
	}
	// Fill enclosed holes so the district has a single outline.
	for changed := true; changed; {
		changed = false
		for j := latticeMin; j < latticeMax; j++ {
			for i := latticeMin; i < latticeMax; i++ {
				c := coarseIdx{i, j}
				if selected[c] {
					continue
				}
				enclosed := true
				for _, nb := range neighbours(c) {
					enclosed = enclosed && selected[nb]
				}
				if enclosed {
					selected[c] = true
					order = append(order, c)
					changed = true
				}
			}
		}
	}
	// Township cells in a fixed order: south to north, west to east.
	slices.SortFunc(order, func(a, b coarseIdx) int {
		if a.j != b.j {
			return a.j - b.j
		}
		return a.i - b.i
	})
	index := map[coarseIdx]int{}
	for _, c := range order {
		index[c] = len(lat.cells) + len(index)
	}
	// fineOn returns the fine vertex at coarse vertex (i, j) of the urban
	// block outline.
	fineOn := func(i, j int) (p, q int) { return (i - urbanI0) * urbanKX, j * urbanKY }
	for _, c := range order {
		corners := [4]coarseIdx{{c.i, c.j}, {c.i + 1, c.j}, {c.i + 1, c.j + 1}, {c.i, c.j + 1}}
		var ring []pt
		var adj []int
		for k, nb := range neighbours(c) { // edge k runs corners[k] → corners[k+1]
			a, b := corners[k], corners[(k+1)%4]
			if isUrbanCoarse(nb) {
				// The edge is on the urban outline: walk its fine vertices.
				p0, q0 := fineOn(a.i, a.j)
				p1, q1 := fineOn(b.i, b.j)
				steps := max(abs(p1-p0), abs(q1-q0))
				for s := range steps {
					ring = append(ring, fat(p0+(p1-p0)*s/steps, q0+(q1-q0)*s/steps))
				}
				continue
			}
			ring = append(ring, *at(a.i, a.j))
			if x, ok := index[nb]; ok {
				adj = append(adj, x)
			}
		}
		lat.rural = append(lat.rural, len(lat.cells))
		lat.cells = append(lat.cells, cell{ring: ring, centre: centroid(ring), adj: adj})
	}
	return lat
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// centroid is the area centroid of a simple polygon.
func centroid(ring []pt) pt {
	var a, cx, cy float64
	for k := range ring {
		p, q := ring[k], ring[(k+1)%len(ring)]
		w := p.x*q.y - q.x*p.y
		a += w
		cx += (p.x + q.x) * w
		cy += (p.y + q.y) * w
	}
	return pt{cx / (3 * a), cy / (3 * a)}
}

// ringArea is the signed shoelace area, positive when counter-clockwise.
func ringArea(ring []pt) float64 {
	var a float64
	for k := range ring {
		p, q := ring[k], ring[(k+1)%len(ring)]
		a += p.x*q.y - q.x*p.y
	}
	return a / 2
}

// partition splits the connected node set nodes of cells into len(seeds)
// contiguous regions: the smallest region that can grow takes one more
// adjacent node per turn, preferring nodes near its seed. Regions are
// returned in seed order; each lists its nodes in the order taken.
func partition(cells []cell, nodes, seeds []int, rng *rand.Rand) [][]int {
	state := make([]int, len(cells)) // -2 outside, -1 free, else region
	for i := range state {
		state[i] = -2
	}
	for _, n := range nodes {
		state[n] = -1
	}
	regions := make([][]int, len(seeds))
	for r, s := range seeds {
		if state[s] != -1 {
			panic("demo: partition: bad seed")
		}
		state[s] = r
		regions[r] = []int{s}
	}
	seen := make([]int, len(cells))
	stamp := 0
	frontier := func(r int) []int {
		stamp++
		var out []int
		for _, m := range regions[r] {
			for _, n := range cells[m].adj {
				if state[n] == -1 && seen[n] != stamp {
					seen[n] = stamp
					out = append(out, n)
				}
			}
		}
		return out
	}
	for left := len(nodes) - len(seeds); left > 0; left-- {
		best := -1
		var cand []int
		for r := range regions {
			if best >= 0 && len(regions[r]) >= len(regions[best]) {
				continue
			}
			if f := frontier(r); len(f) > 0 {
				best, cand = r, f
			}
		}
		if best < 0 {
			panic("demo: partition: cells not connected")
		}
		seed := cells[seeds[best]].centre
		pick, pickScore := -1, 0.0
		for _, n := range cand {
			if s := cells[n].centre.dist(seed) * (1 + 0.4*rng.Float64()); pick < 0 || s < pickScore {
				pick, pickScore = n, s
			}
		}
		state[pick] = best
		regions[best] = append(regions[best], pick)
	}
	return regions
}

// spreadSeeds picks k nodes far from each other: the node farthest from
// the nodes' mean first, then each time the node farthest from those taken.
func spreadSeeds(cells []cell, nodes []int, k int) []int {
	var m pt
	for _, n := range nodes {
		m.x += cells[n].centre.x / float64(len(nodes))
		m.y += cells[n].centre.y / float64(len(nodes))
	}
	far := func(d func(pt) float64) int {
		best, bd := -1, -1.0
		for _, n := range nodes {
			if x := d(cells[n].centre); x > bd {
				best, bd = n, x
			}
		}
		return best
	}
	seeds := []int{far(m.dist)}
	for len(seeds) < k {
		seeds = append(seeds, far(func(p pt) float64 {
			d := math.Inf(1)
			for _, s := range seeds {
				d = min(d, p.dist(cells[s].centre))
			}
			return d
		}))
	}
	return seeds
}

// nearest returns the node whose centre is closest to p.
func nearest(cells []cell, nodes []int, p pt) int {
	best, bd := -1, math.Inf(1)
	for _, n := range nodes {
		if d := cells[n].centre.dist(p); d < bd {
			best, bd = n, d
		}
	}
	return best
}

// readingOrder sorts nodes north to south, then west to east, by centre
// (rows of about rowM metres).
func readingOrder(cells []cell, nodes []int, rowM float64) {
	slices.SortStableFunc(nodes, func(a, b int) int {
		ra := math.Round(-cells[a].centre.y / rowM)
		rb := math.Round(-cells[b].centre.y / rowM)
		if ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
		switch ca, cb := cells[a].centre.x, cells[b].centre.x; {
		case ca < cb:
			return -1
		case ca > cb:
			return 1
		}
		return 0
	})
}

func metresPerDegree() float64 { return earthRadius * math.Pi / 180 }

// lngLat converts metres from the seat to rounded WGS-84 degrees.
func lngLat(p pt) (lng, lat float64) {
	k := metresPerDegree()
	lat = SeatLat + p.y/k
	lng = SeatLng + p.x/(k*math.Cos(SeatLat*math.Pi/180))
	return math.Round(lng*coordScale) / coordScale, math.Round(lat*coordScale) / coordScale
}

// polygonGeoJSON renders a counter-clockwise ring as a GeoJSON Polygon with
// a closed ring and returns it with its area in m² (computed from the
// rounded coordinates).
func polygonGeoJSON(ring []pt) (string, float64) {
	var b strings.Builder
	b.WriteString(`{"type":"Polygon","coordinates":[[`)
	ll := make([][2]float64, 0, len(ring)+1)
	for _, p := range ring {
		lng, lat := lngLat(p)
		ll = append(ll, [2]float64{lng, lat})
	}
	ll = append(ll, ll[0])
	for k, c := range ll {
		if k > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		b.WriteString(strconv.FormatFloat(c[0], 'f', -1, 64))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(c[1], 'f', -1, 64))
		b.WriteByte(']')
	}
	b.WriteString(`]]}`)
	return b.String(), math.Round(lngLatArea(ll)*10) / 10
}

// lngLatArea is the area in m² of a closed lng/lat ring, on a local
// equirectangular projection at the ring's mean latitude.
func lngLatArea(ll [][2]float64) float64 {
	if len(ll) < 4 {
		return 0
	}
	var mlat float64
	for _, c := range ll[:len(ll)-1] {
		mlat += c[1]
	}
	mlat /= float64(len(ll) - 1)
	k := metresPerDegree()
	kx := k * math.Cos(mlat*math.Pi/180)
	var a float64
	for i := 0; i+1 < len(ll); i++ {
		x0, y0 := (ll[i][0]-SeatLng)*kx, (ll[i][1]-SeatLat)*k
		x1, y1 := (ll[i+1][0]-SeatLng)*kx, (ll[i+1][1]-SeatLat)*k
		a += x0*y1 - x1*y0
	}
	return math.Abs(a) / 2
}
