package app_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// webRuleForm is the rules page's add or edit form; edit changes it.
func webRuleForm(csrf, category string, area, unit int64, co []int64, edit func(url.Values)) url.Values {
	f := url.Values{"csrf": {csrf}, "category": {category}, "area_id": {fmt.Sprint(area)}, "unit_id": {fmt.Sprint(unit)}, "note": {"网页测试规则"}}
	for _, id := range co {
		f.Add("co_unit_ids", fmt.Sprint(id))
	}
	if edit != nil {
		edit(f)
	}
	return f
}

// TestWebRules works the routing rules page as a browser would: add a
// rule and a case of its category in its area goes to its unit (the
// routing explanation names the co-unit); bad input comes back on its
// field and writes nothing; filter by category; edit (a new version in
// the history, new cases follow it); a community's rule is shown as taking
// precedence over the street's; delete (the history stays); only
// administrators may see or post; English labels.
func TestWebRules(t *testing.T) {
	h := newHarness(t, t.TempDir())
	count := func() int { return h.sqlCount(`SELECT COUNT(*) FROM routing_rules`) }
	versions := func() int { return h.sqlCount(`SELECT COUNT(*) FROM routing_rule_versions`) }
	units := geoUnits(t, h)
	street, cg, zj, ga := units["乐坪街道"], units["区城市管理局"], units["区住房和城乡建设局"], units["区公安分局"]
	fc := geoExport(t, h)
	f := geoGridIn(t, fc, "乐坪街道", 0)
	lat, lng := geoCentroid(t, f)
	comm := num(f.Properties["community_id"])
	op := h.login("operator1")
	if c := newCase(t, h, op, "E0102", lat, lng); c["routing"] != "territorial" || unitID(c) != street {
		t.Fatalf("before any rule: %v → %v", c["routing"], c["unit"])
	}

	anon := newWebClient(t, h.srv.URL, nil)
	if p := anon.get("/admin/rules"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next="+url.QueryEscape("/admin/rules") {
		t.Fatalf("anonymous: %d %s", p.status, p.header.Get("Location"))
	}

	admin := newWebClient(t, h.srv.URL, nil)
	admin.login("admin")
	if idx := admin.get("/admin/"); !strings.Contains(idx.body, `<a href="/admin/rules" id="admin-rules">派遣规则</a>`) {
		t.Errorf("the admin index does not link the rules page")
	}
	p := admin.get("/admin/rules")
	checkHTML(t, "rules page", p)
	form := between(p.body, `id="rule-form"`, "</form>")
	if p.status != 200 || !strings.Contains(p.body, `id="rules-empty"`) {
		t.Fatalf("rules page: %d", p.status)
	}
	for _, want := range []string{`<option value="E0102">`, fmt.Sprintf(`<option value="%d">乐坪街道（街道）</option>`, street),
		fmt.Sprintf(`<option value="%d">区城市管理局（区直部门）</option>`, cg), fmt.Sprintf(`name="co_unit_ids" value="%d"`, zj), `name="note"`} {
		if !strings.Contains(form, want) {
			t.Errorf("form lacks %q", want)
		}
	}
	// A department is no area.
	if area := between(form, `id="area_id"`, "</select>"); strings.Contains(area, fmt.Sprintf(`value="%d"`, cg)) {
		t.Errorf("the area choices offer a department")
	}
	before, vbefore := count(), versions()

	// Refusals: on their fields, nothing written.
	for _, tc := range []struct {
		name, field, msg string
		edit             func(url.Values)
	}{
		{"unknown unit", "unit_id", "未知的单位", func(f url.Values) { f.Set("unit_id", "999999") }},
		{"unit not a number", "unit_id", "未知的单位", func(f url.Values) { f.Set("unit_id", "abc") }},
		{"grid as unit", "unit_id", "未知的单位", func(f url.Values) { f.Set("unit_id", fmt.Sprint(num(f0ID(fc)))) }},
		{"missing category", "category", "必填", func(f url.Values) { f.Set("category", "") }},
		{"unknown category", "category", "未知的案件类别", func(f url.Values) { f.Set("category", "X99") }},
		{"missing area", "area_id", "必填", func(f url.Values) { f.Del("area_id") }},
		{"department area", "area_id", "须为区县、街道（乡镇）、社区（村）或网格", func(f url.Values) { f.Set("area_id", fmt.Sprint(cg)) }},
		{"co-unit is lead", "co_unit_ids", "协办单位不能与主办单位相同", func(f url.Values) { f.Add("co_unit_ids", fmt.Sprint(cg)) }},
		{"note too long", "note", "不能超过 500 个字", func(f url.Values) { f.Set("note", strings.Repeat("字", 501)) }},
	} {
		res := admin.post("/admin/rules", webRuleForm(admin.csrf("/admin/rules"), "E0102", street, cg, []int64{zj}, tc.edit))
		checkHTML(t, tc.name, res)
		if got := between(res.body, `id="`+tc.field+`-error">`, "</p>"); res.status != http.StatusUnprocessableEntity || !strings.Contains(got, html.EscapeString(tc.msg)) ||
			!strings.Contains(res.body, "规则未保存，系统数据未作任何更改") {
			t.Errorf("%s: %d, %s error %q", tc.name, res.status, tc.field, got)
		}
		if count() != before || versions() != vbefore {
			t.Fatalf("%s: wrote a rule", tc.name)
		}
		// The form comes back as it was sent.
		if tc.field != "category" && !strings.Contains(between(res.body, `id="category"`, "</select>"), `<option value="E0102" selected>`) {
			t.Errorf("%s: the category is not kept", tc.name)
		}
	}
	// No token, no rule.
	if res := admin.post("/admin/rules", webRuleForm("", "E0102", street, cg, nil, nil)); res.status != http.StatusForbidden || count() != before {
		t.Errorf("add without a token: %d", res.status)
	}

	// Add: the street's 暴露垃圾 to 城管, 住建 assisting.
	res := admin.post("/admin/rules", webRuleForm(admin.csrf("/admin/rules"), "E0102", street, cg, []int64{zj}, nil))
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/rules?created=") {
		t.Fatalf("add: %d %s %s", res.status, loc, between(res.body, `id="page-error"`, "</div>"))
	}
	ruleID, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/admin/rules?created="), 10, 64)
	if count() != before+1 {
		t.Fatalf("add made %d rules", count()-before)
	}
	p = admin.get(loc)
	checkHTML(t, "rule added", p)
	if done := between(p.body, `id="rules-done"`, "</div>"); !strings.Contains(done, fmt.Sprintf("已新增规则 #%d：E0102 暴露垃圾 在 乐坪街道 由 区城市管理局 主办", ruleID)) {
		t.Errorf("add message: %q", done)
	}
	row := between(p.body, fmt.Sprintf(`<tr id="rule-%d"`, ruleID), "</tr>")
	for _, want := range []string{"E0102 暴露垃圾", "乐坪街道", "区城市管理局", "区住房和城乡建设局", "网页测试规则", fmt.Sprintf(`href="/admin/rules/%d"`, ruleID)} {
		if !strings.Contains(row, want) {
			t.Errorf("rule row lacks %q:\n%s", want, row)
		}
	}
	if p := admin.get("/admin/rules?created=99999"); strings.Contains(p.body, `id="rules-done"`) {
		t.Errorf("a made-up add message is shown")
	}
	// A case of the category in the street goes to the rule's unit, with
	// the co-unit in its explanation.
	c := newCase(t, h, op, "E0102", lat, lng)
	if c["routing"] != fmt.Sprintf("rule:%d", ruleID) || unitID(c) != cg {
		t.Fatalf("a case after the rule: %v → %v", c["routing"], c["unit"])
	}
	ex := h.do("GET", fmt.Sprintf("/api/v1/cases/%d/routing", num(c["id"])), op, nil)
	if co, _ := ex.body["co_units"].([]any); ex.status != 200 || ex.body["how"] != "rule" || len(co) != 1 || num(co[0].(map[string]any)["id"]) != zj {
		t.Errorf("routing explanation: %d %s", ex.status, ex.raw)
	}
	// A second rule for the category and area: refused on the area.
	res = admin.post("/admin/rules", webRuleForm(admin.csrf("/admin/rules"), "E0102", street, ga, nil, nil))
	if got := between(res.body, `id="area_id-error">`, "</p>"); res.status != http.StatusUnprocessableEntity || !strings.Contains(got, "该类别在此区域已有派遣规则") || count() != before+1 {
		t.Errorf("duplicate: %d %q", res.status, got)
	}

	// A community rule: shown as taking precedence over the street's.
	res = admin.post("/admin/rules", webRuleForm(admin.csrf("/admin/rules"), "E0102", comm, street, nil, func(f url.Values) { f.Set("note", "") }))
	commLoc := res.header.Get("Location")
	commID, _ := strconv.ParseInt(strings.TrimPrefix(commLoc, "/admin/rules?created="), 10, 64)
	if res.status != http.StatusSeeOther || commID == 0 {
		t.Fatalf("community rule: %d %s", res.status, between(res.body, `id="page-error"`, "</div>"))
	}
	p = admin.get("/admin/rules")
	if row := between(p.body, fmt.Sprintf(`<tr id="rule-%d"`, commID), "</tr>"); !strings.Contains(row, fmt.Sprintf("优先于规则 #%d 乐坪街道", ruleID)) {
		t.Errorf("community rule row:\n%s", row)
	}
	if strings.Index(p.body, fmt.Sprintf(`<tr id="rule-%d"`, ruleID)) > strings.Index(p.body, fmt.Sprintf(`<tr id="rule-%d"`, commID)) {
		t.Errorf("the street's rule is not listed before the community's")
	}

	// Filter by category: 占道经营 (E0501) has nothing to do with 暴露垃圾;
	// 市容环境 (E01) covers it.
	if p := admin.get("/admin/rules?category=E0501"); strings.Contains(p.body, fmt.Sprintf(`id="rule-%d"`, ruleID)) || !strings.Contains(p.body, `id="rules-empty"`) {
		t.Errorf("filter E0501 shows the E0102 rule")
	}
	if p := admin.get("/admin/rules?category=E0102"); !strings.Contains(p.body, fmt.Sprintf(`id="rule-%d"`, ruleID)) || !strings.Contains(p.body, `<option value="E0102" selected>`) {
		t.Errorf("filter E0102 hides its rule")
	}

	// Edit: the rule's page, the form filled in.
	rulePath := fmt.Sprintf("/admin/rules/%d", ruleID)
	p = admin.get(rulePath)
	checkHTML(t, "rule page", p)
	ef := between(p.body, `id="rule-form"`, "</form>")
	if p.status != 200 || !strings.Contains(ef, `<option value="E0102" selected>`) || !strings.Contains(ef, fmt.Sprintf(`<option value="%d" selected>区城市管理局`, cg)) ||
		!strings.Contains(ef, fmt.Sprintf(`value="%d" checked>`, zj)) || !strings.Contains(ef, ">网页测试规则</textarea>") {
		t.Fatalf("rule page form: %d\n%s", p.status, ef)
	}
	if hist := between(p.body, `id="rule-versions"`, "</table>"); !strings.Contains(hist, `<tr id="version-1"`) || strings.Contains(hist, `id="version-2"`) {
		t.Errorf("history before an edit:\n%s", hist)
	}
	// A bad edit: on its field, nothing written.
	vbefore = versions()
	res = admin.post(rulePath, webRuleForm(admin.csrf(rulePath), "E0102", street, 999999, nil, nil))
	if got := between(res.body, `id="unit_id-error">`, "</p>"); res.status != http.StatusUnprocessableEntity || got == "" || versions() != vbefore {
		t.Errorf("bad edit: %d %q", res.status, got)
	}
	// A good edit: 住建 leads, no co-unit.
	res = admin.post(rulePath, webRuleForm(admin.csrf(rulePath), "E0102", street, zj, nil, func(f url.Values) { f.Set("note", "改由住建主办") }))
	if res.status != http.StatusSeeOther || res.header.Get("Location") != rulePath+"?saved=2" {
		t.Fatalf("edit: %d %s %s", res.status, res.header.Get("Location"), between(res.body, `id="page-error"`, "</div>"))
	}
	p = admin.get(res.header.Get("Location"))
	if done := between(p.body, `id="rules-done"`, "</div>"); !strings.Contains(done, fmt.Sprintf("已保存规则 #%d（第 2 版）", ruleID)) {
		t.Errorf("save message: %q", done)
	}
	hist := between(p.body, `id="rule-versions"`, "</table>")
	v1, v2 := between(hist, `<tr id="version-1"`, "</tr>"), between(hist, `<tr id="version-2"`, "</tr>")
	if !strings.Contains(v1, "区城市管理局") || !strings.Contains(v1, "区住房和城乡建设局") || !strings.Contains(v2, "区住房和城乡建设局") ||
		!strings.Contains(v2, "改由住建主办") || !strings.Contains(v2, "当前") || !strings.Contains(v2, "(admin)") {
		t.Errorf("history after the edit:\n%s", hist)
	}
	if p := admin.get(rulePath + "?saved=7"); strings.Contains(p.body, `id="rules-done"`) {
		t.Errorf("a made-up save message is shown")
	}
	// New cases follow the edit (elsewhere in the street: the community's
	// rule rules its own community).
	other := f
	for _, g := range fc.Features {
		if g.Properties["street"] == "乐坪街道" && num(g.Properties["community_id"]) != comm {
			other = g
			break
		}
	}
	olat, olng := geoCentroid(t, other)
	if c := newCase(t, h, op, "E0102", olat, olng); c["routing"] != fmt.Sprintf("rule:%d", ruleID) || unitID(c) != zj {
		t.Errorf("after the edit: %v → %v", c["routing"], c["unit"])
	}
	if c := newCase(t, h, op, "E0102", lat, lng); c["routing"] != fmt.Sprintf("rule:%d", commID) || unitID(c) != street {
		t.Errorf("in the community: %v → %v", c["routing"], c["unit"])
	}

	// Delete: gone from the list, history kept, cases back to 属地.
	n := count()
	res = admin.post(rulePath+"/delete", url.Values{"csrf": {admin.csrf(rulePath)}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != fmt.Sprintf("/admin/rules?deleted=%d", ruleID) || count() != n-1 {
		t.Fatalf("delete: %d %s", res.status, res.header.Get("Location"))
	}
	p = admin.get(res.header.Get("Location"))
	if done := between(p.body, `id="rules-done"`, "</div>"); !strings.Contains(done, fmt.Sprintf("已删除规则 #%d", ruleID)) || strings.Contains(p.body, fmt.Sprintf(`id="rule-%d"`, ruleID)) {
		t.Errorf("after delete: %q", done)
	}
	p = admin.get(rulePath)
	if p.status != 200 || !strings.Contains(p.body, `id="rule-deleted"`) || strings.Contains(p.body, `id="rule-form"`) ||
		!strings.Contains(between(p.body, `<tr id="version-2"`, "</tr>"), "已删除") {
		t.Errorf("deleted rule's page: %d", p.status)
	}
	if c := newCase(t, h, op, "E0102", olat, olng); c["routing"] != "territorial" {
		t.Errorf("after the delete: %v", c["routing"])
	}
	if res := admin.post(rulePath+"/delete", url.Values{"csrf": {admin.csrf("/admin/rules")}}); res.status != http.StatusNotFound {
		t.Errorf("second delete: %d", res.status)
	}
	if p := admin.get("/admin/rules/99999"); p.status != http.StatusNotFound {
		t.Errorf("no such rule: %d", p.status)
	}

	// Other roles: 403, nothing written.
	n, vbefore = count(), versions()
	commPath := fmt.Sprintf("/admin/rules/%d", commID)
	for _, user := range []string{"operator1", "dispatcher"} {
		w := newWebClient(t, h.srv.URL, nil)
		w.login(user)
		if p := w.get("/admin/rules"); p.status != http.StatusForbidden || strings.Contains(p.body, "rules-table") {
			t.Errorf("%s: GET %d", user, p.status)
		}
		if p := w.get(commPath); p.status != http.StatusForbidden {
			t.Errorf("%s: GET rule %d", user, p.status)
		}
		csrf := w.csrf("/work/inbox")
		if res := w.post("/admin/rules", webRuleForm(csrf, "E0103", street, cg, nil, nil)); res.status != http.StatusForbidden {
			t.Errorf("%s: add %d", user, res.status)
		}
		if res := w.post(commPath, webRuleForm(csrf, "E0102", comm, cg, nil, nil)); res.status != http.StatusForbidden {
			t.Errorf("%s: edit %d", user, res.status)
		}
		if res := w.post(commPath+"/delete", url.Values{"csrf": {csrf}}); res.status != http.StatusForbidden {
			t.Errorf("%s: delete %d", user, res.status)
		}
	}
	if count() != n || versions() != vbefore {
		t.Errorf("other roles wrote")
	}

	// English.
	p = admin.get("/admin/rules?lang=en")
	if p.header.Get("Content-Language") != "en" {
		t.Errorf("Content-Language %q", p.header.Get("Content-Language"))
	}
	for _, want := range []string{"Routing rules", "Lead unit", "Co-units", "Add a rule", "E0102 Exposed garbage", "Filter by category", "Precedence: the smaller area wins"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("English page lacks %q", want)
		}
	}
	for _, zh := range []string{"主办单位", "协办单位", "新增规则", "暴露垃圾"} {
		if strings.Contains(p.body, zh) {
			t.Errorf("English page has %q", zh)
		}
	}
	res = admin.post("/admin/rules", webRuleForm(admin.csrf("/admin/rules?lang=en"), "", street, cg, nil, nil))
	if got := between(res.body, `id="category-error">`, "</p>"); res.status != http.StatusUnprocessableEntity || !strings.Contains(got, "Required") ||
		!strings.Contains(res.body, "The rule was not saved and nothing was changed") {
		t.Errorf("English refusal: %d %q", res.status, got)
	}
	if p := admin.get(commPath); !strings.Contains(p.body, "History") || !strings.Contains(p.body, fmt.Sprintf("Routing rule #%d", commID)) {
		t.Errorf("English rule page")
	}
}

func f0ID(fc geoFC) any { return fc.Features[0].ID }
