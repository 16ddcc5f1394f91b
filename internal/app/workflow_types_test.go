package app_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
)

// A scenario creates a case and walks it through steps over HTTP. Values
// in bodies are resolved: "$org:U" is the org unit of demo account U,
// "$uid:U" its user id, "$photo" an uploaded photo's id list, "$master" the
// id of the scenario's master case, "$lat"/"$lng" a point in a demo grid.
type wfStep struct {
	as      string
	action  string
	body    map[string]any
	status  int    // expected HTTP status, 200 if 0
	state   string // expected state after a 200
	field   string // the field a 422/400 names
	advance time.Duration
	check   func(t *testing.T, r resp)
}

// expect resolves the placeholders of an expected value (set by run).
var wfExpect = func(v any) any { return v }

type wfScenario struct {
	name    string
	creator string // "" for a citizen without an account
	create  map[string]any
	master  bool // create a second case first, referred to as $master
	steps   []wfStep
}

// Monday 2 March 2026, 09:00 in China: a plain working week.
var wfMonday = time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Beijing())

const oneDay = 24 * time.Hour

func (w *wfHarness) resolve(v any, vars map[string]any) any {
	switch x := v.(type) {
	case string:
		switch {
		case strings.HasPrefix(x, "$org:"):
			return w.org(x[5:])
		case strings.HasPrefix(x, "$uid:"):
			return w.user(x[5:]).ID
		case strings.HasPrefix(x, "$"):
			if r, ok := vars[x]; ok {
				return r
			}
			w.t.Fatalf("unknown placeholder %s", x)
		}
		return x
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = w.resolve(e, vars)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = w.resolve(e, vars)
		}
		return out
	}
	return v
}

func (w *wfHarness) run(sc wfScenario, vars map[string]any) {
	t := w.t
	w.clock.Set(wfMonday)
	token := ""
	if sc.creator != "" {
		token = w.tok(sc.creator)
	}
	if sc.master {
		r := w.do("POST", "/api/v1/cases", token, w.resolve(sc.create, vars))
		if r.status != 201 {
			t.Fatalf("create master: %d %s", r.status, r.raw)
		}
		vars["$master"] = num(r.body["id"])
	}
	r := w.do("POST", "/api/v1/cases", token, w.resolve(sc.create, vars))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	id, version := num(r.body["id"]), num(r.body["version"])
	var done []string
	for i, st := range sc.steps {
		w.clock.Advance(st.advance)
		body := map[string]any{}
		if st.body != nil {
			body = w.resolve(st.body, vars).(map[string]any)
		}
		if _, ok := body["version"]; !ok {
			body["version"] = version
		}
		r := w.act(st.as, id, st.action, body)
		want := st.status
		if want == 0 {
			want = 200
		}
		if r.status != want {
			t.Fatalf("step %d: %s %s: status %d, want %d: %s", i+1, st.as, st.action, r.status, want, r.raw)
		}
		if st.field != "" && wfFieldErr(r, st.field) == "" {
			t.Fatalf("step %d: %s %s: no error on field %q: %s", i+1, st.as, st.action, st.field, r.raw)
		}
		if want != 200 {
			continue
		}
		if st.state != "" && r.body["status"] != st.state {
			t.Fatalf("step %d: %s %s: state %v, want %s", i+1, st.as, st.action, r.body["status"], st.state)
		}
		version = num(r.body["version"])
		done = append(done, st.action)
		if st.check != nil {
			wfExpect = func(v any) any { return w.resolve(v, vars) }
			st.check(t, r)
		}
	}
	// The timeline holds the creation and exactly the accepted actions.
	tl := w.get(wfViewer(sc), id).body["timeline"].([]any)
	var got []string
	for _, e := range tl[1:] {
		got = append(got, e.(map[string]any)["action"].(string))
	}
	if !reflect.DeepEqual(got, done) {
		t.Fatalf("timeline actions %v, want %v", got, done)
	}
}

// viewer is an account that may read every case of the scenario's type.
func wfViewer(sc wfScenario) string {
	if sc.create["type"] == "clue" {
		return "discipline"
	}
	return "admin"
}

type wfCheck = func(*testing.T, resp)

