package stats

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// Fact is what the statistics keep of one case: its dimensions, the time
// of the case on each measure's axis (Unix ms, 0 when the case has no such
// time) and the flags and amounts counted on that axis. It is derived from
// the case row and its timeline alone (Derive) and kept up to date in the
// stat_facts table; every measure is a sum over facts.
type Fact struct {
	CaseID  int64
	Version int

	// Dimensions. UnitID is the unit responsible now (the last dispatch).
	Type        string
	Channel     string
	Subtype     string // the type's report field: referral direction, consultation mode ...
	CategoryID  int64
	GridID      int64
	CommunityID int64
	StreetID    int64
	UnitID      int64
	// Who did each step, for per-post (岗位) figures.
	CreatedBy, RegisteredBy, DispatchedBy, HandledBy, ClosedBy int64

	// Axis received: when the case was taken in.
	ReceivedAt int64
	// Axis registered (立案): first registration; on time when within the
	// registration limit of the report.
	RegisteredAt int64
	RegOnTime    bool
	// Axis dispatched: first dispatch. Accurate: never returned (退单) since;
	// Extended: an extension (延期) was approved; Responded: signed for
	// within the response limit (12345 响应).
	DispatchedAt int64
	Accurate     bool
	Extended     bool
	Responded    bool
	// Axis handled: the last handling report (处置反馈/答复/完工).
	// HandledOnTime: at or before the deadline; Reworked: verification,
	// review or follow-up sent it back at least once (返工).
	HandledAt     int64
	HandledOnTime bool
	Reworked      bool
	// Axis settle (应结案): the earlier of the deadline and the closing,
	// for cases neither void (rejected, merged, cancelled) nor parked.
	// Closed: the case is closed; ClosedOnTime: closed, and its work was
	// done (last handling report, else the closing) by the deadline.
	SettleAt     int64
	Closed       bool
	ClosedOnTime bool
	// Axis closed (办结): when the case was closed. HandleMs is the time
	// from first dispatch to the work done, for closed dispatched cases.
	ClosedAt     int64
	HandleMs     int64
	Satisfaction int // 0 none, 1 satisfied, 2 basically satisfied, 3 dissatisfied
	Resolved     bool
	// Amounts from the case's fields, counted on the closed axis
	// (a figure counts once its item is verified closed). Money in fen.
	FundsRecovered, FundsReturned                   int64
	PeopleHandled, PeopleRefunded, CluesTransferred int64
	RulesMade                                       int64
	// Projects: a snapshot of progress (percent, investment and spending
	// in fen, beneficiaries).
	Percent, Investment, FundsSpent, Beneficiaries int64
	DueAt                                          int64 // the deadline now, 0 if none
	Status                                         string
}

// Satisfaction values of Fact.Satisfaction.
const (
	SatNone = iota
	SatSatisfied
	SatBasic
	SatDissatisfied
)

// Deadliner counts deadlines on the working calendar.
type Deadliner interface {
	Deadline(rule model.DeadlineRule, from time.Time) (time.Time, error)
}

// Limits are the time limits that decide the on-time flags of types that
// do not keep their own clock for them.
type Limits struct {
	// Register is the limit for registering a report (按时立案), from the
	// report. Default 2 working hours.
	Register model.DeadlineRule `json:"register"`
	// Response is the limit for signing for a dispatched case (响应),
	// from the dispatch. Default 2 working hours.
	Response model.DeadlineRule `json:"response"`
}

// DefaultLimits are the limits used unless configured.
var DefaultLimits = Limits{
	Register: model.DeadlineRule{Kind: model.DeadlineWorkingHours, Amount: 2},
	Response: model.DeadlineRule{Kind: model.DeadlineWorkingHours, Amount: 2},
}

