package service_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// TestCoarsenPoint: over points across mainland China and cell sizes from
// 10 m to 1 km, the published point is within the cell's half-diagonal
// (0.71 × the cell, with 1 % for the sphere's approximation) of the true
// one, is its own cell's centre (coarsening again changes nothing), and
// points a few metres apart inside one cell share it.
func TestCoarsenPoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	worst := 0.0
	for range 20000 {
		lat, lng := 18+rng.Float64()*35, 73+rng.Float64()*62
		cell := []float64{10, 50, 200, 1000}[rng.IntN(4)]
		clat, clng := service.CoarsenPoint(lat, lng, cell)
		d := geo.DistanceM(lat, lng, clat, clng)
		if d > cell*math.Sqrt2/2*1.01 {
			t.Fatalf("cell %v m: %v,%v → %v,%v is %.2f m away", cell, lat, lng, clat, clng, d)
		}
		worst = max(worst, d/cell)
		if a, b := service.CoarsenPoint(clat, clng, cell); math.Abs(a-clat) > 1e-9 || math.Abs(b-clng) > 1e-9 {
			t.Fatalf("cell %v m: the centre %v,%v moves again to %v,%v", cell, clat, clng, a, b)
		}
	}
	t.Logf("worst distance: %.3f of the cell size", worst)
	// Two points 1 m apart around a cell centre land on the same centre.
	clat, clng := service.CoarsenPoint(27.7, 111.99, 50)
	a1, b1 := service.CoarsenPoint(clat+0.000005, clng, 50)
	a2, b2 := service.CoarsenPoint(clat-0.000005, clng+0.000005, 50)
	if a1 != a2 || b1 != b2 {
		t.Errorf("neighbours in one cell differ: %v,%v and %v,%v", a1, b1, a2, b2)
	}
	if lat, lng := service.CoarsenPoint(27.7, 111.99, 0); lat != 27.7 || lng != 111.99 {
		t.Errorf("cell 0 moved the point")
	}
}