// field checks a case field. A decimal string is checked as written in the
// raw JSON (money must come back exact: 1479000.50, not 1479000.5).
func wfField(name string, want any) wfCheck {
	return func(t *testing.T, r resp) {
		t.Helper()
		f, _ := r.body["fields"].(map[string]any)
		if s, ok := want.(string); ok && strings.Contains(s, ".") && strings.Trim(s, "0123456789.") == "" {
			if !strings.Contains(string(r.raw), `"`+name+`":`+s) {
				t.Fatalf("field %s: want %s exactly in %s", name, s, r.raw)
			}
			return
		}
		if !wfSame(f[name], wfExpect(want)) {
			t.Fatalf("field %s = %v, want %v (fields %v)", name, f[name], want, f)
		}
	}
}

// same compares a decoded JSON value with an expected one, numbers by value.
func wfSame(got, want any) bool {
	if g, ok := got.(float64); ok {
		var w float64
		switch x := want.(type) {
		case int:
			w = float64(x)
		case int64:
			w = float64(x)
		case float64:
			w = x
		case string:
			if _, err := fmt.Sscan(x, &w); err != nil {
				return false
			}
		default:
			return false
		}
		return g == w
	}
	return fmt.Sprint(got) == fmt.Sprint(want)
}

func wfTime(name string, want time.Time) wfCheck {
	return func(t *testing.T, r resp) {
		t.Helper()
		got, err := time.Parse(time.RFC3339, fmt.Sprint(r.body[name]))
		if err != nil || !got.Equal(want) {
			t.Fatalf("%s %v, want %v", name, r.body[name], want.Format(time.RFC3339))
		}
	}
}

func wfDue(want time.Time) wfCheck { return wfTime("due_at", want) }

func wfKey(name string, want any) wfCheck {
	return func(t *testing.T, r resp) {
		t.Helper()
		if !wfSame(r.body[name], wfExpect(want)) {
			t.Fatalf("%s = %v, want %v", name, r.body[name], wfExpect(want))
		}
	}
}

func wfAll(fs ...wfCheck) wfCheck {
	return func(t *testing.T, r resp) {
		t.Helper()
		for _, f := range fs {
			f(t, r)
		}
	}
}

func wfExtension(status string) wfCheck {
	return func(t *testing.T, r resp) {
		t.Helper()
		e, _ := r.body["extension"].(map[string]any)
		if e == nil || e["status"] != status {
			t.Fatalf("extension %v, want status %s", r.body["extension"], status)
		}
	}
}

