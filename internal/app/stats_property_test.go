package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/stats"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/workflow"
	"pgregory.net/rapid"
)

// testClock is the app's clock, moved by the test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// statsWorld is a running app with its actors, for driving random
// workflows through the service.
type statsWorld struct {
	app       *app.App
	svc       *service.Service
	clock     *testClock
	dir       string
	byRole    map[model.Role][]model.User
	byOrg     map[int64]model.User
	units     []int64 // units with an account, for dispatch
	centroids [][2]float64
	cityCats  []int64
	rectCats  []int64
	evidence  string
	cases     []int64
}

func newStatsWorld(t *testing.T) *statsWorld {
	t.Helper()
	clock := &testClock{t: time.Date(2025, 6, 2, 9, 0, 0, 0, calendar.Beijing())}
	dir := t.TempDir()
	a, err := openApp(t, context.Background(), app.Config{DataDir: dir, Demo: true, DemoCases: 40, Now: clock.Now, TimerTick: -1})
	if err != nil {
		t.Fatalf("open app: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	w := &statsWorld{app: a, svc: a.Service, clock: clock, dir: dir, byRole: map[model.Role][]model.User{}, byOrg: map[int64]model.User{}}
	users, err := a.Store.ListUsers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		w.byRole[u.Role] = append(w.byRole[u.Role], u)
		w.byOrg[u.OrgID] = u
		if u.Role == model.RoleUnit {
			w.units = append(w.units, u.OrgID)
		}
	}
	ref := a.Service.Ref()
	for _, g := range ref.GridList {
		mp, err := geo.ParseGeometry([]byte(g.Geometry))
		if err != nil || len(mp) == 0 {
			continue
		}
		ring := mp[0][0]
		var x, y float64
		for _, p := range ring[:len(ring)-1] {
			x, y = x+p[0], y+p[1]
		}
		k := float64(len(ring) - 1)
		w.centroids = append(w.centroids, [2]float64{y / k, x / k})
	}
	for _, c := range ref.CatList {
		if !ref.IsLeaf(c.ID) {
			continue
		}
		switch c.CaseType {
		case "city_case":
			w.cityCats = append(w.cityCats, c.ID)
		case "rectification":
			w.rectCats = append(w.rectCats, c.ID)
		}
	}
	att := model.Attachment{ID: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Mime: "image/png", Size: 1, Name: "现场照片.png", CreatedAt: clock.Now()}
	if err := a.Store.PutAttachment(context.Background(), att); err != nil {
		t.Fatal(err)
	}
	w.evidence = att.ID
	return w
}

// fieldValue makes a valid value for a case field.
func fieldValue(rng *rand.Rand, f workflow.Field) any {
	switch f.Type {
	case workflow.FieldEnum:
		return f.Values[rng.IntN(len(f.Values))].Value
	case workflow.FieldMoney:
		return json.Number(fmt.Sprintf("%d.%02d", rng.IntN(100000), rng.IntN(100)))
	case workflow.FieldInt:
		lo := 0
		if f.Min != nil {
			lo = int(*f.Min)
		}
		hi := lo + 20
		if f.Max != nil {
			hi = int(*f.Max)
		}
		return json.Number(fmt.Sprint(lo + rng.IntN(hi-lo+1)))
	case workflow.FieldBool:
		return rng.IntN(2) == 0
	case workflow.FieldDate:
		return "2025-12-31"
	case workflow.FieldText, workflow.FieldString:
		return "测试内容"
	}
	return nil
}

// create makes a case of a random type.
func (w *statsWorld) create(t *testing.T, rng *rand.Rand) {
	ctx := context.Background()
	types := []string{"city_case", "city_case", "hotline_order", "rectification"}
	typ := types[rng.IntN(len(types))]
	def, _ := w.svc.Workflows().Latest(typ)
	in := service.CreateCase{Type: typ, Description: "随机测试案件", Fields: map[string]any{}}
	for _, f := range def.Fields {
		if f.Required && !f.ActionOnly {
			in.Fields[f.Name] = fieldValue(rng, f)
		}
	}
	var actor model.User
	switch typ {
	case "city_case":
		in.CategoryID = w.cityCats[rng.IntN(len(w.cityCats))]
		in.Channel = []model.Channel{model.ChannelApp, model.ChannelPatrol, model.ChannelHotline}[rng.IntN(3)]
		actor = w.byRole[model.RoleOperator][0]
	case "hotline_order":
		in.Channel = model.ChannelHotline
		actor = w.byRole[model.RoleOperator][rng.IntN(len(w.byRole[model.RoleOperator]))]
	case "rectification":
		in.CategoryID = w.rectCats[rng.IntN(len(w.rectCats))]
		actor = w.byRole[model.RoleDiscipline][0]
	}
	if typ != "rectification" || rng.IntN(2) == 0 {
		c := w.centroids[rng.IntN(len(w.centroids))]
		lat, lng := c[0], c[1]
		in.Lat, in.Lng = &lat, &lng
	}
	c, _, err := w.svc.CreateCase(ctx, actor, in)
	if err != nil {
		t.Fatalf("create %s: %v", typ, err)
	}
	w.cases = append(w.cases, c.ID)
}

// step takes one random action that the case's state allows, as a user
// of a role allowed to take it. Refusals (a return too late, a second
// extension) are part of the game and leave the case as it was.
func (w *statsWorld) step(rng *rand.Rand, id int64) {
	ctx := context.Background()
	c, err := w.app.Store.Case(ctx, id)
	if err != nil {
		return
	}
	def, ok := w.svc.Workflows().Get(c.Type, c.DefVersion)
	if !ok {
		return
	}
	type choice struct {
		a    workflow.Action
		role model.Role
	}
	var choices []choice
	for _, role := range []model.Role{model.RoleOperator, model.RoleSupervisor, model.RoleDispatcher, model.RoleUnit, model.RoleDiscipline, model.RoleLeader} {
		for _, a := range def.Available(c.Status, role) {
			if a.Name == "instruct" || a.Name == "own" {
				continue
			}
			choices = append(choices, choice{a, role})
		}
	}
	if len(choices) == 0 {
		return
	}
	// Mostly forward; side paths that end a case (cancel, merge, reject)
	// and parking now and then.
	weight := func(c choice) int {
		switch c.a.Name {
		case "cancel", "merge", "reject", "park", "reopen", "suspend":
			return 1
		}
		return 12
	}
	total := 0
	for _, c := range choices {
		total += weight(c)
	}
	pickW := rng.IntN(total)
	ch := choices[0]
	for _, c := range choices {
		if pickW -= weight(c); pickW < 0 {
			ch = c
			break
		}
	}
	var actor model.User
	if ch.role == model.RoleUnit {
		u, ok := w.byOrg[c.UnitID]
		if !ok || u.Role != model.RoleUnit {
			return
		}
		actor = u
	} else {
		us := w.byRole[ch.role]
		if len(us) == 0 {
			return
		}
		actor = us[rng.IntN(len(us))]
	}
	in := service.ActionInput{Version: c.Version, Note: "处理意见", Fields: map[string]any{}}
	if len(ch.a.Results) > 0 {
		keys := make([]string, 0, len(ch.a.Results))
		for k := range ch.a.Results {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		in.Result = keys[rng.IntN(len(keys))]
		if ch.a.Name == "verify" || ch.a.Name == "review" {
			in.Result = []string{"pass", "pass", "fail"}[rng.IntN(3)]
		}
	}
	if ch.a.Effect == workflow.EffectDispatch {
		if rng.IntN(3) == 0 || c.UnitID == 0 {
			in.UnitID = w.units[rng.IntN(len(w.units))]
		} else {
			in.UnitID = c.UnitID
		}
	}
	if ch.a.Effect == workflow.EffectMerge {
		if len(w.cases) < 2 {
			return
		}
		in.MasterID = w.cases[rng.IntN(len(w.cases))]
	}
	if ch.a.Needs("days") {
		in.Days = 1 + rng.IntN(10)
	}
	if ch.a.Needs("evidence") || rng.IntN(4) == 0 {
		in.Evidence = []string{w.evidence}
	}
	for _, name := range append(slices.Clone(ch.a.Requires), ch.a.Fields...) {
		if f, ok := def.Field(name); ok && (ch.a.Needs(name) || rng.IntN(2) == 0) {
			in.Fields[name] = fieldValue(rng, f)
		}
	}
	w.svc.Act(ctx, actor, id, ch.a.Name, in)
}

// play creates n cases and walks random cases through random steps,
// advancing the clock between steps.
func (w *statsWorld) play(t *testing.T, rng *rand.Rand, n, steps int) {
	for i := 0; i < n; i++ {
		w.create(t, rng)
		w.clock.Advance(time.Duration(rng.Int64N(int64(6 * time.Hour))))
	}
	for i := 0; i < steps; i++ {
		w.step(rng, w.cases[rng.IntN(len(w.cases))])
		w.clock.Advance(time.Duration(rng.Int64N(int64(18 * time.Hour))))
	}
}

// rawCase is a case as the brute-force recount reads it from the tables.
type rawCase struct {
	id                                      int64
	typ, status, channel, satisfaction      string
	category, grid, community, street, unit int64
	createdBy                               int64
	created, closed, due                    int64
	fields                                  map[string]any
	events                                  []rawEvent
}

type rawEvent struct {
	at               int64
	actor            int64
	action, from, to string
	result           string
}

// readRaw reads the case and timeline tables straight from the database
// (openRaw), without the store.
func readRaw(t *testing.T, dir string) []rawCase {
	db := openRaw(t, dir)
	defer db.Close()
	rows, err := db.Query(`SELECT id, type, status, channel, satisfaction, COALESCE(category_id, 0), COALESCE(grid_id, 0), COALESCE(community_id, 0),
 COALESCE(street_id, 0), COALESCE(unit_id, 0), COALESCE(created_by, 0), created_at, COALESCE(closed_at, 0), COALESCE(due_at, 0), fields FROM cases ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var out []rawCase
	pos := map[int64]int{}
	for rows.Next() {
		var c rawCase
		var fields string
		if err := rows.Scan(&c.id, &c.typ, &c.status, &c.channel, &c.satisfaction, &c.category, &c.grid, &c.community, &c.street, &c.unit, &c.createdBy,
			&c.created, &c.closed, &c.due, &fields); err != nil {
			t.Fatal(err)
		}
		if fields != "" {
			dec := json.NewDecoder(strings.NewReader(fields))
			dec.UseNumber()
			dec.Decode(&c.fields)
		}
		pos[c.id] = len(out)
		out = append(out, c)
	}
	rows.Close()
	ev, err := db.Query(`SELECT case_id, at, COALESCE(actor_id, 0), action, from_state, to_state, result FROM case_events ORDER BY case_id, seq`)
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	for ev.Next() {
		var id int64
		var e rawEvent
		if err := ev.Scan(&id, &e.at, &e.actor, &e.action, &e.from, &e.to, &e.result); err != nil {
			t.Fatal(err)
		}
		out[pos[id]].events = append(out[pos[id]].events, e)
	}
	return out
}

// spec is what the brute-force recount knows of each case type, written
// out by hand from docs/STATISTICS.md (not derived from the definitions).
type spec struct {
	register, dispatch, ret, sign, handle, rework, reworkResult string
	void, parked                                                []string
	timely                                                      string
	regRule, respRule                                           model.DeadlineRule
}

var wh2 = model.DeadlineRule{Kind: model.DeadlineWorkingHours, Amount: 2}

var specs = map[string]spec{
	"city_case": {register: "accept", dispatch: "dispatch", ret: "return", sign: "sign", handle: "report_back", rework: "verify", reworkResult: "fail",
		void: []string{"rejected", "merged", "cancelled"}, parked: []string{"parked"}, regRule: wh2, respRule: wh2},
	"hotline_order": {register: "accept", dispatch: "dispatch", ret: "return", sign: "sign", handle: "reply", rework: "follow_up", reworkResult: "dissatisfied",
		void: []string{"rejected", "merged", "cancelled"}, parked: []string{"parked"}, timely: "responded_on_time", regRule: wh2, respRule: wh2},
	"rectification": {dispatch: "assign", ret: "return", sign: "sign", handle: "report_back", rework: "review", reworkResult: "fail",
		void: []string{"merged", "cancelled"}, parked: []string{"long_term"}, regRule: wh2, respRule: wh2},
}

func newRng(s uint64) *rand.Rand { return rand.New(rand.NewPCG(s, 7)) }

func within(t int64, r stats.Range) bool { return t != 0 && t >= r.FromMs() && t < r.ToMs() }

// bruteCounts recounts every measure of the cases matching keep, grouped
// by key (one key per axis: the grouping may depend on it).
func bruteCounts(cal *calendar.Calendar, cases []rawCase, r stats.Range, keep func(rawCase) bool, key func(rawCase, stats.Axis, int64) string) map[string]*stats.Counts {
	out := map[string]*stats.Counts{}
	add := func(c rawCase, a stats.Axis, t int64, i int, v int64) {
		if !within(t, r) || v == 0 {
			return
		}
		k := key(c, a, t)
		if out[k] == nil {
			out[k] = &stats.Counts{}
		}
		out[k][i] += v
	}
	b := func(x bool) int64 {
		if x {
			return 1
		}
		return 0
	}
	dl := func(rule model.DeadlineRule, from int64) int64 {
		d, err := cal.Deadline(rule, time.UnixMilli(from))
		if err != nil {
			return from + int64(rule.Amount)*3600000
		}
		return d.UnixMilli()
	}
	for _, c := range cases {
		sp, ok := specs[c.typ]
		if !ok || !keep(c) {
			continue
		}
		add(c, stats.AxisReceived, c.created, stats.CReceived, 1)
		// Registration.
		regAt, regOK := c.created, true
		if sp.register != "" {
			regAt = 0
			for _, e := range c.events {
				if e.action == sp.register {
					regAt = e.at
					regOK = e.at <= dl(sp.regRule, c.created)
					break
				}
			}
		}
		add(c, stats.AxisRegistered, regAt, stats.CRegistered, 1)
		add(c, stats.AxisRegistered, regAt, stats.CRegOnTime, b(regOK))
		// Dispatch, returns, extensions, response.
		var firstDispatch, lastDispatch, lastHandle, closeAt int64
		returned, extended, reworked, responded, signed := false, false, false, false, false
		for _, e := range c.events {
			switch e.action {
			case sp.dispatch:
				if firstDispatch == 0 {
					firstDispatch = e.at
				}
				lastDispatch = e.at
			case sp.ret:
				returned = true
			case "decide_extension":
				extended = extended || e.result == "approved"
			case sp.sign:
				if !signed && lastDispatch != 0 {
					signed = true
					if v, ok := c.fields[sp.timely].(bool); sp.timely != "" && ok {
						responded = v
					} else {
						responded = e.at <= dl(sp.respRule, lastDispatch)
					}
				}
			case sp.handle:
				lastHandle = e.at
			}
			if e.action == sp.rework && e.result == sp.reworkResult {
				reworked = true
			}
			if e.to == "closed" && e.from != "closed" {
				closeAt = e.at
			}
		}
		add(c, stats.AxisDispatched, firstDispatch, stats.CDispatched, 1)
		add(c, stats.AxisDispatched, firstDispatch, stats.CAccurate, b(!returned))
		add(c, stats.AxisDispatched, firstDispatch, stats.CExtended, b(extended))
		add(c, stats.AxisDispatched, firstDispatch, stats.CResponded, b(responded))
		add(c, stats.AxisHandled, lastHandle, stats.CHandled, 1)
		add(c, stats.AxisHandled, lastHandle, stats.CHandledOnTime, b(c.due == 0 || lastHandle <= c.due))
		add(c, stats.AxisHandled, lastHandle, stats.CReworked, b(reworked))
		isClosed := c.status == "closed"
		closedAt := c.closed
		if isClosed && closedAt == 0 {
			closedAt = closeAt
		}
		done := closedAt
		if lastHandle != 0 {
			done = lastHandle
		}
		// 应结案: the earlier of deadline and closing, unless void or parked.
		if !slices.Contains(sp.void, c.status) && !slices.Contains(sp.parked, c.status) {
			settle := c.due
			if isClosed && (settle == 0 || closedAt < settle) {
				settle = closedAt
			}
			add(c, stats.AxisSettle, settle, stats.CDue, 1)
			add(c, stats.AxisSettle, settle, stats.CClosed, b(isClosed))
			add(c, stats.AxisSettle, settle, stats.CClosedOnTime, b(isClosed && (c.due == 0 || done <= c.due)))
		}
		if isClosed {
			add(c, stats.AxisClosed, closedAt, stats.CClosedInPeriod, 1)
			if firstDispatch != 0 && done >= firstDispatch {
				add(c, stats.AxisClosed, closedAt, stats.CHandleMs, done-firstDispatch)
			}
			add(c, stats.AxisClosed, closedAt, stats.CHandleN, b(firstDispatch != 0))
			add(c, stats.AxisClosed, closedAt, stats.CSatisfied, b(c.satisfaction == "satisfied"))
			add(c, stats.AxisClosed, closedAt, stats.CBasic, b(c.satisfaction == "basically_satisfied"))
			add(c, stats.AxisClosed, closedAt, stats.CDissatisfied, b(c.satisfaction == "dissatisfied"))
			res, has := c.fields["resolution"]
			add(c, stats.AxisClosed, closedAt, stats.CResolved, b(!has || res == "resolved"))
			add(c, stats.AxisClosed, closedAt, stats.CRectified, b(c.typ == "rectification"))
			money := func(k string) int64 {
				if n, ok := c.fields[k].(json.Number); ok {
					return stats.ParseFen(n.String())
				}
				return 0
			}
			integer := func(k string) int64 {
				n, _ := c.fields[k].(json.Number).Int64()
				return n
			}
			add(c, stats.AxisClosed, closedAt, stats.CFundsRecovered, money("funds_recovered"))
			add(c, stats.AxisClosed, closedAt, stats.CFundsReturned, money("funds_returned"))
			if _, ok := c.fields["people_handled"].(json.Number); ok {
				add(c, stats.AxisClosed, closedAt, stats.CPeopleHandled, integer("people_handled"))
			}
			if _, ok := c.fields["funds_returned_people"].(json.Number); ok {
				add(c, stats.AxisClosed, closedAt, stats.CPeopleRefunded, integer("funds_returned_people"))
			}
			if _, ok := c.fields["clues_transferred"].(json.Number); ok {
				add(c, stats.AxisClosed, closedAt, stats.CCluesTransferred, integer("clues_transferred"))
			}
			if _, ok := c.fields["rules_made"].(json.Number); ok {
				add(c, stats.AxisClosed, closedAt, stats.CRulesMade, integer("rules_made"))
			}
		}
	}
	return out
}

// TestStatsMatchBruteForce drives random workflows over many cases
// through the service, then checks, for random ranges, areas, units and
// types, that every measure of the summary — through the facts engine and
// through the aggregates — and of breakdowns equals a brute-force recount
// from the case and timeline tables.
func TestStatsMatchBruteForce(t *testing.T) {
	w := newStatsWorld(t)
	cal, err := calendar.Default()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	leader := w.byRole[model.RoleLeader][0]
	seed := uint64(1)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, calendar.Beijing())
	rapid.Check(t, func(rt *rapid.T) {
		seed++
		rng := newRng(seed)
		w.play(t, rng, rapid.IntRange(1, 12).Draw(rt, "new"), rapid.IntRange(0, 80).Draw(rt, "steps"))
		raw := readRaw(t, w.dir)
		end := w.clock.Now().Add(24 * time.Hour)
		for q := 0; q < 4; q++ {
			span := end.Sub(start)
			from := start.Add(time.Duration(rapid.Int64Range(0, int64(span)).Draw(rt, "from")))
			if rapid.Bool().Draw(rt, "aligned") {
				f := from.In(calendar.Beijing())
				from = time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, calendar.Beijing())
			}
			to := from.Add(time.Duration(rapid.Int64Range(int64(time.Hour), int64(span)).Draw(rt, "len")))
			r := stats.Range{From: from, To: to}
			p := service.StatsParams{From: from, To: to}
			keep := func(c rawCase) bool { return true }
			ref := w.svc.Ref()
			switch rapid.IntRange(0, 4).Draw(rt, "area") {
			case 1, 2:
				c := raw[rapid.IntRange(0, len(raw)-1).Draw(rt, "pick")]
				if c.street != 0 {
					p.Area = c.street
					keep = func(x rawCase) bool { return x.street == c.street }
				}
			case 3:
				c := raw[rapid.IntRange(0, len(raw)-1).Draw(rt, "pick")]
				if c.community != 0 {
					p.Area = c.community
					keep = func(x rawCase) bool { return x.community == c.community }
				}
			case 4:
				c := raw[rapid.IntRange(0, len(raw)-1).Draw(rt, "pick")]
				if c.grid != 0 {
					p.Area = c.grid
					keep = func(x rawCase) bool { return x.grid == c.grid }
				}
			}
			if rapid.IntRange(0, 3).Draw(rt, "byUnit") == 0 {
				c := raw[rapid.IntRange(0, len(raw)-1).Draw(rt, "pickUnit")]
				if c.unit != 0 {
					p.Unit = c.unit
					k := keep
					keep = func(x rawCase) bool { return k(x) && x.unit == c.unit }
				}
			}
			if rapid.IntRange(0, 2).Draw(rt, "byType") == 0 {
				typ := rapid.SampledFrom([]string{"city_case", "hotline_order", "rectification"}).Draw(rt, "type")
				p.Type = typ
				k := keep
				keep = func(x rawCase) bool { return k(x) && x.typ == typ }
			}
			want := bruteCounts(cal, raw, r, keep, func(rawCase, stats.Axis, int64) string { return "" })
			var wantC stats.Counts
			if c := want[""]; c != nil {
				wantC = *c
			}
			wantM := stats.Measure(wantC, stats.DefaultWeights)
			for _, eng := range []store.StatsEngine{store.EngineFacts, store.EngineAggregates} {
				if eng == store.EngineAggregates && p.Area != 0 && ref.Org[p.Area].Kind != model.OrgStreet && ref.Org[p.Area].Kind != model.OrgTownship {
					continue // the aggregates know streets only
				}
				p.Engine = eng
				got, err := w.svc.StatsSummary(ctx, leader, p)
				if err != nil {
					rt.Fatalf("summary: %v", err)
				}
				gj, _ := json.Marshal(got.Measures)
				wj, _ := json.Marshal(wantM)
				if string(gj) != string(wj) {
					rt.Fatalf("engine %s, %+v:\n got %s\nwant %s", eng, p, gj, wj)
				}
			}
			// A breakdown, each row against the recount grouped the same way.
			p.Engine = ""
			by := rapid.SampledFrom([]string{"unit", "street", "type", "user", "category", "channel", "month"}).Draw(rt, "by")
			bd, err := w.svc.StatsBreakdown(ctx, leader, p, by)
			if err != nil {
				rt.Fatalf("breakdown %s: %v", by, err)
			}
			grouped := bruteCounts(cal, raw, r, keep, func(c rawCase, a stats.Axis, at int64) string {
				switch by {
				case "unit":
					return fmt.Sprint(c.unit)
				case "street":
					return fmt.Sprint(c.street)
				case "type":
					return c.typ
				case "category":
					return fmt.Sprint(c.category)
				case "channel":
					return c.channel
				case "month":
					return fmt.Sprint(stats.MonthOf(stats.DayOf(at)))
				case "user":
					switch a {
					case stats.AxisReceived:
						return fmt.Sprint(c.createdBy)
					}
					return "per-step" // checked through the total below
				}
				return ""
			})
			if by != "user" {
				for _, row := range bd.Rows {
					k := fmt.Sprint(row.Key)
					if row.Code != "" || by == "type" || by == "channel" {
						k = row.Code
					}
					wc := grouped[k]
					if wc == nil {
						wc = &stats.Counts{}
					}
					if row.Counts != *wc {
						rt.Fatalf("breakdown by %s, row %s (%s): got %v want %v", by, k, row.Name, row.Counts, *wc)
					}
					delete(grouped, k)
				}
				for k, c := range grouped {
					if !c.IsZero() {
						rt.Fatalf("breakdown by %s misses group %s: %v", by, k, *c)
					}
				}
			}
			if bd.Total.Counts != wantC {
				rt.Fatalf("breakdown by %s total: got %v want %v", by, bd.Total.Counts, wantC)
			}
		}
	})
}
