package stats

import (
	"errors"
	"math"
)

// Rate is a ratio with the counts it is made of. Value is a percentage
// rounded half away from zero to two decimals; nil when the denominator is 0
// (a rate of nothing is not 0 %).
type Rate struct {
	Value       *float64 `json:"value"`
	Numerator   int64    `json:"numerator"`
	Denominator int64    `json:"denominator"`
}

// Ratio makes a rate: 911 of 972 is 93.72 %.
func Ratio(num, den int64) Rate {
	r := Rate{Numerator: num, Denominator: den}
	if den != 0 {
		v := Round2(float64(num) * 100 / float64(den))
		r.Value = &v
	}
	return r
}

// Round2 rounds to two decimals, half away from zero.
func Round2(x float64) float64 { return math.Round(x*100) / 100 }

// Percent returns the rate's value, 0 when undefined.
func (r Rate) Percent() float64 {
	if r.Value == nil {
		return 0
	}
	return *r.Value
}

// Defined reports whether the rate has a denominator.
func (r Rate) Defined() bool { return r.Value != nil }

// Weights weigh the 12345 三率 in the composite score, in percent
// (default 30/35/35).
type Weights struct {
	Response     float64 `json:"response"`
	Resolution   float64 `json:"resolution"`
	Satisfaction float64 `json:"satisfaction"`
}

// DefaultWeights is the published 12345 weighting: response 30 %,
// resolution 35 %, satisfaction 35 %.
var DefaultWeights = Weights{Response: 30, Resolution: 35, Satisfaction: 35}

// ErrWeights is returned for negative weights or weights summing to 0.
var ErrWeights = errors.New("stats: weights must be non-negative and not all zero")

// Check validates the weights.
func (w Weights) Check() error {
	if w.Response < 0 || w.Resolution < 0 || w.Satisfaction < 0 || w.Response+w.Resolution+w.Satisfaction <= 0 ||
		math.IsNaN(w.Response+w.Resolution+w.Satisfaction) || math.IsInf(w.Response+w.Resolution+w.Satisfaction, 0) {
		return ErrWeights
	}
	return nil
}

// Composite is the weighted score of the three rates, 0–100. A rate with
// no denominator is left out and the other weights are scaled up; with no
// rate defined the score is undefined (nil).
func Composite(w Weights, response, resolution, satisfaction Rate) *float64 {
	var sum, wsum float64
	for _, p := range []struct {
		w float64
		r Rate
	}{{w.Response, response}, {w.Resolution, resolution}, {w.Satisfaction, satisfaction}} {
		if p.r.Defined() && p.w > 0 {
			sum += p.w * float64(p.r.Numerator) / float64(p.r.Denominator) * 100
			wsum += p.w
		}
	}
	if wsum == 0 {
		return nil
	}
	v := Round2(sum / wsum)
	return &v
}

// Measures are the published measures computed from counts.
type Measures struct {
	Received       int64 `json:"received"`         // 受理数
	Registered     int64 `json:"registered"`       // 立案数
	Dispatched     int64 `json:"dispatched"`       // 派遣数
	Handled        int64 `json:"handled"`          // 处置数
	DueToClose     int64 `json:"due_to_close"`     // 应结案数
	Closed         int64 `json:"closed"`           // 结案数 (of the due-to-close cases)
	ClosedOnTime   int64 `json:"closed_on_time"`   // 按期结案数
	ClosedInPeriod int64 `json:"closed_in_period"` // 办结数: cases closed in the range
	Reworked       int64 `json:"reworked"`         // 返工数
	Extended       int64 `json:"extended"`         // 延期数
	Returned       int64 `json:"returned"`         // 退单案件数

	RegistrationRate  Rate `json:"registration_rate"`    // 立案率 = registered / received
	RegOnTimeRate     Rate `json:"reg_on_time_rate"`     // 按时立案率
	AccurateDispatch  Rate `json:"accurate_dispatch"`    // 准确派遣率
	HandledOnTimeRate Rate `json:"handled_on_time_rate"` // 按期处置率
	ReworkRate        Rate `json:"rework_rate"`          // 返工率
	ExtensionRate     Rate `json:"extension_rate"`       // 延期率
	ClosureRate       Rate `json:"closure_rate"`         // 结案率
	OnTimeRate        Rate `json:"on_time_rate"`         // 按期结案率
	ResponseRate      Rate `json:"response_rate"`        // 响应率
	ResolutionRate    Rate `json:"resolution_rate"`      // 解决率
	SatisfactionRate  Rate `json:"satisfaction_rate"`    // 满意率
	// AvgHandlingHours is the mean time from first dispatch to the work
	// done, over cases closed in the range that were dispatched (平均处置时长).
	AvgHandlingHours *float64 `json:"avg_handling_hours"`
	// Composite is the weighted 三率 score (综合得分).
	Composite *float64 `json:"composite"`

	Rectification Rectification `json:"rectification"`
	Referrals     Referrals     `json:"referrals"`
}

// Rectification are the sums of closed rectification and clue items.
type Rectification struct {
	ProblemsRectified int64  `json:"problems_rectified"` // 整改问题（个）
	FundsRecovered    string `json:"funds_recovered"`    // 追缴退缴资金（元）
	FundsRecoveredFen int64  `json:"funds_recovered_fen"`
	FundsReturned     string `json:"funds_returned"` // 退还群众资金（元）
	FundsReturnedFen  int64  `json:"funds_returned_fen"`
	PeopleRefunded    int64  `json:"people_refunded"`   // 退还群众人数
	PeopleHandled     int64  `json:"people_handled"`    // 处理人数
	CluesTransferred  int64  `json:"clues_transferred"` // 移送问题线索（条）
	RulesMade         int64  `json:"rules_made"`        // 建章立制（项）
}

