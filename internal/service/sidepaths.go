package service

import (
	"maps"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// cloneCase copies a case deeply enough that changing the copy's fields and
// flow never changes the original (Apply is pure).
func cloneCase(c model.Case) model.Case {
	n := c
	if c.Fields != nil {
		n.Fields = maps.Clone(c.Fields)
	}
	if c.Flow.Clocks != nil {
		n.Flow.Clocks = maps.Clone(c.Flow.Clocks)
	}
	if c.Flow.Extension != nil {
		e := *c.Flow.Extension
		n.Flow.Extension = &e
	}
	return n
}

// applyEffect carries out the action's built-in side-path rule on next,
// recording in ev what the timeline needs. Rule violations are field
// problems in v; nothing is written.
func (s *Service) applyEffect(def *workflow.Definition, a workflow.Action, actor model.User, c model.Case, next *model.Case, ev *model.Event, in ActionInput, now time.Time, look Lookups, v *ValidationError) {
	ref := s.Ref()
	if a.Needs("unit") && in.UnitID == 0 {
		v.add("unit", "field.required")
	}
	if a.Needs("owner") && in.OwnerID == 0 {
		v.add("owner", "field.required")
	}
	switch a.Effect {
	case workflow.EffectDispatch:
		unit := in.UnitID
		if unit == 0 {
			unit = c.UnitID
		}
		if !ref.Dispatchable(unit) {
			v.add("unit", "field.unknown_unit")
		}
		next.UnitID, ev.UnitID = unit, unit
		if unit != c.UnitID {
			next.Routing = "manual"
		}
		next.Flow.DispatchedAt = now
		// A new dispatch is a new order for the unit: a pending extension
		// request of the previous one lapses, a granted one stays used.
		if e := next.Flow.Extension; e != nil && e.Status == "requested" {
			next.Flow.Extension = nil
		}
	case workflow.EffectMerge:
		switch {
		case in.MasterID == 0:
			v.add("master", "field.required")
		case in.MasterID == c.ID:
			v.add("master", "field.same_case")
		case look.MasterOK == nil || !look.MasterOK(in.MasterID):
			v.add("master", "field.unknown_case")
		}
		next.MasterID = in.MasterID
		ev.Data = withData(ev.Data, "master", in.MasterID)
	case workflow.EffectReturn:
		// 退单 is for a wrong dispatch, noticed at once: within N working
		// days of dispatch, counted on the working calendar.
		if a.WithinWorkingDays > 0 && !c.Flow.DispatchedAt.IsZero() {
			n, err := s.Calendar().WorkingDaysBetween(c.Flow.DispatchedAt, now)
			switch {
			case err != nil:
				// No calendar for the year: allow, and say so on the record.
				ev.Note = strings.TrimSpace(ev.Note + " [未能核对退单时限：" + err.Error() + "]")
			case n > a.WithinWorkingDays:
				v.add("note", "field.return_too_late", a.WithinWorkingDays)
			}
		}
	case workflow.EffectExtensionRequest:
		clock := effectClock(def, a)
		switch e := c.Flow.Extension; {
		case e != nil && e.Status == "requested":
			v.add("days", "field.extension_pending")
		case e != nil:
			v.add("days", "field.extension_used")
		case in.Days < 1 || in.Days > a.MaxDays:
			v.add("days", "field.days_range", a.MaxDays)
		case c.Flow.Clocks[clock].Due.IsZero():
			v.add("days", "field.no_deadline")
		}
		next.Flow.Extension = &model.Extension{Days: in.Days, Status: "requested", Clock: clock, RequestedAt: now}
		ev.Data = withData(ev.Data, "days", in.Days)
	case workflow.EffectExtensionDecision:
		e := c.Flow.Extension
		if e == nil || e.Status != "requested" {
			v.add("result", "field.no_pending_extension")
			return
		}
		ne := *e
		ne.Status, ne.DecidedAt = "denied", now
		if in.Result == workflow.Approved {
			ne.Status = "approved"
			cl, _ := def.Clock(e.Clock)
			st := next.Flow.Clocks[e.Clock]
			due, err := s.Calendar().AddWorkingDays(st.Due, e.Days)
			if err != nil {
				v.add("result", "field.no_calendar")
				return
			}
			st.Due = due.Truncate(time.Millisecond)
			st.Warn = s.warnAt(cl, st.Start, st.Due)
			next.Flow.Clocks[e.Clock] = st
			if cl.Primary {
				next.DueAt = st.Due
			}
		}
		next.Flow.Extension = &ne
	case workflow.EffectFollowUp:
		next.Satisfaction = in.Result
	case workflow.EffectReopen:
		next.Satisfaction = ""
	case workflow.EffectOwn:
		owner := in.OwnerID
		if owner == 0 {
			owner = actor.ID
		}
		if owner != actor.ID {
			u, ok := model.User{}, false
			if look.UserOK != nil {
				u, ok = look.UserOK(owner)
			}
			if !ok || (u.Role != model.RoleLeader && u.Role != model.RoleDiscipline) || u.Disabled {
				v.add("owner", "field.bad_owner")
			}
		}
		next.OwnerID = owner
		ev.Data = withData(ev.Data, "owner", owner)
	case workflow.EffectDecline:
		if c.Flow.OriginUnit != 0 {
			next.UnitID = c.Flow.OriginUnit
		}
		ev.UnitID = c.UnitID
	}
}

// effectClock is the clock an extension concerns.
func effectClock(def *workflow.Definition, a workflow.Action) string {
	if a.Clock != "" {
		return a.Clock
	}
	cl, _ := def.PrimaryClock()
	return cl.Name
}

func withData(m map[string]any, k string, v any) map[string]any {
	if m == nil {
		m = map[string]any{}
	}
	m[k] = v
	return m
}
