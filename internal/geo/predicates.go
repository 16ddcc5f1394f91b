package geo

import (
	"math"
	"math/big"
)

// Exact orientation predicate. Point location must put a point on a shared
// edge into exactly one of the two grids; that needs every "which side of
// this edge" decision to be geometrically consistent, which plain float
// arithmetic cannot promise for points within rounding distance of an edge.
// We use Shewchuk's approach: a cheap float evaluation with a forward error
// bound, and an exact (error-free transformation) fallback when the bound
// cannot certify the sign. The fallback runs on the stack: no allocations.

// ccwErrBoundA is Shewchuk's bound (3 + 16ε)ε for the 2×2 determinant.
const ccwErrBoundA = (3.0 + 16.0*epsilon) * epsilon

const epsilon = 1.0 / (1 << 53) // half an ulp of 1.0

// orient returns the sign of (bx−ax)(cy−ay) − (by−ay)(cx−ax): +1 when c lies
// to the left of the directed line a→b, −1 to the right, 0 when collinear.
// The result is exact for all finite inputs (NaN yields an arbitrary sign).
func orient(ax, ay, bx, by, cx, cy float64) int {
	l := (bx - ax) * (cy - ay)
	r := (by - ay) * (cx - ax)
	det := l - r
	bound := ccwErrBoundA * (math.Abs(l) + math.Abs(r))
	if det > bound {
		return 1
	}
	if -det > bound {
		return -1
	}
	if (bx == ax || cy == ay) && (by == ay || cx == ax) {
		return 0 // both products exactly zero (x−y == 0 iff x == y)
	}
	return orientExact(ax, ay, bx, by, cx, cy)
}

// orientExact evaluates the determinant as an exact floating-point expansion.
func orientExact(ax, ay, bx, by, cx, cy float64) int {
	// Each difference is exact as hi+lo.
	h1, l1 := twoDiff(bx, ax)
	h2, l2 := twoDiff(cy, ay)
	h3, l3 := twoDiff(by, ay)
	h4, l4 := twoDiff(cx, ax)

	var terms [16]float64
	n := 0
	tiny := false
	add := func(a, b float64, neg bool) {
		p, e := twoProduct(a, b)
		// FMA's error term is exact only while it does not underflow.
		if a != 0 && b != 0 && math.Abs(p) < 0x1p-900 {
			tiny = true
		}
		if neg {
			p, e = -p, -e
		}
		terms[n], terms[n+1] = p, e
		n += 2
	}
	add(h1, h2, false)
	add(h1, l2, false)
	add(l1, h2, false)
	add(l1, l2, false)
	add(h3, h4, true)
	add(h3, l4, true)
	add(l3, h4, true)
	add(l3, l4, true)
	if tiny {
		return orientRat(ax, ay, bx, by, cx, cy)
	}
	return expansionSign(terms[:])
}

// expansionSign sums terms exactly (Shewchuk's GROW-EXPANSION, keeping
// zeros) and returns the sign of the sum: in a nonoverlapping expansion the
// most significant nonzero component decides it.
func expansionSign(terms []float64) int {
	var e [16]float64
	m := 0
	for _, q := range terms {
		for i := 0; i < m; i++ {
			s, err := twoSum(q, e[i])
			e[i] = err
			q = s
		}
		e[m] = q
		m++
	}
	for i := m - 1; i >= 0; i-- {
		switch {
		case e[i] > 0:
			return 1
		case e[i] < 0:
			return -1
		}
	}
	return 0
}

func twoSum(a, b float64) (s, err float64) {
	s = a + b
	bv := s - a
	av := s - bv
	return s, (a - av) + (b - bv)
}

func twoDiff(a, b float64) (d, err float64) {
	d = a - b
	bv := a - d
	av := d + bv
	return d, (a - av) + (bv - b)
}

func twoProduct(a, b float64) (p, err float64) {
	p = a * b
	return p, math.FMA(a, b, -p)
}

// orientRat is the slow exact path for magnitudes near the underflow range
// (never reached by real coordinates).
func orientRat(ax, ay, bx, by, cx, cy float64) int {
	for _, v := range [...]float64{ax, ay, bx, by, cx, cy} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0
		}
	}
	r := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
	l := new(big.Rat).Mul(new(big.Rat).Sub(r(bx), r(ax)), new(big.Rat).Sub(r(cy), r(ay)))
	rr := new(big.Rat).Mul(new(big.Rat).Sub(r(by), r(ay)), new(big.Rat).Sub(r(cx), r(ax)))
	return l.Cmp(rr)
}
