package stats

// Axis is the time a measure counts a case by. Each count belongs to one
// axis: a case is counted in a range when its time on that axis falls in
// the range. Counts on one axis add up over disjoint ranges, which is what
// lets daily and monthly aggregates answer any range.
type Axis int

// The axes, with the stat_facts column holding each.
const (
	AxisReceived   Axis = iota // received_at: the case was taken in (受理/上报)
	AxisRegistered             // registered_at: first registration (立案)
	AxisDispatched             // dispatched_at: first dispatch (派遣)
	AxisHandled                // handled_at: last handling report (处置反馈)
	AxisSettle                 // settle_at: due to close (应结案)
	AxisClosed                 // closed_at: closed (结案/办结)
	NumAxes
)

// AxisColumns are the stat_facts columns of the axes.
var AxisColumns = [NumAxes]string{"received_at", "registered_at", "dispatched_at", "handled_at", "settle_at", "closed_at"}

// Time returns the fact's time on axis a (Unix ms, 0 for none).
func (f *Fact) Time(a Axis) int64 {
	switch a {
	case AxisReceived:
		return f.ReceivedAt
	case AxisRegistered:
		return f.RegisteredAt
	case AxisDispatched:
		return f.DispatchedAt
	case AxisHandled:
		return f.HandledAt
	case AxisSettle:
		return f.SettleAt
	case AxisClosed:
		return f.ClosedAt
	}
	return 0
}

// Indexes of Counts.
const (
	CReceived = iota
	CReferralUp
	CReferralDown
	CRegistered
	CRegOnTime
	CDispatched
	CAccurate
	CExtended
	CResponded
	CHandled
	CHandledOnTime
	CReworked
	CDue
	CClosed
	CClosedOnTime
	CClosedInPeriod
	CHandleMs
	CHandleN
	CSatisfied
	CBasic
	CDissatisfied
	CResolved
	CRectified
	CFundsRecovered
	CFundsReturned
	CPeopleHandled
	CPeopleRefunded
	CCluesTransferred
	CRulesMade
	NumCounts
)

// Counts are additive sums over cases, one per Column.
type Counts [NumCounts]int64

// Add adds o to c.
func (c *Counts) Add(o Counts) {
	for i := range c {
		c[i] += o[i]
	}
}

// Sub subtracts o from c.
func (c *Counts) Sub(o Counts) {
	for i := range c {
		c[i] -= o[i]
	}
}

// IsZero reports whether every count is zero.
func (c Counts) IsZero() bool { return c == Counts{} }

