package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/workflow"
	"pgregory.net/rapid"
)

// TestWorkflowProperty drives random cases of every type through random
// sequences of actions, by random actors with random (often wrong) input,
// on a clock moving at random. After every attempt the stored case must be
// consistent with its definition: a refused action writes nothing; an
// accepted one moves to exactly the state the definition says, one version
// on; the live timers are exactly those of the clocks running in the state.
// At the end the timeline, replayed through Apply, rebuilds the same case.
func TestWorkflowProperty(t *testing.T) {
	w := newWFHarness(t, wfMonday, -1)
	ctx := context.Background()
	svc, st := w.app.Service, w.app.Store
	users := mustUsers(t, w.harness)
	byID := map[int64]model.User{}
	byRole := map[model.Role][]model.User{}
	byOrg := map[int64]model.User{}
	for _, u := range users {
		byID[u.ID] = u
		byRole[u.Role] = append(byRole[u.Role], u)
		if u.Role == model.RoleUnit {
			byOrg[u.OrgID] = u
		}
	}
	lat, lng, _ := demoPoint(t, w.harness, 11)
	photo := upload(t, w.harness, w.tok("admin"), pngBytes(t))
	var targets []int64 // units a dispatch may name
	for _, name := range []string{"chengguan", "zhujian", "shuili", "weijian", "yibao", "minzheng", "jiaoyu"} {
		targets = append(targets, w.org(name))
	}
	creators := map[string]string{"city_case": "", "hotline_order": "operator1", "rectification": "discipline", "clue": "discipline",
		"project": "supervisor", "referral": "weijian", "consultation": "weijian", "finding": "leader"}
	inputs := map[string]service.CreateCase{
		"city_case":     {Category: "0105", Description: "路灯不亮", Lat: &lat, Lng: &lng},
		"hotline_order": {Type: "hotline_order", Description: "噪音扰民", Fields: map[string]any{"appeal_kind": "complaint"}},
		"rectification": {Type: "rectification", Category: "Z11", Description: "拖欠农民工工资", Fields: map[string]any{"problem_source": "petition"}},
		"clue":          {Type: "clue", Description: "违规收受礼金", Fields: map[string]any{"source": "petition", "subject_name": "李某"}},
		"project":       {Type: "project", Description: "乡村公路硬化", Fields: map[string]any{"project_kind": "transport", "investment": "3500000", "planned_completion": "2026-09-30"}},
		"referral":      {Type: "referral", Description: "下转康复", Fields: map[string]any{"direction": "down", "from_institution": "市中心医院", "to_institution": "乡卫生院", "patient_ref": "P1", "diagnosis": "脑梗恢复期"}},
		"consultation":  {Type: "consultation", Description: "远程诊断", Fields: map[string]any{"mode": "remote_diagnosis", "requesting_institution": "卫生院", "consulting_institution": "区医院", "patient_ref": "P2", "question": "心电图"}},
		"finding":       {Type: "finding", Description: "药房管理不规范", Fields: map[string]any{"source_step": "visit", "round_date": "2026-03-02"}},
	}
	types := slices.Sorted(func(yield func(string) bool) {
		for k := range inputs {
			if !yield(k) {
				return
			}
		}
	})
	var created []int64
	// What the runs reached, to show the property is not vacuous.
	accepted, refused := map[string]int{}, map[string]int{}
	reached := map[string]bool{}

	rapid.Check(t, func(rt *rapid.T) {
		typ := rapid.SampledFrom(types).Draw(rt, "type")
		w.clock.Set(wfMonday.Add(time.Duration(rapid.IntRange(0, 120).Draw(rt, "start_day")) * oneDay))
		creator := model.User{}
		if n := creators[typ]; n != "" {
			creator = w.user(n)
		}
		c, _, err := svc.CreateCase(ctx, creator, inputs[typ])
		if err != nil {
			rt.Fatalf("create %s: %v", typ, err)
		}
		created = append(created, c.ID)
		def, _ := svc.Workflows().Get(c.Type, c.DefVersion)
		steps := rapid.IntRange(1, 20).Draw(rt, "steps")
		for i := range steps {
			w.clock.Advance(rapid.SampledFrom([]time.Duration{0, time.Minute, time.Hour, 5 * time.Hour, oneDay, 3 * oneDay}).Draw(rt, "dt"))
			before, _ := st.Case(ctx, c.ID)
			// Mostly an action the state allows, sometimes any, rarely nonsense.
			var a workflow.Action
			avail := slices.DeleteFunc(slices.Clone(def.Actions), func(x workflow.Action) bool { return !slices.Contains(x.From, string(before.Status)) })
			switch k := rapid.IntRange(0, 9).Draw(rt, "pick"); {
			case k < 7 && len(avail) > 0:
				a = rapid.SampledFrom(avail).Draw(rt, "action")
			case k < 9:
				a = rapid.SampledFrom(def.Actions).Draw(rt, "action")
			default:
				a = workflow.Action{Name: "teleport", Roles: []string{"admin"}}
			}
			actor := wfActor(rt, a, before, byRole, byOrg)
			in := wfInput(rt, def, a, before, targets, created, photo, byRole[model.RoleLeader][0].ID)
			next, err := svc.Act(ctx, actor, c.ID, a.Name, in)
			after, gerr := st.Case(ctx, c.ID)
			if gerr != nil {
				rt.Fatal(gerr)
			}
			var ve *service.ValidationError
			switch {
			case err == nil:
				want, terr := def.Transition(before.Status, a.Name, actor.Role, in.Result)
				if terr != nil || next.Status != want || after.Status != want || after.Version != before.Version+1 {
					rt.Fatalf("step %d %s by %s: accepted into %s (stored %s v%d), definition says %s (%v)", i, a.Name, actor.Role, next.Status, after.Status, after.Version, want, terr)
				}
				accepted[typ]++
				reached[typ+"/"+string(after.Status)] = true
			case errors.As(err, &ve), errors.Is(err, service.ErrForbidden), errors.Is(err, service.ErrNotFound), errors.Is(err, service.ErrConflict),
				errors.Is(err, service.ErrInvalidState), errors.Is(err, service.ErrUnknownAction):
				if after.Version != before.Version || after.Status != before.Status || !wfSameJSON(after.Fields, before.Fields) {
					rt.Fatalf("step %d %s refused (%v) but the case changed: v%d→v%d %s→%s", i, a.Name, err, before.Version, after.Version, before.Status, after.Status)
				}
				refused[typ]++
			default:
				rt.Fatalf("step %d %s by %s: unexpected error %v", i, a.Name, actor.Role, err)
			}
			wfInvariants(rt, ctx, st, def, after)
		}
		final, _ := st.Case(ctx, c.ID)
		tl, err := st.Timeline(ctx, c.ID)
		if err != nil {
			rt.Fatal(err)
		}
		if len(tl) != final.Version {
			rt.Fatalf("timeline has %d entries for version %d", len(tl), final.Version)
		}
		got, err := svc.Replay(final, tl, func(id int64) model.User { return byID[id] })
		if err != nil {
			rt.Fatalf("replay: %v", err)
		}
		if a, b := wfState(got), wfState(final); a != b {
			rt.Fatalf("replay differs:\n got  %s\n want %s", a, b)
		}
	})
	t.Logf("accepted %v, refused %v, %d (type, state) pairs reached", accepted, refused, len(reached))
	for _, typ := range types {
		if accepted[typ] == 0 {
			t.Errorf("no action on a %s was ever accepted: the property is vacuous there", typ)
		}
	}
}

