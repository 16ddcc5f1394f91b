package app_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestAdminWorkflowVersions replaces the city case definition over the
// admin API: inconsistent definitions are refused with every problem named;
// a good one becomes version 2 for new cases while open cases keep version
// 1; both survive a restart.
func TestAdminWorkflowVersions(t *testing.T) {
	w := newWFHarness(t, wfMonday, -1)
	lat, lng, _ := demoPoint(t, w.harness, 5)
	old := w.do("POST", "/api/v1/cases", "", map[string]any{"category": "0105", "description": "路灯不亮", "lat": lat, "lng": lng})
	oldID := num(old.body["id"])

	r := w.do("GET", "/api/v1/workflows/city_case", "", nil)
	if r.status != 200 || num(r.body["version"]) != 1 {
		t.Fatalf("get definition: %d %s", r.status, r.raw)
	}
	var def map[string]any
	json.Unmarshal(r.raw, &def)
	delete(def, "version")
	// Version 2 asks for the hazard level on every report.
	def["fields"] = []any{map[string]any{"name": "hazard", "label": "危险程度", "label_en": "Hazard", "type": "enum", "required": true,
		"values": []any{map[string]any{"value": "low", "label": "低"}, map[string]any{"value": "high", "label": "高"}}}}

	post := func(user string, d any, hdr ...string) resp {
		return w.do("POST", "/api/v1/admin/workflows", w.tok(user), d, hdr...)
	}
	if r := post("supervisor", def); r.status != 403 {
		t.Fatalf("supervisor: %d", r.status)
	}
	broken := map[string]any{}
	for k, v := range def {
		broken[k] = v
	}
	broken["states"] = append(append([]any{}, def["states"].([]any)...), map[string]any{"name": "limbo", "label": "悬空", "terminal": true})
	broken["actions"] = append(append([]any{}, def["actions"].([]any)...), map[string]any{"name": "bless", "label": "祝福", "label_en": "Bless", "from": []any{"reported"}, "to": "heaven", "roles": []any{"pope"}})
	// Every problem is listed, in Chinese unless the request asks for English.
	wantZh := []string{`动作 "bless" 的目标状态 "heaven" 不存在`, `动作 "bless"：角色 "pope" 不存在`, `状态 "limbo" 无法从初始状态 "reported" 到达`}
	wantEn := []string{`action "bless": to state "heaven" is not defined`, `action "bless": role "pope" does not exist`, `state "limbo" cannot be reached from "reported"`}
	for _, c := range []struct {
		hdr      []string
		message  string
		problems []string
	}{
		{nil, "案件类型定义有误，未被接受", wantZh},
		{[]string{"Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8"}, "案件类型定义有误，未被接受", wantZh},
		{[]string{"Accept-Language", "en"}, "The case-type definition is invalid and was not accepted", wantEn},
	} {
		r = post("admin", broken, c.hdr...)
		if r.status != 422 || wfErrCode(r) != "invalid_workflow" {
			t.Fatalf("broken %v: %d %s", c.hdr, r.status, r.raw)
		}
		e, _ := r.body["error"].(map[string]any)
		if e["message"] != c.message {
			t.Errorf("broken %v: message %v", c.hdr, e["message"])
		}
		problems := wfProblems(r)
		if !slices.Equal(problems, c.problems) {
			t.Errorf("broken %v: problems\n%q\nwant\n%q", c.hdr, problems, c.problems)
		}
		if got := wfFieldErr(r, "definition"); got != strings.Join(c.problems, "; ") {
			t.Errorf("broken %v: fields.definition %q", c.hdr, got)
		}
	}
	for _, c := range []struct {
		hdr  []string
		want string
	}{{nil, "不是有效的流程定义文档："}, {[]string{"Accept-Language", "en"}, "not a valid definition document: "}} {
		if r := post("admin", `{"type":"city_case","states":`, c.hdr...); r.status != 422 || len(wfProblems(r)) != 1 || !strings.HasPrefix(wfProblems(r)[0], c.want) {
			t.Fatalf("malformed %v: %d %s", c.hdr, r.status, r.raw)
		}
	}
	if r := post("admin", `{"type":"city_case"} {}`); r.status != 422 || !slices.Equal(wfProblems(r), []string{"流程定义之后还有多余的内容"}) {
		t.Fatalf("trailing data: %d %s", r.status, r.raw)
	}

	r = post("admin", def)
	if r.status != 201 || num(r.body["version"]) != 2 {
		t.Fatalf("version 2: %d %s", r.status, r.raw)
	}
	again := map[string]any{"type": "city_case", "version": 2, "name": "x", "initial": "a", "states": []any{map[string]any{"name": "a", "label": "a", "terminal": true}}, "actions": []any{}}
	if r := post("admin", again); r.status != 422 || !slices.Equal(wfProblems(r), []string{"版本号 2 必须大于 city_case 现有的最新版本 2"}) {
		t.Fatalf("version 2 again: %d %s", r.status, r.raw)
	}
	if r := post("admin", again, "Accept-Language", "en"); r.status != 422 || !slices.Equal(wfProblems(r), []string{"version 2 is not above the newest version 2 of city_case"}) {
		t.Fatalf("version 2 again, English: %d %s", r.status, r.raw)
	}

	wfCheck := func() {
		t.Helper()
		// New cases are version 2 and validated by it.
		r := w.do("POST", "/api/v1/cases", "", map[string]any{"category": "0105", "description": "路灯倒伏", "lat": lat, "lng": lng})
		if r.status != 422 || wfFieldErr(r, "fields.hazard") == "" {
			t.Fatalf("v2 without hazard: %d %s", r.status, r.raw)
		}
		r = w.do("POST", "/api/v1/cases", "", map[string]any{"category": "0105", "description": "路灯倒伏", "lat": lat, "lng": lng, "fields": map[string]any{"hazard": "high"}})
		if r.status != 201 || num(r.body["def_version"]) != 2 {
			t.Fatalf("v2 case: %d %s", r.status, r.raw)
		}
		// The old case keeps version 1 and goes on.
		c := w.get("admin", oldID).body
		if num(c["def_version"]) != 1 {
			t.Fatalf("old case moved to v%v", c["def_version"])
		}
	}
	wfCheck()
	r = w.act("operator1", oldID, "accept", map[string]any{"version": 1})
	if r.status != 200 {
		t.Fatalf("old case accept: %d %s", r.status, r.raw)
	}
	w.reboot()
	wfCheck()
	if r := w.do("GET", "/api/v1/workflows", "", nil); !strings.Contains(string(r.raw), `"hazard"`) || strings.Contains(string(r.raw), `"type":"clue"`) {
		t.Fatalf("list for a citizen: %s", r.raw)
	}
	if r := w.do("GET", "/api/v1/workflows/clue", w.tok("discipline"), nil); r.status != 200 {
		t.Fatalf("discipline reads clue: %d", r.status)
	}
	if r := w.do("GET", "/api/v1/workflows/clue", w.tok("leader"), nil); r.status != 404 {
		t.Fatalf("leader reads clue: %d", r.status)
	}
}

// wfProblems returns the problems a refused definition lists.
func wfProblems(r resp) []string {
	ps, _ := r.body["problems"].([]any)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i], _ = p.(string)
	}
	return out
}