// Referrals counts two-way referrals received in the range.
type Referrals struct {
	Up   int64 `json:"up"`   // 上转
	Down int64 `json:"down"` // 下转
}

// Measure computes the measures of counts with the composite weights w.
func Measure(c Counts, w Weights) Measures {
	m := Measures{
		Received: c[CReceived], Registered: c[CRegistered], Dispatched: c[CDispatched], Handled: c[CHandled],
		DueToClose: c[CDue], Closed: c[CClosed], ClosedOnTime: c[CClosedOnTime], ClosedInPeriod: c[CClosedInPeriod],
		Reworked: c[CReworked], Extended: c[CExtended], Returned: c[CDispatched] - c[CAccurate],

		RegistrationRate:  Ratio(c[CRegistered], c[CReceived]),
		RegOnTimeRate:     Ratio(c[CRegOnTime], c[CRegistered]),
		AccurateDispatch:  Ratio(c[CAccurate], c[CDispatched]),
		HandledOnTimeRate: Ratio(c[CHandledOnTime], c[CHandled]),
		ReworkRate:        Ratio(c[CReworked], c[CHandled]),
		ExtensionRate:     Ratio(c[CExtended], c[CDispatched]),
		ClosureRate:       Ratio(c[CClosed], c[CDue]),
		OnTimeRate:        Ratio(c[CClosedOnTime], c[CDue]),
		ResponseRate:      Ratio(c[CResponded], c[CDispatched]),
		ResolutionRate:    Ratio(c[CResolved], c[CClosedInPeriod]),
		SatisfactionRate:  Ratio(c[CSatisfied]+c[CBasic], c[CSatisfied]+c[CBasic]+c[CDissatisfied]),
		Rectification: Rectification{
			ProblemsRectified: c[CRectified],
			FundsRecovered:    FormatFen(c[CFundsRecovered]), FundsRecoveredFen: c[CFundsRecovered],
			FundsReturned: FormatFen(c[CFundsReturned]), FundsReturnedFen: c[CFundsReturned],
			PeopleRefunded: c[CPeopleRefunded], PeopleHandled: c[CPeopleHandled],
			CluesTransferred: c[CCluesTransferred], RulesMade: c[CRulesMade],
		},
		Referrals: Referrals{Up: c[CReferralUp], Down: c[CReferralDown]},
	}
	if c[CHandleN] > 0 {
		v := Round2(float64(c[CHandleMs]) / float64(c[CHandleN]) / 3.6e6)
		m.AvgHandlingHours = &v
	}
	m.Composite = Composite(w, m.ResponseRate, m.ResolutionRate, m.SatisfactionRate)
	return m
}

// Change is a year-on-year or month-on-month comparison of one figure.
type Change struct {
	Previous int64    `json:"previous"`
	Current  int64    `json:"current"`
	Percent  *float64 `json:"percent"` // (current − previous) / previous × 100; nil when previous is 0
}

// Compare makes a change from the previous to the current figure.
func Compare(prev, cur int64) Change {
	ch := Change{Previous: prev, Current: cur}
	if prev != 0 {
		v := Round2(float64(cur-prev) * 100 / float64(prev))
		ch.Percent = &v
	}
	return ch
}

// RateChange compares two rates in percentage points.
type RateChange struct {
	Previous *float64 `json:"previous"`
	Current  *float64 `json:"current"`
	Points   *float64 `json:"points"` // current − previous, percentage points
}

// CompareRates makes a rate change.
func CompareRates(prev, cur Rate) RateChange {
	ch := RateChange{Previous: prev.Value, Current: cur.Value}
	if prev.Value != nil && cur.Value != nil {
		v := Round2(*cur.Value - *prev.Value)
		ch.Points = &v
	}
	return ch
}

// Changes are the YoY or MoM changes of the headline figures.
type Changes struct {
	Range        Range      `json:"range"`
	Received     Change     `json:"received"`
	Registered   Change     `json:"registered"`
	Closed       Change     `json:"closed"`
	DueToClose   Change     `json:"due_to_close"`
	ClosureRate  RateChange `json:"closure_rate"`
	OnTimeRate   RateChange `json:"on_time_rate"`
	Satisfaction RateChange `json:"satisfaction_rate"`
	Composite    RateChange `json:"composite"`
}

// CompareMeasures compares the measures of two periods.
func CompareMeasures(r Range, prev, cur Measures) Changes {
	return Changes{
		Range:        r,
		Received:     Compare(prev.Received, cur.Received),
		Registered:   Compare(prev.Registered, cur.Registered),
		Closed:       Compare(prev.Closed, cur.Closed),
		DueToClose:   Compare(prev.DueToClose, cur.DueToClose),
		ClosureRate:  CompareRates(prev.ClosureRate, cur.ClosureRate),
		OnTimeRate:   CompareRates(prev.OnTimeRate, cur.OnTimeRate),
		Satisfaction: CompareRates(prev.SatisfactionRate, cur.SatisfactionRate),
		Composite:    CompareRates(Rate{Value: prev.Composite, Denominator: 1}, Rate{Value: cur.Composite, Denominator: 1}),
	}
}
