package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// DefaultWarnShare is the elapsed share of a clock at which a case turns
// yellow when neither the definition nor the configuration says otherwise.
const DefaultWarnShare = 0.8

// DefaultReplyWorkingDays is how long a unit has to answer an automatic
// 督办单, in working days.
const DefaultReplyWorkingDays = 2

// engine is the workflow engine's mutable state: the live working calendar
// (swapped whole when an administrator loads a year, so readers never lock)
// and the lock serialising administrators' changes.
type engine struct {
	cal       atomic.Pointer[calendar.Calendar]
	warnShare float64
	adminMu   sync.Mutex // one calendar or definition change at a time
}

func (s *Service) initEngine(ctx context.Context, d Deps) error {
	s.eng.warnShare = d.WarnShare
	if s.eng.warnShare <= 0 || s.eng.warnShare >= 1 {
		s.eng.warnShare = DefaultWarnShare
	}
	cal, ok := d.Calendar.(*calendar.Calendar)
	switch {
	case d.Calendar == nil:
		c, err := calendar.Default()
		if err != nil {
			return err
		}
		cal = c
	case !ok:
		return fmt.Errorf("service: the calendar must be a *calendar.Calendar, not %T", d.Calendar)
	}
	s.eng.cal.Store(cal)
	if s.workflows == nil {
		return errors.New("service: no workflow registry")
	}
	if err := s.loadStoredCalendar(ctx); err != nil {
		return err
	}
	return s.loadStoredWorkflows(ctx)
}

// Now is the service's clock (tests and the demo set it).
func (s *Service) Now() time.Time { return s.now() }

// Calendar returns the live working calendar.
func (s *Service) Calendar() *calendar.Calendar { return s.eng.cal.Load() }

// clockDue computes when a clock started at start is due for case c.
func (s *Service) clockDue(def *workflow.Definition, cl workflow.Clock, c model.Case, start time.Time) (time.Time, error) {
	cal := s.Calendar()
	rule, hasFallback := cl.Rule.Fallback()
	switch cl.Rule.From {
	case "category":
		if cat, ok := s.Ref().Categories[c.CategoryID]; ok && cat.Deadline.Kind != "" {
			rule, hasFallback = cat.Deadline, true
		}
	case "field":
		f, _ := def.Field(cl.Rule.Field)
		if v, ok := c.Fields[f.Name].(string); ok && v != "" {
			switch f.Type {
			case workflow.FieldEnum:
				if ev, ok := f.Value(v); ok && ev.Deadline != nil {
					rule, hasFallback = *ev.Deadline, true
				}
			case workflow.FieldDate:
				d, err := calendar.ParseDate(v)
				if err != nil {
					return time.Time{}, err
				}
				return time.Date(d.Year, d.Month, d.Day, 23, 59, 59, 0, cal.Location()), nil
			}
		}
	}
	if !hasFallback {
		return time.Time{}, fmt.Errorf("no deadline rule for clock %s", cl.Name)
	}
	return cal.Deadline(rule, start)
}

// warnAt is the instant share of the way from start to due.
func (s *Service) warnAt(cl workflow.Clock, start, due time.Time) time.Time {
	share := cl.WarnShare
	if share == 0 {
		share = s.eng.warnShare
	}
	if !due.After(start) {
		return due
	}
	return start.Add(time.Duration(float64(due.Sub(start)) * share)).Truncate(time.Millisecond)
}

// startClocks (re)starts the clocks that start on trigger ("create" or an
// action name) at now. A due time that cannot be computed (no calendar for
// the year) does not stop the case: the clock runs without a due time and
// the timeline says why.
func (s *Service) startClocks(def *workflow.Definition, trigger string, c *model.Case, ev *model.Event, now time.Time) {
	for _, cl := range def.Clocks {
		if !slices.Contains(cl.StartOn, trigger) {
			continue
		}
		due, err := s.clockDue(def, cl, *c, now)
		if err != nil {
			s.log.Warn("deadline not computed", "case", c.ID, "clock", cl.Name, "err", err)
			ev.Note = strings.TrimSpace(ev.Note + " [未能计算" + cl.Label + "：" + err.Error() + "]")
			due = time.Time{}
		}
		due = due.Truncate(time.Millisecond) // what the database keeps
		st := model.ClockState{Start: now, Due: due}
		if !due.IsZero() {
			st.Warn = s.warnAt(cl, now, due)
		}
		if c.Flow.Clocks == nil {
			c.Flow.Clocks = map[string]model.ClockState{}
		}
		c.Flow.Clocks[cl.Name] = st
		if cl.Primary {
			c.DueAt = due
		}
	}
}

