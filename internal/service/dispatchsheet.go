package service

import (
	"cmp"
	"context"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// DispatchSheet is the daily dispatch sheet (日调度): for each unit and each
// leader who owns cases (包案), the open items, what changed since the start
// of yesterday, and what is due today or late.
type DispatchSheet struct {
	Date        string       `json:"date"`         // the day, in China
	AsOf        time.Time    `json:"as_of"`        // lateness is judged at this instant
	ChangesFrom time.Time    `json:"changes_from"` // start of the day before
	Units       []SheetGroup `json:"units"`
	Leaders     []SheetGroup `json:"leaders"`
}

// SheetGroup is one unit's or one leader's part of the sheet.
type SheetGroup struct {
	Kind   string `json:"kind"` // unit, leader, intake (not yet dispatched)
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Open   int    `json:"open"`
	New    int    `json:"new"`     // created since the start of yesterday
	Change int    `json:"changed"` // with a timeline entry since then
	Due    int    `json:"due_today"`
	Late   int    `json:"overdue"`
	Yellow int    `json:"yellow"`
	// Open supervision documents addressed to the unit, and how many of
	// them are past their reply deadline.
	Supervisions     int         `json:"supervisions_open"`
	SupervisionsLate int         `json:"supervisions_overdue"`
	Items            []SheetItem `json:"items"`
}

// SheetItem is one open case on the sheet.
type SheetItem struct {
	CaseID      int64       `json:"case_id"`
	Receipt     string      `json:"receipt"`
	Type        string      `json:"type"`
	TypeName    string      `json:"type_name"`
	Status      model.State `json:"status"`
	StatusLabel string      `json:"status_label"`
	Summary     string      `json:"summary"`
	UnitID      int64       `json:"unit_id,omitempty"`
	UnitName    string      `json:"unit_name,omitempty"`
	DueAt       time.Time   `json:"due_at,omitzero"`
	Alert       model.Alert `json:"alert,omitempty"`
	// Flag is overdue, due_today, yellow or "" (in time).
	Flag    string   `json:"flag,omitempty"`
	New     bool     `json:"new,omitempty"`
	Changes []string `json:"changes,omitempty"` // action labels since yesterday, in order
}

// DispatchSheet builds the sheet for day (China time) as actor may see it.
// A unit sees its own part only. unit and leader narrow the sheet to one
// group when not 0.
func (s *Service) DispatchSheet(ctx context.Context, actor model.User, day calendar.Date, unit, leader int64) (DispatchSheet, error) {
	switch actor.Role {
	case model.RoleUnit:
		unit, leader = actor.OrgID, 0
	case model.RoleAdmin, model.RoleSupervisor, model.RoleDispatcher, model.RoleOperator, model.RoleLeader, model.RoleDiscipline:
	default:
		return DispatchSheet{}, ErrForbidden
	}
	start := time.Date(day.Year, day.Month, day.Day, 0, 0, 0, 0, calendar.Beijing())
	end := start.AddDate(0, 0, 1)
	asOf := s.now()
	if asOf.After(end) {
		asOf = end
	}
	sheet := DispatchSheet{Date: day.String(), AsOf: asOf.In(calendar.Beijing()), ChangesFrom: start.AddDate(0, 0, -1), Units: []SheetGroup{}, Leaders: []SheetGroup{}}

	// Closed states are those terminal in every definition that has them;
	// the rest is filtered per definition below.
	terminal := map[string]int{}
	having := map[string]int{}
	for _, d := range s.workflows.All() {
		for _, st := range d.States {
			having[st.Name]++
			if st.Terminal {
				terminal[st.Name]++
			}
		}
	}
	var closed []string
	for name, n := range terminal {
		if n == having[name] {
			closed = append(closed, name)
		}
	}
	slices.Sort(closed)
	cases, err := s.store.OpenCases(ctx, closed)
	if err != nil {
		return sheet, err
	}
	events, err := s.store.EventsBetween(ctx, sheet.ChangesFrom, asOf.Add(time.Millisecond)) // up to and including now
	if err != nil {
		return sheet, err
	}
	changes := map[int64][]model.Event{}
	for _, ev := range events {
		changes[ev.CaseID] = append(changes[ev.CaseID], ev)
	}
	ref := s.Ref()
	units := map[int64]*SheetGroup{}
	leaders := map[int64]*SheetGroup{}
	group := func(m map[int64]*SheetGroup, kind string, id int64, name string) *SheetGroup {
		g, ok := m[id]
		if !ok {
			g = &SheetGroup{Kind: kind, ID: id, Name: name, Items: []SheetItem{}}
			m[id] = g
		}
		return g
	}
	for _, c := range cases {
		def, ok := s.workflows.Get(c.Type, c.DefVersion)
		if !ok || def.Terminal(string(c.Status)) || !s.CanSee(actor, c) {
			continue
		}
		item := s.sheetItem(def, c, changes[c.ID], start, end, asOf)
		if item.New = !c.CreatedAt.Before(sheet.ChangesFrom); item.New && len(item.Changes) > 0 && changes[c.ID][0].Action == "create" {
			item.Changes = item.Changes[1:]
		}
		add := func(g *SheetGroup) {
			g.Open++
			g.Items = append(g.Items, item)
			if item.New {
				g.New++
			}
			if len(item.Changes) > 0 {
				g.Change++
			}
			switch item.Flag {
			case "overdue":
				g.Late++
			case "due_today":
				g.Due++
			case "yellow":
				g.Yellow++
			}
		}
		// A case is the unit's once dispatched to it; before that it is
		// with the intake (受理/派遣) desks.
		switch {
		case c.Flow.DispatchedAt.IsZero():
			if unit == 0 && leader == 0 {
				add(group(units, "intake", 0, "受理派遣环节"))
			}
		case leader == 0 && (unit == 0 || unit == c.UnitID):
			add(group(units, "unit", c.UnitID, ref.OrgName(c.UnitID)))
		}
		if c.OwnerID != 0 && unit == 0 && (leader == 0 || leader == c.OwnerID) {
			add(group(leaders, "leader", c.OwnerID, ""))
		}
	}
	// Supervision documents still open, per unit.
	var sups []store.Supervision
	if leader == 0 {
		sups, err = s.store.ListSupervisions(ctx, store.SupervisionFilter{Status: store.SupervisionOpen, UnitID: unit, Kinds: visibleKinds(actor.Role), Limit: 1000})
		if err != nil {
			return sheet, err
		}
	}
	for _, sp := range sups {
		g, ok := units[sp.UnitID]
		if !ok {
			g = group(units, "unit", sp.UnitID, ref.OrgName(sp.UnitID))
		}
		g.Supervisions++
		if !sp.DueAt.IsZero() && sp.DueAt.Before(asOf) {
			g.SupervisionsLate++
		}
	}
	for _, g := range units {
		sortItems(g.Items)
		sheet.Units = append(sheet.Units, *g)
	}
	for id, g := range leaders {
		if u, err := s.store.UserByID(ctx, id); err == nil {
			g.Name = actorName(u)
		}
		sortItems(g.Items)
		sheet.Leaders = append(sheet.Leaders, *g)
	}
	// Most urgent first: most late, then most due today, then by name.
	order := func(a, b SheetGroup) int {
		if c := cmp.Compare(b.Late, a.Late); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Due, a.Due); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	}
	slices.SortFunc(sheet.Units, order)
	slices.SortFunc(sheet.Leaders, order)
	return sheet, nil
}

