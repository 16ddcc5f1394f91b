package geo

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

func orientNaive(ax, ay, bx, by, cx, cy float64) int {
	d := (bx-ax)*(cy-ay) - (by-ay)*(cx-ax)
	switch {
	case d > 0:
		return 1
	case d < 0:
		return -1
	}
	return 0
}

// Shewchuk's classic stress case: points within a few ulps of the line
// through (12,12) and (24,24) near (0.5,0.5), where naive evaluation gets
// the sign wrong for a large fraction of inputs.
func TestOrientStressNearDegenerate(t *testing.T) {
	ulp := math.Nextafter(0.5, 1) - 0.5
	naiveWrong := 0
	for i := range 256 {
		for j := range 256 {
			px, py := 0.5+float64(i)*ulp, 0.5+float64(j)*ulp
			want := orientRat(px, py, 12, 12, 24, 24)
			if got := orient(px, py, 12, 12, 24, 24); got != want {
				t.Fatalf("orient(%v,%v) = %d, exact %d", px, py, got, want)
			}
			if orientNaive(px, py, 12, 12, 24, 24) != want {
				naiveWrong++
			}
		}
	}
	if naiveWrong == 0 {
		t.Fatal("stress case did not stress: naive evaluation never wrong")
	}
	t.Logf("naive float orientation wrong in %d of 65536 cases; exact: 0", naiveWrong)
}

func TestOrientMatchesRational(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ax := rapid.Float64Range(-180, 180).Draw(t, "ax")
		ay := rapid.Float64Range(-90, 90).Draw(t, "ay")
		bx := rapid.Float64Range(-180, 180).Draw(t, "bx")
		by := rapid.Float64Range(-90, 90).Draw(t, "by")
		s := rapid.Float64Range(-1, 2).Draw(t, "s")
		cx, cy := ax+s*(bx-ax), ay+s*(by-ay) // near-collinear
		for range rapid.IntRange(0, 3).Draw(t, "nudge") {
			cx = math.Nextafter(cx, math.Inf(rapid.IntRange(-1, 1).Draw(t, "d")|1))
		}
		if got, want := orient(ax, ay, bx, by, cx, cy), orientRat(ax, ay, bx, by, cx, cy); got != want {
			t.Fatalf("orient = %d, exact %d", got, want)
		}
		// antisymmetry, which the shared-edge rule relies on
		if orient(ax, ay, bx, by, cx, cy) != -orient(bx, by, ax, ay, cx, cy) {
			t.Fatal("not antisymmetric")
		}
	})
}

func TestOrientNoAllocs(t *testing.T) {
	if a := testing.AllocsPerRun(100, func() { orientExact(0.5, 0.5, 12, 12, 24, 24) }); a != 0 {
		t.Fatalf("orientExact allocs = %v", a)
	}
}