// RunningTimers lists the deadline timers case c should have in its
// state, for a case built outside Act (the demo's history, an imported
// ledger) and stored with store.ImportCases.
func (s *Service) RunningTimers(c model.Case) []store.TimerSpec {
	def, ok := s.workflows.Get(c.Type, c.DefVersion)
	if !ok {
		return nil
	}
	return timerSpecs(def, c)
}

// timerSpecs lists the timers case c should have: a warning and a due timer
// for each started clock that runs in the case's state.
func timerSpecs(def *workflow.Definition, c model.Case) []store.TimerSpec {
	var out []store.TimerSpec
	for _, cl := range def.Clocks {
		st, ok := c.Flow.Clocks[cl.Name]
		if !ok || st.Due.IsZero() || !slices.Contains(cl.States, string(c.Status)) {
			continue
		}
		if !st.Warn.IsZero() && st.Warn.Before(st.Due) {
			out = append(out, store.TimerSpec{Clock: cl.Name, Kind: store.TimerWarn, FireAt: st.Warn})
		}
		out = append(out, store.TimerSpec{Clock: cl.Name, Kind: store.TimerDue, FireAt: st.Due})
	}
	return out
}

// RunTimers fires due timers every tick until ctx ends. Several nodes may
// run it at once: each timer is claimed by exactly one. first, when not
// nil, is called once after the first round (the backlog a start-up
// finds), so the caller can say the server is up after that work and not
// in the middle of it.
func (s *Service) RunTimers(ctx context.Context, tick time.Duration, first func(fired int, err error)) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		n, err := s.FireDueTimers(ctx)
		if err != nil && ctx.Err() == nil {
			s.StorageFull(err) // a full disk shows on the health probe; the timers fire on a later tick
			s.log.Error("timers", "err", err)
		}
		if first != nil {
			first(n, err)
			first = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// FireDueTimers fires every timer due by now and reports how many it fired
// (timers another node claimed first are not counted). A timer whose
// escalation cannot be built is logged and left pending, so that one bad
// row never holds back the others.
func (s *Service) FireDueTimers(ctx context.Context) (int, error) {
	now := s.now()
	fired := 0
	var firstErr error
	for {
		batch, err := s.store.DueTimers(ctx, now, 100)
		if err != nil {
			return fired, err
		}
		progress := false
		for _, t := range batch {
			esc, err := s.escalation(ctx, t, now)
			if err == nil {
				var ok bool
				ok, err = s.store.FireTimer(ctx, t.ID, now, esc)
				if ok {
					fired++
					s.timerStats.fired(t.Kind)
					// Routine: a demo start fires dozens, a county's day
					// hundreds. They are counted (TimerStats, the
					// yiwang_timers_fired_total metric); the line is for
					// debugging only.
					s.log.Debug("timer fired", "timer", t.ID, "kind", t.Kind, "case", t.CaseID, "supervision", t.SupervisionID)
				}
			}
			if err != nil {
				s.timerStats.failed.Add(1)
				s.log.Error("timer not fired", "timer", t.ID, "case", t.CaseID, "err", err)
				if firstErr == nil {
					firstErr = fmt.Errorf("timer %d: %w", t.ID, err)
				}
				continue
			}
			progress = true // fired here or by another node
		}
		if len(batch) < 100 || !progress {
			return fired, firstErr
		}
	}
}

// TimerStats counts what the timer loop did since start: the timers it
// fired by kind, and the attempts that failed (each failure is also
// logged, at Error).
type TimerStats struct {
	Warn, Due, ReplyDue, Failed int64
}

// timerCounters are TimerStats as the loop updates them.
type timerCounters struct {
	warn, due, replyDue, failed atomic.Int64
}

func (c *timerCounters) fired(kind string) {
	switch kind {
	case store.TimerWarn:
		c.warn.Add(1)
	case store.TimerDue:
		c.due.Add(1)
	case store.TimerReplyDue:
		c.replyDue.Add(1)
	}
}

// TimerStats reports what this node's timer loop did since start.
func (s *Service) TimerStats() TimerStats {
	c := &s.timerStats
	return TimerStats{Warn: c.warn.Load(), Due: c.due.Load(), ReplyDue: c.replyDue.Load(), Failed: c.failed.Load()}
}

// escalation decides what a timer sets off: a warning to the unit at the
// warning share; at the due time an automatic 督办单 to the unit; for an
// unanswered supervision document, a reminder to unit and issuer.
func (s *Service) escalation(ctx context.Context, t store.Timer, now time.Time) (store.Escalation, error) {
	var esc store.Escalation
	if t.SupervisionID != 0 {
		sup, err := s.store.Supervision(ctx, t.SupervisionID)
		if err != nil || sup.Status != store.SupervisionOpen {
			return esc, nil
		}
		title := fmt.Sprintf("【逾期未回复】%s“%s”已于%s到期，尚未回复", supervisionKindLabel(sup.Kind), sup.Title, fmtTime(sup.DueAt))
		esc.Notifications = append(esc.Notifications, store.Notification{UnitID: sup.UnitID, Kind: "reply_overdue", SupervisionID: sup.ID, Title: title, CreatedAt: now})
		if sup.IssuedBy != 0 {
			esc.Notifications = append(esc.Notifications, store.Notification{UserID: sup.IssuedBy, Kind: "reply_overdue", SupervisionID: sup.ID, Title: title, CreatedAt: now})
		}
		return esc, nil
	}
	c, err := s.store.Case(ctx, t.CaseID)
	if err != nil {
		return esc, err
	}
	def, ok := s.workflows.Get(c.Type, c.DefVersion)
	if !ok {
		return esc, fmt.Errorf("workflow definition %s v%d missing", c.Type, c.DefVersion)
	}
	cl, _ := def.Clock(t.Clock)
	st := c.Flow.Clocks[t.Clock]
	unit := s.responsibleUnit(c)
	name := caseName(def, c)
	notify := func(kind, title string) {
		esc.Notifications = append(esc.Notifications, store.Notification{UnitID: unit, Kind: kind, CaseID: c.ID, Title: title, CreatedAt: now})
		if c.OwnerID != 0 {
			esc.Notifications = append(esc.Notifications, store.Notification{UserID: c.OwnerID, Kind: kind, CaseID: c.ID, Title: title, CreatedAt: now})
		}
	}
	switch t.Kind {
	case store.TimerWarn:
		notify("warning", fmt.Sprintf("【黄色预警】%s%s即将到期（%s），请抓紧办理", name, cl.Label, fmtTime(st.Due)))
	case store.TimerDue:
		reply, err := s.Calendar().AddWorkingDays(now, DefaultReplyWorkingDays)
		if err != nil {
			// No calendar for the year: count natural days rather than
			// issue a 督办单 without a reply deadline.
			reply, _ = s.Calendar().AddNaturalDays(now, DefaultReplyWorkingDays)
		}
		esc.Supervision = &store.Supervision{
			Kind: store.SupervisionDuban, Auto: true, UnitID: unit, IssuerName: "系统自动督办", IssuedAt: now, DueAt: reply,
			Title:   fmt.Sprintf("超期督办：%s", name),
			Body:    fmt.Sprintf("%s%s已于%s到期仍未办结，请立即办理，并于%s前书面回复办理情况。", name, cl.Label, fmtTime(st.Due), fmtTime(reply)),
			CaseIDs: []int64{c.ID},
		}
		notify("overdue", fmt.Sprintf("【红色督办】%s%s已超期（%s到期），已自动生成督办单", name, cl.Label, fmtTime(st.Due)))
	}
	return esc, nil
}

// responsibleUnit is who answers for a case's deadline: its unit, else the
// unit it started with, else the district.
func (s *Service) responsibleUnit(c model.Case) int64 {
	for _, u := range []int64{c.UnitID, c.Flow.OriginUnit} {
		if _, ok := s.Ref().Org[u]; ok && u != 0 {
			return u
		}
	}
	return s.Ref().Root.ID
}

func caseName(def *workflow.Definition, c model.Case) string {
	return fmt.Sprintf("%s%s（编号%d）", def.Name, c.Receipt, c.ID)
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(calendar.Beijing()).Format("2006-01-02 15:04")
}
