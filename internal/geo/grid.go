package geo

import (
	"cmp"
	"math"
	"slices"
)

// cellGrid is a uniform bucket grid over feature bounding boxes, used by
// Locate instead of the R-tree: a point maps to one bucket by arithmetic,
// the bucket holds the few features whose bbox overlaps that cell, sorted by
// ID, so the first polygon hit is already the lowest-ID answer. (The R-tree
// search, scanning 64-entry nodes, cost ~75% of a lookup.)
//
// Cells are sized from the median feature bbox, so a grid spans ≤ 3×3
// cells; features spanning more than bigCells cells (a whole township drawn
// as one feature) are left to a small R-tree rather than copied into
// hundreds of buckets.
type cellGrid struct {
	minX, minY, maxX, maxY float64
	invW, invH             float64
	cols, rows             int
	start                  []int32 // bucket c is items[start[c]:start[c+1]]
	items                  []int32 // feature positions
}

const bigCells = 64

// col and row map a coordinate inside the extent to its cell. The same
// monotone expression is used for bbox corners at build time and for query
// points, so a bbox containing a point always lists it in the point's cell.
func (g *cellGrid) col(x float64) int { return min(int((x-g.minX)*g.invW), g.cols-1) }
func (g *cellGrid) row(y float64) int { return min(int((y-g.minY)*g.invH), g.rows-1) }

// bucket returns the candidates for (x, y), or nil outside the extent
// (including NaN).
func (g *cellGrid) bucket(x, y float64) []int32 {
	if !(x >= g.minX && x <= g.maxX && y >= g.minY && y <= g.maxY) || g.cols == 0 {
		return nil
	}
	c := g.row(y)*g.cols + g.col(x)
	return g.items[g.start[c]:g.start[c+1]]
}

// buildGrid buckets the features listed in pos (their bboxes in bbox);
// it returns those too large for the grid.
func buildGrid(bbox [][4]float64, ids []int64, pos []int32) (cellGrid, []int32) {
	var g cellGrid
	if len(pos) == 0 {
		return g, nil
	}
	g.minX, g.minY = math.Inf(1), math.Inf(1)
	g.maxX, g.maxY = math.Inf(-1), math.Inf(-1)
	ws := make([]float64, 0, len(pos))
	hs := make([]float64, 0, len(pos))
	for _, fi := range pos {
		b := bbox[fi]
		g.minX, g.minY = math.Min(g.minX, b[0]), math.Min(g.minY, b[1])
		g.maxX, g.maxY = math.Max(g.maxX, b[2]), math.Max(g.maxY, b[3])
		ws, hs = append(ws, b[2]-b[0]), append(hs, b[3]-b[1])
	}
	slices.Sort(ws)
	slices.Sort(hs)
	n := float64(len(pos))
	cw := cellSide(ws[len(ws)/2], g.maxX-g.minX, n)
	ch := cellSide(hs[len(hs)/2], g.maxY-g.minY, n)
	// Bound the cell count (memory) at ~4 per feature, coarsening if the
	// features are sparse over a large extent.
	maxCells := 4*n + 1024
	for {
		g.invW, g.invH = 1/cw, 1/ch
		g.cols, g.rows = 1, 1
		g.cols = int((g.maxX-g.minX)*g.invW) + 1
		g.rows = int((g.maxY-g.minY)*g.invH) + 1
		if float64(g.cols)*float64(g.rows) <= maxCells {
			break
		}
		f := math.Sqrt(float64(g.cols) * float64(g.rows) / maxCells)
		cw, ch = cw*f*1.01, ch*f*1.01
	}

	// Counting sort into buckets.
	ncell := g.cols * g.rows
	g.start = make([]int32, ncell+1)
	var big []int32
	small := pos[:0:0]
	for _, fi := range pos {
		b := bbox[fi]
		c0, c1, r0, r1 := g.col(b[0]), g.col(b[2]), g.row(b[1]), g.row(b[3])
		if (c1-c0+1)*(r1-r0+1) > bigCells {
			big = append(big, fi)
			continue
		}
		small = append(small, fi)
		for r := r0; r <= r1; r++ {
			for c := c0; c <= c1; c++ {
				g.start[r*g.cols+c+1]++
			}
		}
	}
	for c := range ncell {
		g.start[c+1] += g.start[c]
	}
	g.items = make([]int32, g.start[ncell])
	fill := slices.Clone(g.start[:ncell])
	for _, fi := range small {
		b := bbox[fi]
		c0, c1, r0, r1 := g.col(b[0]), g.col(b[2]), g.row(b[1]), g.row(b[3])
		for r := r0; r <= r1; r++ {
			for c := c0; c <= c1; c++ {
				k := r*g.cols + c
				g.items[fill[k]] = fi
				fill[k]++
			}
		}
	}
	for c := range ncell {
		slices.SortFunc(g.items[g.start[c]:g.start[c+1]], func(a, b int32) int {
			return cmp.Or(cmp.Compare(ids[a], ids[b]), cmp.Compare(a, b))
		})
	}
	return g, big
}

// cellSide picks a cell side from the median feature size, falling back
// for degenerate (zero-width) inputs.
func cellSide(median, extent, n float64) float64 {
	if median > 0 {
		return median
	}
	if extent > 0 {
		return extent / math.Sqrt(n)
	}
	return 1
}
