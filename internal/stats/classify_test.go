package stats

import (
	"fmt"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// TestClassifyBuiltins pins what each built-in case type's actions mean to
// the statistics — the table in docs/STATISTICS.md.
func TestClassifyBuiltins(t *testing.T) {
	reg, err := workflow.Default()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"city_case":     `reg=accept disp=[dispatch] ret=[return] sign=[sign] handle=[report_back] rework=map[verify:[fail]] timely= void=[rejected merged cancelled] parked=[parked] sub=`,
		"hotline_order": `reg=accept disp=[dispatch] ret=[return] sign=[sign] handle=[reply] rework=map[follow_up:[dissatisfied]] timely=responded_on_time void=[rejected merged cancelled] parked=[parked] sub=appeal_kind`,
		"rectification": `reg= disp=[assign] ret=[return] sign=[sign] handle=[report_back] rework=map[review:[fail]] timely= void=[merged cancelled] parked=[long_term] sub=problem_source`,
		"clue":          `reg= disp=[] ret=[] sign=[] handle=[conclude] rework=map[] timely= void=[merged] parked=[shelved] sub=source`,
		"project":       `reg= disp=[assign] ret=[return] sign=[sign] handle=[complete] rework=map[accept:[fail]] timely= void=[cancelled] parked=[suspended] sub=project_kind`,
		"referral":      `reg= disp=[send] ret=[decline] sign=[accept] handle=[complete] rework=map[] timely=accepted_on_time void=[cancelled] parked=[] sub=direction`,
		"consultation":  `reg= disp=[send] ret=[decline] sign=[accept] handle=[answer] rework=map[] timely= void=[cancelled] parked=[] sub=mode`,
		"finding":       `reg= disp=[assign] ret=[return] sign=[sign] handle=[report_back] rework=map[review:[fail]] timely= void=[cancelled] parked=[parked] sub=source_step`,
	}
	for typ, w := range want {
		d, ok := reg.Latest(typ)
		if !ok {
			t.Logf("case type %s not defined (yet)", typ)
			continue
		}
		r := Classify(d)
		got := fmt.Sprintf("reg=%s disp=%v ret=%v sign=%v handle=%v rework=%v timely=%s void=%v parked=%v sub=%s",
			r.Register, r.Dispatch, r.Return, r.Sign, r.Handle, r.Rework, r.Timely, r.Void, r.Parked, r.Subtype)
		if got != w {
			t.Errorf("%s:\n got %s\nwant %s", typ, got, w)
		}
	}
	if d, ok := reg.Latest("hotline_order"); ok {
		r := Classify(d)
		if r.RegisterRule == nil || *r.RegisterRule != (model.DeadlineRule{Kind: model.DeadlineWorkingHours, Amount: 2}) ||
			r.ResponseRule == nil || *r.ResponseRule != (model.DeadlineRule{Kind: model.DeadlineWorkingHours, Amount: 2}) {
			t.Errorf("hotline clocks: %v %v", r.RegisterRule, r.ResponseRule)
		}
	}
}