// Derive computes a case's fact from the case and its timeline (events in
// seq order). cal may be nil: limits are then counted in clock hours.
func Derive(r Roles, c model.Case, events []model.Event, lim Limits, cal Deadliner) Fact {
	f := Fact{
		CaseID: c.ID, Version: c.Version, Type: c.Type, Channel: string(c.Channel), CategoryID: c.CategoryID,
		GridID: c.GridID, CommunityID: c.CommunityID, StreetID: c.StreetID, UnitID: c.UnitID,
		CreatedBy: c.CreatedBy, ReceivedAt: ms(c.CreatedAt), DueAt: ms(c.DueAt), Status: string(c.Status),
	}
	if r.Subtype != "" {
		f.Subtype = fieldString(c.Fields, r.Subtype)
	}
	status := string(c.Status)
	void := slices.Contains(r.Void, status)
	parked := slices.Contains(r.Parked, status)

	// Registration.
	if r.Register == "" {
		f.RegisteredAt, f.RegisteredBy, f.RegOnTime = f.ReceivedAt, c.CreatedBy, true
	} else {
		for _, ev := range events {
			if ev.Action == r.Register {
				f.RegisteredAt, f.RegisteredBy = ms(ev.At), ev.ActorID
				rule := lim.Register
				if r.RegisterRule != nil {
					rule = *r.RegisterRule
				}
				f.RegOnTime = !ev.At.After(deadline(cal, rule, c.CreatedAt))
				break
			}
		}
	}

	var lastDispatch time.Time
	returned, signed := false, false
	var lastHandle, lastClose model.Event
	for _, ev := range events {
		switch {
		case slices.Contains(r.Dispatch, ev.Action):
			if f.DispatchedAt == 0 {
				f.DispatchedAt, f.DispatchedBy = ms(ev.At), ev.ActorID
			}
			lastDispatch = ev.At
		case slices.Contains(r.Return, ev.Action):
			returned = true
		case slices.Contains(r.Extension, ev.Action):
			if ev.Result == "approved" {
				f.Extended = true
			}
		case slices.Contains(r.Sign, ev.Action):
			if !signed && !lastDispatch.IsZero() {
				signed = true
				if b, ok := fieldBool(c.Fields, r.Timely); r.Timely != "" && ok {
					f.Responded = b
				} else {
					rule := lim.Response
					if r.ResponseRule != nil {
						rule = *r.ResponseRule
					}
					f.Responded = !ev.At.After(deadline(cal, rule, lastDispatch))
				}
			}
		case slices.Contains(r.Handle, ev.Action):
			lastHandle = ev
		}
		if r.IsRework(ev.Action, ev.Result) {
			f.Reworked = true
		}
		if string(ev.ToState) == Closed && string(ev.FromState) != Closed {
			lastClose = ev
		}
	}
	f.Accurate = f.DispatchedAt != 0 && !returned
	if lastHandle.Action != "" {
		f.HandledAt, f.HandledBy = ms(lastHandle.At), lastHandle.ActorID
		f.HandledOnTime = f.DueAt == 0 || f.HandledAt <= f.DueAt
	}
	if status == Closed {
		f.Closed = true
		f.ClosedAt = ms(c.ClosedAt)
		if f.ClosedAt == 0 && lastClose.Action != "" {
			f.ClosedAt = ms(lastClose.At)
		}
		if f.ClosedAt == 0 {
			f.ClosedAt = ms(c.UpdatedAt)
		}
		f.ClosedBy = lastClose.ActorID
		done := f.ClosedAt
		if f.HandledAt != 0 {
			done = f.HandledAt
		}
		f.ClosedOnTime = f.DueAt == 0 || done <= f.DueAt
		if f.DispatchedAt != 0 && done >= f.DispatchedAt {
			f.HandleMs = done - f.DispatchedAt
		}
		switch c.Satisfaction {
		case "satisfied":
			f.Satisfaction = SatSatisfied
		case "basically_satisfied":
			f.Satisfaction = SatBasic
		case "dissatisfied":
			f.Satisfaction = SatDissatisfied
		}
		if res, ok := c.Fields["resolution"]; ok {
			f.Resolved = fmt.Sprint(res) == "resolved"
		} else {
			f.Resolved = true
		}
		f.FundsRecovered = fieldFen(c.Fields, "funds_recovered")
		f.FundsReturned = fieldFen(c.Fields, "funds_returned")
		f.PeopleHandled = fieldInt(c.Fields, "people_handled")
		f.PeopleRefunded = fieldInt(c.Fields, "funds_returned_people")
		f.CluesTransferred = fieldInt(c.Fields, "clues_transferred")
		f.RulesMade = fieldInt(c.Fields, "rules_made")
	}
	switch {
	case void || parked:
	case f.Closed:
		f.SettleAt = f.ClosedAt
		if f.DueAt != 0 && f.DueAt < f.SettleAt {
			f.SettleAt = f.DueAt
		}
	default:
		f.SettleAt = f.DueAt
	}
	if c.Type == "project" {
		f.Percent = fieldInt(c.Fields, "percent_complete")
		f.Investment = fieldFen(c.Fields, "investment")
		f.FundsSpent = fieldFen(c.Fields, "funds_spent")
		f.Beneficiaries = fieldInt(c.Fields, "beneficiaries")
		if f.Closed {
			f.Percent = 100
		}
	}
	return f
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// deadline counts rule from t on the calendar, or in clock time without
// one (and when the calendar cannot answer, e.g. a year not loaded).
func deadline(cal Deadliner, rule model.DeadlineRule, t time.Time) time.Time {
	if cal != nil {
		if d, err := cal.Deadline(rule, t); err == nil {
			return d
		}
	}
	switch rule.Kind {
	case model.DeadlineNaturalDays, model.DeadlineWorkingDays:
		return t.Add(time.Duration(rule.Amount) * 24 * time.Hour)
	}
	return t.Add(time.Duration(rule.Amount) * time.Hour)
}

func fieldString(m map[string]any, k string) string {
	v, ok := m[k]
	if !ok || v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func fieldBool(m map[string]any, k string) (bool, bool) {
	if k == "" {
		return false, false
	}
	switch v := m[k].(type) {
	case bool:
		return v, true
	case string:
		b, err := strconv.ParseBool(v)
		return b, err == nil
	}
	return false, false
}

func fieldInt(m map[string]any, k string) int64 {
	switch v := m[k].(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		if fl, err := v.Float64(); err == nil {
			return int64(math.Round(fl))
		}
	case float64:
		return int64(math.Round(v))
	case int:
		return int64(v)
	case int64:
		return v
	case string:
		i, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return i
	}
	return 0
}

func fieldFen(m map[string]any, k string) int64 {
	switch v := m[k].(type) {
	case json.Number:
		return ParseFen(string(v))
	case string:
		return ParseFen(v)
	case float64:
		return int64(math.Round(v * 100))
	case int:
		return int64(v) * 100
	case int64:
		return v * 100
	}
	return 0
}

// ParseFen reads a decimal amount of yuan ("38.95", "1479万" is not
// accepted) into fen, exactly; a bad amount is 0.
func ParseFen(s string) int64 {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" {
		return 0
	}
	w, err := strconv.ParseInt(orZero(whole), 10, 64)
	if err != nil {
		return 0
	}
	if len(frac) > 2 {
		frac = frac[:2]
	}
	for len(frac) < 2 {
		frac += "0"
	}
	fr, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0
	}
	v := w*100 + fr
	if neg {
		v = -v
	}
	return v
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// FormatFen writes fen as yuan with two decimals.
func FormatFen(f int64) string {
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	return fmt.Sprintf("%s%d.%02d", sign, f/100, f%100)
}
