package stats

import (
	"encoding/json"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/yiwang-gov/yiwang/internal/calendar"
)

func val(r Rate) float64 {
	if r.Value == nil {
		return -1
	}
	return *r.Value
}

// TestWorkedExample is the published 天门 December report: 受理 1054,
// 立案 996, 应结案 972, 结案 911 → 结案率 93.72 %; 按期结案 737 →
// 按期结案率 75.82 %.
func TestWorkedExample(t *testing.T) {
	var c Counts
	c[CReceived], c[CRegistered], c[CDue], c[CClosed], c[CClosedOnTime] = 1054, 996, 972, 911, 737
	m := Measure(c, DefaultWeights)
	if m.ClosureRate.Numerator != 911 || m.ClosureRate.Denominator != 972 || val(m.ClosureRate) != 93.72 {
		t.Errorf("结案率 = %+v, want 911/972 = 93.72", m.ClosureRate)
	}
	if val(m.OnTimeRate) != 75.82 {
		t.Errorf("按期结案率 = %v, want 75.82", val(m.OnTimeRate))
	}
	if val(m.RegistrationRate) != 94.50 {
		t.Errorf("立案率 = %v, want 94.50 (996/1054)", val(m.RegistrationRate))
	}
	if m.Registered != 996 || m.DueToClose != 972 || m.Closed != 911 || m.ClosedOnTime != 737 {
		t.Errorf("counts %+v", m)
	}
}

// TestWorkedExamples2 are the 郑州 weekly report figures (2019-04-08 to
// 04-14): 应结案 52434, 结案 43523 → 83.01 %; 按期结案 40394 → 77.04 %;
// 派遣 49151 of 立案 51229; 返工 276; 延期 104 → 0.20 % of dispatched … as
// published (their 返工率 0.53 % is over 结案, ours over handled; the
// formula is checked with our denominators).
func TestWorkedExamples2(t *testing.T) {
	cases := []struct {
		num, den int64
		want     float64
	}{
		{43523, 52434, 83.01}, {40394, 52434, 77.04}, {51229, 51571, 99.34}, {49151, 51229, 95.94},
		{104, 51229, 0.20}, {1, 3, 33.33}, {2, 3, 66.67}, {1, 8, 12.5}, {0, 5, 0}, {5, 5, 100},
	}
	for _, c := range cases {
		if got := val(Ratio(c.num, c.den)); got != c.want {
			t.Errorf("Ratio(%d, %d) = %v, want %v", c.num, c.den, got, c.want)
		}
	}
	if r := Ratio(0, 0); r.Value != nil {
		t.Errorf("0/0 must be undefined, got %v", *r.Value)
	}
	js, _ := json.Marshal(Ratio(911, 972))
	if string(js) != `{"value":93.72,"numerator":911,"denominator":972}` {
		t.Errorf("json %s", js)
	}
}

// TestComposite checks the 12345 三率 score: 30 % response, 35 %
// resolution, 35 % satisfaction.
func TestComposite(t *testing.T) {
	// 响应 90/100, 解决 80/100, 满意 70/100 → 0.3×90 + 0.35×80 + 0.35×70 = 79.5
	got := Composite(DefaultWeights, Ratio(90, 100), Ratio(80, 100), Ratio(70, 100))
	if got == nil || *got != 79.5 {
		t.Fatalf("composite = %v, want 79.5", got)
	}
	// Equal weights.
	got = Composite(Weights{1, 1, 1}, Ratio(90, 100), Ratio(80, 100), Ratio(70, 100))
	if *got != 80 {
		t.Fatalf("equal weights = %v", *got)
	}
	// An undefined rate is left out and the others scaled: (0.35×80 + 0.35×70)/0.7 = 75.
	got = Composite(DefaultWeights, Ratio(0, 0), Ratio(80, 100), Ratio(70, 100))
	if *got != 75 {
		t.Fatalf("without response = %v", *got)
	}
	if Composite(DefaultWeights, Ratio(0, 0), Ratio(0, 0), Ratio(0, 0)) != nil {
		t.Fatal("no rate: score must be undefined")
	}
	if (Weights{-1, 1, 1}).Check() == nil || (Weights{}).Check() == nil || DefaultWeights.Check() != nil {
		t.Fatal("weight check")
	}
	// Satisfaction counts satisfied and basically satisfied.
	var c Counts
	c[CSatisfied], c[CBasic], c[CDissatisfied] = 6, 2, 2
	if v := val(Measure(c, DefaultWeights).SatisfactionRate); v != 80 {
		t.Fatalf("满意率 = %v", v)
	}
}