func wfActor(rt *rapid.T, a workflow.Action, c model.Case, byRole map[model.Role][]model.User, byOrg map[int64]model.User) model.User {
	role := model.Role(rapid.SampledFrom(model.Roles[1:]).Draw(rt, "any_role"))
	if len(a.Roles) > 0 && rapid.IntRange(0, 9).Draw(rt, "right_role") < 8 {
		role = model.Role(rapid.SampledFrom(a.Roles).Draw(rt, "role"))
	}
	if role == model.RoleUnit && rapid.Bool().Draw(rt, "own_unit") {
		if u, ok := byOrg[c.UnitID]; ok {
			return u
		}
	}
	return rapid.SampledFrom(byRole[role]).Draw(rt, "actor")
}

func wfInput(rt *rapid.T, def *workflow.Definition, a workflow.Action, c model.Case, targets, created []int64, photo string, leader int64) service.ActionInput {
	in := service.ActionInput{Version: c.Version}
	if rapid.IntRange(0, 19).Draw(rt, "stale") == 0 {
		in.Version--
	}
	if rapid.IntRange(0, 4).Draw(rt, "no_note") > 0 {
		in.Note = "办理意见"
	}
	if len(a.Results) > 0 {
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range a.Results {
				if !yield(k) {
					return
				}
			}
		})
		in.Result = rapid.SampledFrom(append(keys, "", "bogus")).Draw(rt, "result")
	}
	if rapid.Bool().Draw(rt, "unit") {
		in.UnitID = rapid.SampledFrom(targets).Draw(rt, "target")
	}
	in.Days = rapid.IntRange(0, 12).Draw(rt, "days")
	if len(created) > 0 && rapid.Bool().Draw(rt, "master") {
		in.MasterID = rapid.SampledFrom(created).Draw(rt, "master_id")
	}
	if rapid.Bool().Draw(rt, "owner") {
		in.OwnerID = leader
	}
	if rapid.Bool().Draw(rt, "evidence") {
		in.Evidence = []string{photo}
	}
	names := append(slices.Clone(a.Fields), a.Requires...)
	for _, n := range names {
		f, ok := def.Field(n)
		if !ok || !rapid.Bool().Draw(rt, "set_"+n) {
			continue
		}
		if in.Fields == nil {
			in.Fields = map[string]any{}
		}
		in.Fields[n] = wfValue(rt, f)
	}
	return in
}