func (s *Service) sheetItem(def *workflow.Definition, c model.Case, evs []model.Event, start, end, asOf time.Time) SheetItem {
	st, _ := def.State(string(c.Status))
	item := SheetItem{CaseID: c.ID, Receipt: c.Receipt, Type: c.Type, TypeName: def.Name, Status: c.Status, StatusLabel: st.Label,
		Summary: summary(c.Description, 60), UnitID: c.UnitID, UnitName: s.Ref().OrgName(c.UnitID), Alert: c.Alert}
	// Lateness is judged on the primary clock, and only while it runs.
	if cl, ok := def.PrimaryClock(); ok && slices.Contains(cl.States, string(c.Status)) {
		if due := c.Flow.Clocks[cl.Name].Due; !due.IsZero() {
			item.DueAt = due.In(calendar.Beijing())
			switch {
			case due.Before(asOf):
				item.Flag = "overdue"
			case due.Before(end):
				item.Flag = "due_today"
			case !c.Flow.Clocks[cl.Name].Warn.After(asOf):
				item.Flag = "yellow"
			}
		}
	}
	for _, ev := range evs {
		label := ev.Action
		if a, ok := def.Action(ev.Action); ok {
			label = a.Label
		} else if ev.Action == "create" {
			label = "登记"
		}
		item.Changes = append(item.Changes, label)
	}
	return item
}

func sortItems(items []SheetItem) {
	rank := map[string]int{"overdue": 0, "due_today": 1, "yellow": 2, "": 3}
	slices.SortStableFunc(items, func(a, b SheetItem) int {
		if c := cmp.Compare(rank[a.Flag], rank[b.Flag]); c != 0 {
			return c
		}
		if !a.DueAt.Equal(b.DueAt) {
			if a.DueAt.IsZero() {
				return 1
			}
			if b.DueAt.IsZero() {
				return -1
			}
			return a.DueAt.Compare(b.DueAt)
		}
		return cmp.Compare(a.CaseID, b.CaseID)
	})
}

// summary cuts text to n characters.
func summary(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