// Column describes one count: its name (the column of the aggregate
// tables), its axis, how a fact contributes to it and the same as SQL over
// stat_facts.
type Column struct {
	Name string
	Axis Axis
	SQL  string
	Of   func(*Fact) int64
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Columns lists the counts in index order.
var Columns = [NumCounts]Column{
	CReceived:         {"received", AxisReceived, "1", func(*Fact) int64 { return 1 }},
	CReferralUp:       {"referral_up", AxisReceived, "CASE WHEN type = 'referral' AND subtype = 'up' THEN 1 ELSE 0 END", func(f *Fact) int64 { return b2i(f.Type == "referral" && f.Subtype == "up") }},
	CReferralDown:     {"referral_down", AxisReceived, "CASE WHEN type = 'referral' AND subtype = 'down' THEN 1 ELSE 0 END", func(f *Fact) int64 { return b2i(f.Type == "referral" && f.Subtype == "down") }},
	CRegistered:       {"registered", AxisRegistered, "1", func(*Fact) int64 { return 1 }},
	CRegOnTime:        {"reg_on_time", AxisRegistered, "reg_on_time", func(f *Fact) int64 { return b2i(f.RegOnTime) }},
	CDispatched:       {"dispatched", AxisDispatched, "1", func(*Fact) int64 { return 1 }},
	CAccurate:         {"accurate", AxisDispatched, "accurate", func(f *Fact) int64 { return b2i(f.Accurate) }},
	CExtended:         {"extended", AxisDispatched, "extended", func(f *Fact) int64 { return b2i(f.Extended) }},
	CResponded:        {"responded", AxisDispatched, "responded", func(f *Fact) int64 { return b2i(f.Responded) }},
	CHandled:          {"handled", AxisHandled, "1", func(*Fact) int64 { return 1 }},
	CHandledOnTime:    {"handled_on_time", AxisHandled, "handled_on_time", func(f *Fact) int64 { return b2i(f.HandledOnTime) }},
	CReworked:         {"reworked", AxisHandled, "reworked", func(f *Fact) int64 { return b2i(f.Reworked) }},
	CDue:              {"due", AxisSettle, "1", func(*Fact) int64 { return 1 }},
	CClosed:           {"closed", AxisSettle, "closed", func(f *Fact) int64 { return b2i(f.Closed) }},
	CClosedOnTime:     {"closed_on_time", AxisSettle, "closed_on_time", func(f *Fact) int64 { return b2i(f.ClosedOnTime) }},
	CClosedInPeriod:   {"closed_in_period", AxisClosed, "1", func(*Fact) int64 { return 1 }},
	CHandleMs:         {"handle_ms", AxisClosed, "handle_ms", func(f *Fact) int64 { return f.HandleMs }},
	CHandleN:          {"handle_n", AxisClosed, "CASE WHEN dispatched_at > 0 THEN 1 ELSE 0 END", func(f *Fact) int64 { return b2i(f.DispatchedAt > 0) }},
	CSatisfied:        {"satisfied", AxisClosed, "CASE WHEN satisfaction = 1 THEN 1 ELSE 0 END", func(f *Fact) int64 { return b2i(f.Satisfaction == SatSatisfied) }},
	CBasic:            {"basically_satisfied", AxisClosed, "CASE WHEN satisfaction = 2 THEN 1 ELSE 0 END", func(f *Fact) int64 { return b2i(f.Satisfaction == SatBasic) }},
	CDissatisfied:     {"dissatisfied", AxisClosed, "CASE WHEN satisfaction = 3 THEN 1 ELSE 0 END", func(f *Fact) int64 { return b2i(f.Satisfaction == SatDissatisfied) }},
	CResolved:         {"resolved", AxisClosed, "resolved", func(f *Fact) int64 { return b2i(f.Resolved) }},
	CRectified:        {"rectified", AxisClosed, "CASE WHEN type = 'rectification' THEN 1 ELSE 0 END", func(f *Fact) int64 { return b2i(f.Type == "rectification") }},
	CFundsRecovered:   {"funds_recovered", AxisClosed, "funds_recovered", func(f *Fact) int64 { return f.FundsRecovered }},
	CFundsReturned:    {"funds_returned", AxisClosed, "funds_returned", func(f *Fact) int64 { return f.FundsReturned }},
	CPeopleHandled:    {"people_handled", AxisClosed, "people_handled", func(f *Fact) int64 { return f.PeopleHandled }},
	CPeopleRefunded:   {"people_refunded", AxisClosed, "people_refunded", func(f *Fact) int64 { return f.PeopleRefunded }},
	CCluesTransferred: {"clues_transferred", AxisClosed, "clues_transferred", func(f *Fact) int64 { return f.CluesTransferred }},
	CRulesMade:        {"rules_made", AxisClosed, "rules_made", func(f *Fact) int64 { return f.RulesMade }},
}

// AxisCounts returns the counts a fact contributes on axis a (all zero
// when the fact has no time on a).
func (f *Fact) AxisCounts(a Axis) Counts {
	var c Counts
	if f.Time(a) == 0 {
		return c
	}
	for i, col := range Columns {
		if col.Axis == a {
			c[i] = col.Of(f)
		}
	}
	return c
}

// CountsIn returns what a fact contributes to a range.
func (f *Fact) CountsIn(r Range) Counts {
	var c Counts
	from, to := r.FromMs(), r.ToMs()
	for a := Axis(0); a < NumAxes; a++ {
		if t := f.Time(a); t != 0 && t >= from && t < to {
			c.Add(f.AxisCounts(a))
		}
	}
	return c
}