func wfValue(rt *rapid.T, f workflow.Field) any {
	if rapid.IntRange(0, 9).Draw(rt, "bad_value") == 0 {
		return map[string]any{"not": "valid"}
	}
	switch f.Type {
	case workflow.FieldEnum:
		vals := []string{"nonsense"}
		for _, v := range f.Values {
			vals = append(vals, v.Value)
		}
		return rapid.SampledFrom(vals).Draw(rt, f.Name)
	case workflow.FieldInt:
		return rapid.IntRange(-5, 120).Draw(rt, f.Name)
	case workflow.FieldMoney, workflow.FieldDecimal:
		return json.Number(fmt.Sprintf("%d.%02d", rapid.IntRange(0, 1e7).Draw(rt, f.Name), rapid.IntRange(0, 99).Draw(rt, f.Name+"_cents")))
	case workflow.FieldBool:
		return rapid.Bool().Draw(rt, f.Name)
	case workflow.FieldDate:
		return "2026-05-01"
	case workflow.FieldList:
		return []any{map[string]any{"name": "节点", "due": "2026-05-01", "done": rapid.Bool().Draw(rt, f.Name)}}
	}
	return "已按要求办理"
}

// checkInvariants: the state is one of the definition's, the due time is
// the primary clock's, and the live timers are exactly those of the
// clocks that run in the state.
func wfInvariants(rt *rapid.T, ctx context.Context, st store.Store, def *workflow.Definition, c model.Case) {
	if _, ok := def.State(string(c.Status)); !ok {
		rt.Fatalf("state %s is not in %s", c.Status, def.Type)
	}
	want := map[string]bool{}
	for _, cl := range def.Clocks {
		cs, ok := c.Flow.Clocks[cl.Name]
		if cl.Primary && ok && !c.DueAt.Equal(cs.Due) {
			rt.Fatalf("due_at %v, primary clock due %v", c.DueAt, cs.Due)
		}
		if !ok || cs.Due.IsZero() || !slices.Contains(cl.States, string(c.Status)) {
			continue
		}
		if cs.Warn.Before(cs.Due) {
			want[fmt.Sprintf("%s/warn/%d", cl.Name, cs.Warn.UnixMilli())] = true
		}
		want[fmt.Sprintf("%s/due/%d", cl.Name, cs.Due.UnixMilli())] = true
	}
	ts, err := st.CaseTimers(ctx, c.ID)
	if err != nil {
		rt.Fatal(err)
	}
	got := map[string]bool{}
	for _, t := range ts {
		if t.CancelledAt.IsZero() {
			got[fmt.Sprintf("%s/%s/%d", t.Clock, t.Kind, t.FireAt.UnixMilli())] = true
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		rt.Fatalf("in %s the live timers are %v, want %v", c.Status, got, want)
	}
}

// caseState is what a replay must reproduce, with times in UTC.
func wfState(c model.Case) string {
	utc := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	flow := fmt.Sprintf("origin=%d dispatched=%s", c.Flow.OriginUnit, utc(c.Flow.DispatchedAt))
	if e := c.Flow.Extension; e != nil {
		flow += fmt.Sprintf(" ext=%d/%s/%s/%s/%s", e.Days, e.Status, e.Clock, utc(e.RequestedAt), utc(e.DecidedAt))
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range c.Flow.Clocks {
			if !yield(k) {
				return
			}
		}
	}) {
		cs := c.Flow.Clocks[name]
		flow += fmt.Sprintf(" %s=%s/%s/%s", name, utc(cs.Start), utc(cs.Warn), utc(cs.Due))
	}
	fields, _ := json.Marshal(c.Fields)
	return fmt.Sprintf("%s v%d unit=%d master=%d owner=%d due=%s closed=%s sat=%q fields=%s %s",
		c.Status, c.Version, c.UnitID, c.MasterID, c.OwnerID, utc(c.DueAt), utc(c.ClosedAt), c.Satisfaction, fields, flow)
}

func wfSameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