// TestCaseTypes walks every shipped case type through its main path and
// each side path, with the refusals of roles that may not act.
func TestCaseTypes(t *testing.T) {
	city := map[string]any{"category": "0105", "description": "路灯不亮，夜间通行不便", "lat": "$lat", "lng": "$lng"} // 路灯: 城管, 3 working days
	hotline := map[string]any{"type": "hotline_order", "description": "小区停水三天无人处理", "channel": "hotline",
		"fields": map[string]any{"appeal_kind": "help", "urgency": "general"}}
	rect := map[string]any{"type": "rectification", "category": "Z01", "description": "某中学食堂虚报学生餐费",
		"fields": map[string]any{"problem_source": "inspection"}} // 校园餐: 教育局
	clue := map[string]any{"type": "clue", "description": "反映某局干部收受管理服务对象礼金",
		"fields": map[string]any{"source": "petition", "subject_name": "王某某", "subject_level": "section"}}
	project := map[string]any{"type": "project", "description": "城区老旧小区改造（一期）",
		"fields": map[string]any{"project_kind": "housing", "investment": 12000000, "planned_completion": "2026-06-30"}}
	referral := map[string]any{"type": "referral", "description": "急性心肌梗死患者上转",
		"fields": map[string]any{"direction": "up", "from_institution": "娄星区人民医院", "to_institution": "娄底市中心医院", "patient_ref": "ZY2026030001", "diagnosis": "急性心肌梗死"}}
	consult := map[string]any{"type": "consultation", "description": "胸片阴影远程会诊",
		"fields": map[string]any{"mode": "remote_consultation", "requesting_institution": "杉山镇卫生院", "consulting_institution": "娄星区人民医院", "patient_ref": "MZ2026001", "question": "右肺阴影性质待定"}}
	finding := map[string]any{"type": "finding", "description": "住院部消防通道堆放杂物",
		"fields": map[string]any{"source_step": "inspect", "round_date": "2026-03-02", "place": "区人民医院住院部"}}
	n := func(s string) map[string]any { return map[string]any{"note": s} }
	res := func(r string) map[string]any { return map[string]any{"result": r, "note": "意见：" + r} }
	monEnd := func(days int) time.Time { return time.Date(2026, 3, 2+days, 23, 59, 59, 0, calendar.Beijing()) }

	scenarios := []wfScenario{
		{name: "city_case/main path, rework, follow-up and reopen on dispute", create: city, steps: []wfStep{
			{as: "chengguan", action: "accept", status: 403},
			{as: "dispatcher", action: "accept", status: 403},
			{as: "operator1", action: "dispatch", status: 403},
			{as: "operator1", action: "accept", state: "registered"},
			{as: "chengguan", action: "sign", status: 422},
			{as: "dispatcher", action: "dispatch", state: "dispatched", check: wfDue(monEnd(3))},
			{as: "zhujian", action: "sign", status: 404},
			{as: "chengguan", action: "sign", state: "handling"},
			{as: "chengguan", action: "report_back", status: 422, field: "note"},
			{as: "chengguan", action: "report_back", body: n("已更换灯泡"), state: "awaiting_verification"},
			{as: "operator1", action: "follow_up", body: res("satisfied"), status: 422},
			{as: "supervisor", action: "verify", body: res("fail"), state: "handling"},
			{as: "chengguan", action: "report_back", body: map[string]any{"note": "已更换整套灯具", "evidence": "$photo"}, state: "awaiting_verification"},
			{as: "grid_worker_any", action: "verify", body: res("pass"), status: 404}, // another grid's worker does not see it
			{as: "supervisor", action: "verify", body: res("pass"), state: "closed"},
			{as: "operator1", action: "follow_up", body: res("dissatisfied"), state: "closed", check: wfKey("satisfaction", "dissatisfied")},
			{as: "operator1", action: "reopen", body: n("群众有异议"), status: 403},
			{as: "supervisor", action: "reopen", body: n("群众对处理结果有异议，重新办理"), state: "registered", check: wfKey("satisfaction", "<nil>")},
		}},
		{name: "city_case/return within 2 working days, refused after", create: city, steps: []wfStep{
			{as: "operator1", action: "accept", state: "registered"},
			{as: "dispatcher", action: "dispatch", state: "dispatched"},
			{as: "chengguan", action: "return", status: 422, field: "note"},
			{as: "chengguan", action: "return", body: n("非本单位职责"), advance: oneDay, state: "registered"},
			{as: "dispatcher", action: "dispatch", state: "dispatched"},
			{as: "chengguan", action: "sign", state: "handling"},
			// Tuesday's dispatch, Friday's return: 3 working days.
			{as: "chengguan", action: "return", body: n("仍非本单位职责"), advance: 3 * oneDay, status: 422, field: "note"},
		}},
		{name: "city_case/one extension of at most 10 days, approved by the centre", create: city, steps: []wfStep{
			{as: "operator1", action: "accept"},
			{as: "dispatcher", action: "dispatch", check: wfDue(monEnd(3))},
			{as: "chengguan", action: "sign"},
			{as: "chengguan", action: "request_extension", body: map[string]any{"note": "需采购灯具", "days": 11}, status: 422, field: "days"},
			{as: "chengguan", action: "request_extension", body: map[string]any{"note": "需采购灯具"}, status: 422, field: "days"},
			{as: "chengguan", action: "request_extension", body: map[string]any{"note": "需采购灯具", "days": 5}, state: "handling", check: wfExtension("requested")},
			{as: "chengguan", action: "request_extension", body: map[string]any{"note": "再申请", "days": 2}, status: 422, field: "days"},
			{as: "chengguan", action: "decide_extension", body: res("approved"), status: 403},
			{as: "supervisor", action: "decide_extension", body: res("maybe"), status: 422, field: "result"},
			// Due Thursday 5 March; 5 more working days: Thursday 12 March.
			{as: "supervisor", action: "decide_extension", body: res("approved"), state: "handling", check: wfAll(wfExtension("approved"), wfDue(monEnd(10)))},
			{as: "supervisor", action: "decide_extension", body: res("approved"), status: 422, field: "result"},
			{as: "chengguan", action: "request_extension", body: map[string]any{"note": "还需延期", "days": 3}, status: 422, field: "days"},
		}},
		{name: "city_case/park, reopen, cancel", create: city, steps: []wfStep{
			{as: "operator1", action: "accept"},
			{as: "operator1", action: "park", body: n("x"), status: 403},
			{as: "supervisor", action: "park", body: n("涉及规划调整，挂账"), state: "parked"},
			{as: "supervisor", action: "reopen", body: n("规划已批复"), state: "registered"},
			{as: "supervisor", action: "cancel", status: 422, field: "note"},
			{as: "supervisor", action: "cancel", body: n("群众撤回诉求"), state: "cancelled"},
			{as: "dispatcher", action: "dispatch", status: 422},
		}},
		{name: "city_case/merge into a master case", create: city, master: true, steps: []wfStep{
			{as: "operator1", action: "merge", body: map[string]any{"master": 999999999}, status: 422, field: "master"},
			{as: "chengguan", action: "merge", body: map[string]any{"master": "$master"}, status: 403},
			{as: "operator1", action: "merge", body: map[string]any{"master": "$master", "note": "重复上报"}, state: "merged", check: wfKey("master_id", "$master")},
			{as: "operator1", action: "accept", status: 422},
		}},
		{name: "city_case/leader owns and instructs", create: city, steps: []wfStep{
			{as: "operator1", action: "accept"},
			{as: "operator1", action: "own", status: 403},
			{as: "leader", action: "own", state: "registered", check: wfKey("owner_id", "$uid:leader")},
			{as: "leader", action: "instruct", body: n("请城管局三日内办结"), state: "registered"},
		}},

		{name: "hotline_order/受理 派单 签收 办理 答复 回访(返工) 办结, reopen on dispute", creator: "operator1", create: hotline, steps: []wfStep{
			{as: "shuili", action: "accept", status: 404}, // not dispatched to the unit: unseen
			{as: "dispatcher", action: "accept", status: 403},
			{as: "operator1", action: "accept", state: "accepted"},
			{as: "operator1", action: "dispatch", body: map[string]any{"unit": 999999}, status: 422, field: "unit"},
			// 7 working days from Monday: Wednesday 11 March.
			{as: "operator1", action: "dispatch", body: map[string]any{"unit": "$org:shuili"}, state: "dispatched", check: wfDue(monEnd(9))},
			{as: "shuili", action: "sign", advance: time.Hour, state: "handling", check: wfField("responded_on_time", true)},
			{as: "shuili", action: "reply", body: n("已协调供水公司抢修"), status: 422, field: "fields.resolution"},
			{as: "shuili", action: "reply", body: map[string]any{"note": "已抢修恢复供水", "fields": map[string]any{"resolution": "bogus"}}, status: 422, field: "fields.resolution"},
			{as: "shuili", action: "reply", body: map[string]any{"note": "已抢修恢复供水", "fields": map[string]any{"resolution": "resolved"}}, state: "replied",
				check: wfAll(wfField("resolution", "resolved"), wfField("replied_on_time", true))},
			{as: "operator1", action: "follow_up", body: res("dissatisfied"), state: "handling", check: wfKey("satisfaction", "dissatisfied")},
			{as: "shuili", action: "reply", body: map[string]any{"note": "已更换老化管道", "fields": map[string]any{"resolution": "resolved"}}, state: "replied"},
			{as: "operator1", action: "follow_up", body: res("satisfied"), state: "followed_up", check: wfKey("satisfaction", "satisfied")},
			{as: "shuili", action: "close", status: 403},
			{as: "operator1", action: "close", state: "closed", check: wfTime("closed_at", wfMonday.Add(time.Hour))},
			{as: "operator1", action: "reopen", body: n("市民来电称再次停水，对办理结果有异议"), state: "accepted", check: wfKey("satisfaction", "<nil>")},
		}},
		{name: "hotline_order/response late, return within 2 working days then refused", creator: "operator1", create: hotline, steps: []wfStep{
			{as: "operator1", action: "accept"},
			{as: "operator1", action: "dispatch", body: map[string]any{"unit": "$org:shuili"}},
			// 2 working hours to sign: 09:00 → 11:00; signed at 12:00.
			{as: "shuili", action: "sign", advance: 3 * time.Hour, state: "handling", check: wfField("responded_on_time", false)},
			{as: "shuili", action: "return", body: n("属供水公司职责，非本单位"), advance: oneDay, state: "accepted"},
			{as: "dispatcher", action: "dispatch", body: map[string]any{"unit": "$org:zhujian"}, state: "dispatched"},
			{as: "zhujian", action: "return", body: n("非本单位"), advance: 3 * oneDay, status: 422, field: "note"},
		}},
		{name: "hotline_order/extension denied, then no second request", creator: "operator1", create: hotline, steps: []wfStep{
			{as: "operator1", action: "accept"},
			{as: "operator1", action: "dispatch", body: map[string]any{"unit": "$org:shuili"}},
			{as: "shuili", action: "sign"},
			{as: "shuili", action: "request_extension", body: map[string]any{"note": "需协调多部门", "days": 10}, state: "handling"},
			{as: "operator1", action: "decide_extension", body: res("denied"), state: "handling", check: wfAll(wfExtension("denied"), wfDue(monEnd(9)))},
			{as: "shuili", action: "request_extension", body: map[string]any{"note": "再次申请", "days": 3}, status: 422, field: "days"},
		}},
		{name: "hotline_order/emergency: 2 clock hours", creator: "operator1", create: map[string]any{"type": "hotline_order", "description": "燃气泄漏", "fields": map[string]any{"appeal_kind": "help", "urgency": "emergency"}}, steps: []wfStep{
			{as: "operator1", action: "accept"},
			{as: "operator1", action: "dispatch", body: map[string]any{"unit": "$org:zhujian"}, check: wfDue(wfMonday.Add(2 * time.Hour))},
			{as: "supervisor", action: "park", body: n("待燃气公司改造"), state: "parked"},
			{as: "operator1", action: "cancel", body: n("重复来电，已在另一工单处理"), state: "cancelled"},
		}},

		{name: "rectification/交办 签收 整改 验收(返工) 销号 with the ledger's figures", creator: "discipline", create: rect, steps: []wfStep{
			{as: "jiaoyu", action: "assign", status: 403},
			{as: "discipline", action: "assign", state: "assigned", check: wfDue(monEnd(21))}, // 校园餐: 15 working days
			{as: "zhujian", action: "sign", status: 404},
			{as: "jiaoyu", action: "sign", state: "rectifying"},
			{as: "jiaoyu", action: "update_progress", body: map[string]any{"note": "已追缴部分资金", "fields": map[string]any{"funds_recovered": "12.345"}}, status: 422, field: "fields.funds_recovered"},
			{as: "jiaoyu", action: "update_progress", body: map[string]any{"note": "已追缴部分资金", "fields": map[string]any{"people_handled": -1}}, status: 422, field: "fields.people_handled"},
			{as: "jiaoyu", action: "update_progress", body: map[string]any{"note": "进展", "fields": map[string]any{"subject": "x"}}, status: 422, field: "fields.subject"},
			{as: "jiaoyu", action: "update_progress", body: map[string]any{"note": "已追缴部分资金", "fields": map[string]any{"funds_recovered": 1479000.5, "people_handled": 3}},
				state: "rectifying", check: wfAll(wfField("funds_recovered", "1479000.50"), wfField("people_handled", 3))},
			{as: "jiaoyu", action: "report_back", body: n("整改完成"), status: 422, field: "evidence"},
			{as: "jiaoyu", action: "report_back", body: map[string]any{"note": "整改完成", "evidence": "$photo"}, status: 422, field: "fields.measures"},
			{as: "jiaoyu", action: "report_back", body: map[string]any{"note": "整改完成", "evidence": "$photo", "fields": map[string]any{
				"measures": "退还多收餐费，建立食堂经费公示制度", "funds_returned": "99710", "funds_returned_people": 412, "rules_made": 2, "clues_transferred": 1}}, state: "awaiting_review",
				check: wfAll(wfField("funds_returned", "99710.00"), wfField("funds_returned_people", 412), wfField("funds_recovered", "1479000.50"))},
			{as: "supervisor", action: "review", body: res("pass"), status: 403},
			{as: "discipline", action: "review", body: res("fail"), state: "rectifying"},
			{as: "jiaoyu", action: "report_back", body: map[string]any{"note": "补充整改", "evidence": "$photo"}, state: "awaiting_review"},
			{as: "discipline", action: "review", body: res("pass"), state: "closed"},
		}},
		{name: "rectification/return, long-term, extension, cancel", creator: "discipline", create: rect, steps: []wfStep{
			{as: "discipline", action: "assign"},
			{as: "jiaoyu", action: "return", body: n("应由市场监管局牵头"), state: "registered"},
			{as: "discipline", action: "assign", body: map[string]any{"unit": "$org:shijian"}, state: "assigned"},
			{as: "shijian", action: "sign"},
			{as: "shijian", action: "request_extension", body: map[string]any{"note": "需审计配合", "days": 10}},
			{as: "discipline", action: "decide_extension", body: res("approved"), check: wfExtension("approved")},
			{as: "discipline", action: "park", body: n("涉及历史遗留问题，转长期整改"), state: "long_term"},
			{as: "discipline", action: "resume", body: n("恢复整改"), state: "rectifying"},
			{as: "leader", action: "cancel", body: n("x"), status: 403},
			{as: "discipline", action: "cancel", body: n("经核实问题不存在"), state: "cancelled"},
		}},

		{name: "clue/four dispositions, 包案, 办结 with outcome; others never see it", creator: "discipline", create: clue, steps: []wfStep{
			{as: "supervisor", action: "dispose", body: res("talk_inquiry"), status: 404},
			{as: "leader", action: "dispose", body: res("talk_inquiry"), status: 404},
			{as: "admin", action: "dispose", body: res("talk_inquiry"), status: 404},
			{as: "discipline", action: "dispose", body: res("warning"), status: 422, field: "result"},
			{as: "discipline", action: "own", status: 422, field: "owner"},
			{as: "discipline", action: "own", body: map[string]any{"owner": "$uid:operator1"}, status: 422, field: "owner"},
			{as: "discipline", action: "own", body: map[string]any{"owner": "$uid:leader"}, state: "registered", check: wfKey("owner_id", "$uid:leader")},
			{as: "discipline", action: "dispose", body: res("preliminary_verification"), state: "verifying", check: wfField("disposition", "preliminary_verification")},
			{as: "discipline", action: "conclude", body: n("核实属实"), status: 422, field: "fields.outcome"},
			{as: "discipline", action: "conclude", body: map[string]any{"note": "核实属实，给予党内警告处分", "fields": map[string]any{"outcome": "sanction", "people_handled": 1, "funds_recovered": 20000}},
				state: "closed", check: wfAll(wfField("outcome", "sanction"), wfField("funds_recovered", "20000.00"))},
		}},
		{name: "clue/shelved, reactivated, concluded", creator: "discipline", create: clue, steps: []wfStep{
			{as: "discipline", action: "dispose", body: res("shelved"), state: "shelved", check: wfField("disposition", "shelved")},
			{as: "discipline", action: "reactivate", body: n("获得新的线索材料"), state: "registered"},
			{as: "discipline", action: "dispose", body: res("talk_inquiry"), state: "talk_inquiry"},
			{as: "discipline", action: "conclude", body: map[string]any{"note": "函询说明清楚", "fields": map[string]any{"outcome": "cleared"}}, state: "closed"},
		}},
		{name: "clue/予以了结 at once", creator: "discipline", create: clue, steps: []wfStep{
			{as: "discipline", action: "dispose", body: res("concluded"), state: "closed", check: wfField("disposition", "concluded")},
		}},

		{name: "project/交办 实施 进度 完工 验收, suspend and resume", creator: "supervisor", create: project, steps: []wfStep{
			{as: "zhujian", action: "assign", status: 404}, // not the unit's yet
			{as: "leader", action: "assign", body: map[string]any{"unit": "$org:zhujian"}, state: "assigned", check: wfDue(time.Date(2026, 6, 30, 23, 59, 59, 0, calendar.Beijing()))},
			{as: "zhujian", action: "sign", state: "in_progress"},
			{as: "zhujian", action: "update_progress", body: map[string]any{"fields": map[string]any{"percent_complete": 150}}, status: 422, field: "fields.percent_complete"},
			{as: "zhujian", action: "update_progress", body: map[string]any{"fields": map[string]any{"percent_complete": 60, "milestones": []any{
				map[string]any{"name": "管网改造", "due": "2026-04-30", "done": true}, map[string]any{"name": "外立面", "due": "2026-06-15"}}}},
				state: "in_progress", check: wfField("percent_complete", 60)},
			{as: "zhujian", action: "update_progress", body: map[string]any{"fields": map[string]any{"percent_complete": 70, "milestones": []any{map[string]any{"due": "2026-04-30"}}}}, status: 422, field: "fields.milestones"},
			{as: "leader", action: "suspend", body: n("资金未到位"), state: "suspended"},
			{as: "leader", action: "resume", body: n("资金已到位"), state: "in_progress"},
			{as: "zhujian", action: "complete", body: map[string]any{"note": "完工", "evidence": "$photo"}, status: 422, field: "fields.beneficiaries"},
			{as: "zhujian", action: "complete", body: map[string]any{"note": "完工", "evidence": "$photo", "fields": map[string]any{"beneficiaries": 3200, "funds_spent": 11800000, "percent_complete": 100}},
				state: "completed", check: wfField("funds_spent", "11800000.00")},
			{as: "supervisor", action: "accept", body: res("pass"), state: "closed"},
		}},
		{name: "project/return, extension, cancel", creator: "supervisor", create: project, steps: []wfStep{
			{as: "supervisor", action: "assign", body: map[string]any{"unit": "$org:zhujian"}},
			{as: "zhujian", action: "return", body: n("应由民政局实施"), state: "planned"},
			{as: "supervisor", action: "assign", body: map[string]any{"unit": "$org:minzheng"}},
			{as: "minzheng", action: "request_extension", body: map[string]any{"note": "雨季影响", "days": 10}},
			{as: "leader", action: "decide_extension", body: res("approved"), check: wfAll(wfExtension("approved"), wfDue(time.Date(2026, 7, 14, 23, 59, 59, 0, calendar.Beijing())))},
			{as: "leader", action: "cancel", body: n("项目调整"), state: "cancelled"},
		}},

		{name: "referral/转出, 拒收 back to the sender, 再转出, 接收, 完成", creator: "weijian", create: referral, steps: []wfStep{
			{as: "weijian", action: "send", status: 422, field: "unit"},
			{as: "weijian", action: "send", body: map[string]any{"unit": "$org:minzheng"}, state: "sent"},
			{as: "weijian", action: "accept", status: 404},
			{as: "minzheng", action: "decline", status: 422, field: "note"},
			{as: "minzheng", action: "decline", body: n("无心内科床位"), state: "requested", check: wfKey("unit", map[string]any{"id": "$org:weijian", "name": "区卫生健康局"})},
			{as: "weijian", action: "send", body: map[string]any{"unit": "$org:yibao", "fields": map[string]any{"to_institution": "湘雅二医院"}}, state: "sent", check: wfField("to_institution", "湘雅二医院")},
			{as: "yibao", action: "accept", state: "accepted", check: wfField("accepted_on_time", true)},
			{as: "yibao", action: "complete", body: n("好转"), status: 422, field: "fields.outcome"},
			{as: "yibao", action: "complete", body: map[string]any{"note": "PCI 术后好转，转回基层康复", "fields": map[string]any{"outcome": "referred_back"}}, state: "closed"},
		}},
		{name: "consultation/申请, 接收, 出具意见", creator: "weijian", create: consult, steps: []wfStep{
			{as: "operator1", action: "send", body: map[string]any{"unit": "$org:yibao"}, status: 403},
			{as: "weijian", action: "send", body: map[string]any{"unit": "$org:yibao"}, state: "sent"},
			{as: "yibao", action: "accept", state: "in_consultation"},
			{as: "yibao", action: "answer", status: 422, field: "fields.opinion"},
			{as: "yibao", action: "answer", body: map[string]any{"fields": map[string]any{"opinion": "考虑炎性病变，建议抗感染治疗后复查"}}, state: "closed", check: wfField("answered_on_time", true)},
		}},
		{name: "consultation/declined, cancelled", creator: "weijian", create: consult, steps: []wfStep{
			{as: "weijian", action: "send", body: map[string]any{"unit": "$org:yibao"}},
			{as: "yibao", action: "decline", body: n("无该专科"), state: "requested"},
			{as: "weijian", action: "cancel", body: n("患者已转院"), state: "cancelled"},
		}},

		{name: "finding/查 交办 整改 验收(返工) 销号", creator: "leader", create: finding, steps: []wfStep{
			{as: "leader", action: "assign", status: 422, field: "unit"},
			{as: "leader", action: "assign", body: map[string]any{"unit": "$org:weijian"}, state: "assigned", check: wfDue(monEnd(14))},
			{as: "weijian", action: "sign", state: "rectifying"},
			{as: "weijian", action: "report_back", body: n("已清理"), status: 422, field: "fields.rectified"},
			{as: "weijian", action: "report_back", body: map[string]any{"note": "已清理", "fields": map[string]any{"rectified": "yes", "measures": "清理杂物"}}, status: 422, field: "fields.rectified"},
			{as: "weijian", action: "report_back", body: map[string]any{"note": "部分清理", "fields": map[string]any{"rectified": false, "measures": "清理杂物"}}, state: "awaiting_review"},
			{as: "leader", action: "review", body: res("fail"), state: "rectifying"},
			{as: "weijian", action: "report_back", body: map[string]any{"note": "已全部清理并建立巡查制度", "fields": map[string]any{"rectified": true}}, state: "awaiting_review", check: wfField("rectified", true)},
			{as: "supervisor", action: "review", body: res("pass"), state: "closed"},
			{as: "leader", action: "reopen", body: n("回头看发现反弹"), state: "recorded"},
		}},
		{name: "finding/return, long-term, cancel", creator: "leader", create: finding, steps: []wfStep{
			{as: "leader", action: "assign", body: map[string]any{"unit": "$org:weijian"}},
			{as: "weijian", action: "return", body: n("属后勤公司"), state: "recorded"},
			{as: "supervisor", action: "assign", body: map[string]any{"unit": "$org:zhujian"}},
			{as: "zhujian", action: "sign"},
			{as: "supervisor", action: "park", body: n("需改建消防通道，长期整改"), state: "parked"},
			{as: "supervisor", action: "resume", body: n("已立项"), state: "rectifying"},
			{as: "leader", action: "cancel", body: n("与另一问题重复"), state: "cancelled"},
		}},
	}

	w := newWFHarness(t, wfMonday, -1)
	lat, lng, _ := demoPoint(t, w.harness, 23)
	photo := upload(t, w.harness, w.tok("admin"), pngBytes(t))
	// Each account that cites the photo sends its bytes itself (the same
	// id: content is stored by hash): a hash alone lets no one cite a file.
	sent := map[string]bool{}
	for _, sc := range scenarios {
		for _, st := range sc.steps {
			if st.as != "" && st.as != "grid_worker_any" && !sent[st.as] {
				sent[st.as] = true
				if id := upload(t, w.harness, w.tok(st.as), pngBytes(t)); id != photo {
					t.Fatalf("the same bytes from %s: id %s, want %s", st.as, id, photo)
				}
			}
		}
	}
	// A grid worker of another grid may not verify (403 by role: grid
	// workers verify, but only in their own grid).
	gw := ""
	for _, u := range mustUsers(t, w.harness) {
		if u.Role == "grid_worker" {
			gw = u.Username
			break
		}
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			w.t = t
			defer func() { w.t = nil }()
			for i := range sc.steps {
				if sc.steps[i].as == "grid_worker_any" {
					sc.steps[i].as = gw
				}
			}
			vars := map[string]any{"$lat": lat, "$lng": lng, "$photo": []any{photo}}
			w.run(sc, vars)
		})
	}
}