// TestRectificationSums reproduces the seed's figures from counts.
func TestRectificationSums(t *testing.T) {
	var c Counts
	c[CRectified], c[CPeopleHandled], c[CFundsRecovered], c[CFundsReturned], c[CCluesTransferred], c[CRulesMade] = 2530, 282, 1479_0000_00, 99_7100_00, 35, 25
	r := Measure(c, DefaultWeights).Rectification
	if r.ProblemsRectified != 2530 || r.PeopleHandled != 282 || r.FundsRecovered != "14790000.00" || r.FundsReturned != "997100.00" || r.CluesTransferred != 35 || r.RulesMade != 25 {
		t.Fatalf("%+v", r)
	}
	if ParseFen("38.95") != 3895 || ParseFen("25.26") != 2526 || ParseFen("1479") != 147900 || ParseFen("0.5") != 50 || ParseFen("x") != 0 || ParseFen("-1.25") != -125 {
		t.Fatal("ParseFen")
	}
	if FormatFen(2526) != "25.26" || FormatFen(-5) != "-0.05" {
		t.Fatal("FormatFen")
	}
}

func TestChanges(t *testing.T) {
	ch := Compare(100, 52) // 物业领域信访投诉量同比下降48%
	if ch.Percent == nil || *ch.Percent != -48 {
		t.Fatalf("%+v", ch)
	}
	if Compare(0, 5).Percent != nil {
		t.Fatal("change from 0 is undefined")
	}
	rc := CompareRates(Ratio(1, 2), Ratio(3, 4))
	if *rc.Points != 25 {
		t.Fatalf("%+v", rc)
	}
}

func TestPeriods(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time {
		return time.Date(y, m, day, 0, 0, 0, 0, calendar.Beijing())
	}
	month := Range{From: d(2025, 3, 1), To: d(2025, 4, 1)}
	if p := PreviousPeriod(month); !p.From.Equal(d(2025, 2, 1)) || !p.To.Equal(d(2025, 3, 1)) {
		t.Errorf("previous of March: %v", p)
	}
	q := Range{From: d(2025, 4, 1), To: d(2025, 7, 1)}
	if p := PreviousPeriod(q); !p.From.Equal(d(2025, 1, 1)) {
		t.Errorf("previous quarter: %v", p)
	}
	odd := Range{From: d(2025, 3, 5), To: d(2025, 3, 15)}
	if p := PreviousPeriod(odd); !p.From.Equal(d(2025, 2, 23)) || !p.To.Equal(d(2025, 3, 5)) {
		t.Errorf("previous of 10 days: %v", p)
	}
	if y := YearEarlier(month); !y.From.Equal(d(2024, 3, 1)) || !y.To.Equal(d(2024, 4, 1)) {
		t.Errorf("year earlier: %v", y)
	}
	// Day numbers are CST: 2025-01-01 00:00 CST is 2024-12-31 16:00 UTC.
	if DayOf(d(2025, 1, 1).UnixMilli()) != DayOf(d(2025, 1, 1).Add(23*time.Hour).UnixMilli()) ||
		DayOf(d(2025, 1, 1).UnixMilli()) == DayOf(d(2025, 1, 1).Add(-time.Millisecond).UnixMilli()) {
		t.Error("CST day boundaries")
	}
	if MonthOf(DayOf(d(2025, 3, 31).UnixMilli())) != 2025*12+2 || MonthStartDay(2025*12+2) != DayOf(d(2025, 3, 1).UnixMilli()) {
		t.Error("months")
	}
}

// TestSplitRange checks that the pieces of any range tile it exactly.
func TestSplitRange(t *testing.T) {
	base := time.Date(2024, 12, 20, 0, 0, 0, 0, calendar.Beijing()).UnixMilli()
	rapid.Check(t, func(rt *rapid.T) {
		a := base + rapid.Int64Range(0, 400*dayMs).Draw(rt, "a")
		if rapid.Bool().Draw(rt, "alignA") {
			a = DayStart(DayOf(a))
		}
		b := a + rapid.Int64Range(1, 400*dayMs).Draw(rt, "len")
		if rapid.Bool().Draw(rt, "alignB") {
			b = DayStart(DayOf(b))
			if b <= a {
				b = DayStart(DayOf(a) + 1)
			}
		}
		sp := SplitRange(Range{From: time.UnixMilli(a), To: time.UnixMilli(b)})
		// Walk every piece in order; they must cover [a, b) without gaps.
		type piece struct{ lo, hi int64 }
		var ps []piece
		add := func(lo, hi int64) {
			if hi > lo {
				ps = append(ps, piece{lo, hi})
			}
		}
		if sp.Head.Valid() {
			add(sp.Head.FromMs(), sp.Head.ToMs())
		}
		add(DayStart(sp.DayLo1), DayStart(sp.DayHi1))
		if sp.MonthHi > sp.MonthLo {
			add(DayStart(MonthStartDay(sp.MonthLo)), DayStart(MonthStartDay(sp.MonthHi)))
		}
		add(DayStart(sp.DayLo2), DayStart(sp.DayHi2))
		if sp.Tail.Valid() {
			add(sp.Tail.FromMs(), sp.Tail.ToMs())
		}
		at := a
		for _, p := range ps {
			if p.lo != at {
				rt.Fatalf("gap or overlap at %d: pieces %v of [%d, %d)", at, ps, a, b)
			}
			at = p.hi
		}
		if at != b {
			rt.Fatalf("pieces %v end at %d, not %d", ps, at, b)
		}
	})
}