// TestDeriveCityCase walks one 数字城管 case through its loop and checks
// its fact.
func TestDeriveCityCase(t *testing.T) {
	reg, _ := workflow.Default()
	d, _ := reg.Latest("city_case")
	r := Classify(d)
	t0 := time.Date(2025, 3, 3, 9, 0, 0, 0, calendar.Beijing()) // a Monday
	at := func(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }
	ev := func(h float64, action, from, to, result string, actor int64) model.Event {
		return model.Event{At: at(h), Action: action, FromState: model.State(from), ToState: model.State(to), Result: result, ActorID: actor}
	}
	due := at(72)
	c := model.Case{ID: 7, Version: 9, Type: "city_case", Channel: model.ChannelPatrol, CategoryID: 3, StreetID: 2, UnitID: 5, CreatedBy: 11,
		Status: model.StateClosed, CreatedAt: t0, DueAt: due, ClosedAt: at(80), Satisfaction: "basically_satisfied"}
	events := []model.Event{
		ev(0, "create", "", "reported", "", 11),
		ev(1, "accept", "reported", "registered", "", 12),       // registered within 2 working hours
		ev(1.5, "dispatch", "registered", "dispatched", "", 13), // first dispatch
		ev(2, "return", "dispatched", "registered", "", 5),      // returned: not an accurate dispatch
		ev(3, "dispatch", "registered", "dispatched", "", 13),   // dispatched again
		ev(3.5, "sign", "dispatched", "handling", "", 5),        // signed within 2 working hours of the last dispatch
		ev(20, "report_back", "handling", "awaiting_verification", "", 5),
		ev(22, "verify", "awaiting_verification", "handling", "fail", 14), // rework
		ev(70, "report_back", "handling", "awaiting_verification", "", 5), // last report: before the deadline
		ev(80, "verify", "awaiting_verification", "closed", "pass", 14),
		ev(90, "follow_up", "closed", "closed", "basically_satisfied", 12),
	}
	f := Derive(r, c, events, DefaultLimits, nil)
	if f.RegisteredAt != at(1).UnixMilli() || !f.RegOnTime || f.RegisteredBy != 12 {
		t.Errorf("registration %+v", f)
	}
	if f.DispatchedAt != at(1.5).UnixMilli() || f.Accurate || !f.Responded || f.DispatchedBy != 13 {
		t.Errorf("dispatch: at %v accurate %v responded %v", f.DispatchedAt, f.Accurate, f.Responded)
	}
	if f.HandledAt != at(70).UnixMilli() || !f.HandledOnTime || !f.Reworked {
		t.Errorf("handling %+v", f)
	}
	// Closed after the deadline, but the work was done before it: 按期.
	if !f.Closed || !f.ClosedOnTime || f.SettleAt != due.UnixMilli() || f.ClosedAt != at(80).UnixMilli() || f.ClosedBy != 14 {
		t.Errorf("closing: closed %v on time %v settle %v", f.Closed, f.ClosedOnTime, f.SettleAt)
	}
	if f.HandleMs != int64(68.5*float64(time.Hour/time.Millisecond)) || f.Satisfaction != SatBasic || !f.Resolved {
		t.Errorf("handle ms %d sat %d", f.HandleMs, f.Satisfaction)
	}
	// Counted in a range holding everything: one of each.
	cnt := f.CountsIn(Range{From: t0, To: at(100)})
	if cnt[CReceived] != 1 || cnt[CRegistered] != 1 || cnt[CDispatched] != 1 || cnt[CAccurate] != 0 || cnt[CDue] != 1 || cnt[CClosed] != 1 ||
		cnt[CClosedOnTime] != 1 || cnt[CReworked] != 1 || cnt[CBasic] != 1 {
		t.Errorf("counts %v", cnt)
	}
	// A range ending before the deadline: the case is neither due nor closed in it.
	cnt = f.CountsIn(Range{From: t0, To: at(60)})
	if cnt[CDue] != 0 || cnt[CClosedInPeriod] != 0 || cnt[CReceived] != 1 {
		t.Errorf("early range %v", cnt)
	}

	// Still open, past its deadline, parked: not due. Not parked: due at the deadline, not closed.
	open := c
	open.Status, open.ClosedAt, open.Satisfaction = model.StateHandling, time.Time{}, ""
	g := Derive(r, open, events[:6], DefaultLimits, nil)
	if g.Closed || g.SettleAt != due.UnixMilli() || g.ClosedAt != 0 || g.HandledAt != 0 {
		t.Errorf("open case %+v", g)
	}
	open.Status = model.StateParked
	if g := Derive(r, open, events[:6], DefaultLimits, nil); g.SettleAt != 0 {
		t.Errorf("parked case is due: %+v", g)
	}
	// Closed early, before the deadline: due when closed.
	early := c
	early.DueAt = at(200)
	if g := Derive(r, early, events, DefaultLimits, nil); g.SettleAt != at(80).UnixMilli() || !g.ClosedOnTime {
		t.Errorf("early closing %+v", g)
	}
	// Late work: not on time.
	late := c
	late.DueAt = at(30)
	if g := Derive(r, late, events, DefaultLimits, nil); g.ClosedOnTime || g.HandledOnTime || g.SettleAt != at(30).UnixMilli() {
		t.Errorf("late %+v", g)
	}
}

// TestDeriveRectification checks the sums come from the fields of closed items.
func TestDeriveRectification(t *testing.T) {
	reg, _ := workflow.Default()
	d, ok := reg.Latest("rectification")
	if !ok {
		t.Skip("rectification not defined")
	}
	t0 := time.Date(2025, 8, 20, 9, 0, 0, 0, calendar.Beijing())
	c := model.Case{ID: 1, Version: 5, Type: "rectification", Status: model.StateClosed, CreatedAt: t0, ClosedAt: t0.Add(48 * time.Hour),
		Fields: map[string]any{"funds_recovered": "389500.00", "funds_returned": "252600", "people_handled": 3.0, "clues_transferred": "2", "rules_made": 1, "problem_source": "patrol"}}
	f := Derive(Classify(d), c, nil, DefaultLimits, nil)
	if f.FundsRecovered != 38950000 || f.FundsReturned != 25260000 || f.PeopleHandled != 3 || f.CluesTransferred != 2 || f.RulesMade != 1 || f.Subtype != "patrol" {
		t.Errorf("%+v", f)
	}
	if f.RegisteredAt != t0.UnixMilli() || !f.RegOnTime {
		t.Errorf("registered at creation: %+v", f)
	}
	cnt := f.CountsIn(Range{From: t0, To: t0.Add(72 * time.Hour)})
	if cnt[CRectified] != 1 || cnt[CFundsRecovered] != 38950000 {
		t.Errorf("%v", cnt)
	}
	c.Status = "rectifying"
	if f := Derive(Classify(d), c, nil, DefaultLimits, nil); f.FundsRecovered != 0 {
		t.Errorf("open items do not count their amounts yet: %+v", f)
	}
}
