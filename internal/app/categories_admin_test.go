package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// TestAdminCategories: an administrator adds a category with its own
// deadline and default unit, and cases filed under it get both; a changed
// deadline counts for cases dispatched afterwards while running clocks keep
// theirs;
// every state is kept with who set it; bad input is refused field by field
// in zh and en and writes nothing; only administrators may do it.
func TestAdminCategories(t *testing.T) {
	h := newHarness(t, t.TempDir())
	admin, op, disp := h.login("admin"), h.login("operator1"), h.login("dispatcher")
	ref := h.app.Service.Ref()

	// A top-level city-case category without routing rules (a rule on a
	// parent would route its children), and a department as default unit.
	ruled := map[int64]bool{}
	for _, r := range ref.Rules() {
		ruled[r.CategoryID] = true
	}
	var parent model.Category
	for _, c := range ref.CatList {
		if c.ParentID == 0 && c.CaseType == "city_case" && !ruled[c.ID] {
			parent = c
			break
		}
	}
	if parent.ID == 0 {
		t.Fatal("no top-level city-case category without rules in the demo")
	}
	var dept, other model.OrgUnit
	for _, o := range ref.OrgList() {
		if o.Kind == model.OrgDepartment {
			if dept.ID == 0 {
				dept = o
			} else if other.ID == 0 {
				other = o
			}
		}
	}
	catCount := func() int { return h.sqlCount(`SELECT COUNT(*) FROM categories`) }
	verCount := func() int { return h.sqlCount(`SELECT COUNT(*) FROM category_versions`) }
	before, vbefore := catCount(), verCount()

	good := func(edit func(m map[string]any)) map[string]any {
		m := map[string]any{"code": "TST01", "kind": "event", "case_type": "city_case", "parent_id": parent.ID,
			"name": "共享单车乱停放", "name_en": "Shared bikes parked badly", "default_unit_id": dept.ID,
			"deadline": map[string]any{"kind": "working_days", "amount": 3}}
		if edit != nil {
			edit(m)
		}
		return m
	}

	// Refusals first: nothing may be written by any of them.
	if r := h.do("POST", "/api/v1/admin/categories", "", good(nil)); r.status != 401 {
		t.Fatalf("no token: %d %s", r.status, r.raw)
	}
	if r := h.do("POST", "/api/v1/admin/categories", op, good(nil)); r.status != 403 {
		t.Fatalf("operator: %d %s", r.status, r.raw)
	}
	var rect model.Category
	for _, c := range ref.CatList {
		if c.CaseType == "rectification" {
			rect = c
			break
		}
	}
	for _, tc := range []struct {
		name, field string
		edit        func(m map[string]any)
	}{
		{"no code", "code", func(m map[string]any) { delete(m, "code") }},
		{"code with a space", "code", func(m map[string]any) { m["code"] = "A B" }},
		{"code taken", "code", func(m map[string]any) { m["code"] = parent.Code }},
		{"unknown kind", "kind", func(m map[string]any) { m["kind"] = "weather" }},
		{"unknown case type", "case_type", func(m map[string]any) { m["case_type"] = "hotline_call" }},
		{"case type without categories", "case_type", func(m map[string]any) { m["case_type"] = "clue" }},
		{"unknown parent", "parent_id", func(m map[string]any) { m["parent_id"] = 999999 }},
		{"parent of another case type", "parent_id", func(m map[string]any) { m["parent_id"] = rect.ID }},
		{"no name", "name", func(m map[string]any) { m["name"] = "  " }},
		{"long name", "name", func(m map[string]any) { m["name"] = strings.Repeat("井", 51) }},
		{"a grid as default unit", "default_unit_id", func(m map[string]any) { m["default_unit_id"] = ref.GridList[0].OrgID }},
		{"no deadline", "deadline.kind", func(m map[string]any) { delete(m, "deadline") }},
		{"unknown deadline kind", "deadline.kind", func(m map[string]any) { m["deadline"] = map[string]any{"kind": "weeks", "amount": 1} }},
		{"zero amount", "deadline.amount", func(m map[string]any) { m["deadline"] = map[string]any{"kind": "working_days", "amount": 0} }},
		{"too many hours", "deadline.amount", func(m map[string]any) { m["deadline"] = map[string]any{"kind": "urgent_hours", "amount": 721} }},
	} {
		r := h.do("POST", "/api/v1/admin/categories", admin, good(tc.edit))
		e, _ := r.body["error"].(map[string]any)
		f, _ := e["fields"].(map[string]any)
		msg, _ := f[tc.field].(string)
		if r.status != 422 || !hasHan(msg) {
			t.Errorf("%s: %d, field %s = %q: %s", tc.name, r.status, tc.field, msg, r.raw)
		}
	}
	r := h.do("POST", "/api/v1/admin/categories", admin, good(func(m map[string]any) { m["code"] = "A B" }), "Accept-Language", "en")
	if msg := r.body["error"].(map[string]any)["fields"].(map[string]any)["code"].(string); hasHan(msg) || !strings.Contains(msg, "letter") {
		t.Errorf("English field message: %q", msg)
	}
	if n, v := catCount(), verCount(); n != before || v != vbefore {
		t.Fatalf("refused input wrote categories %d→%d, versions %d→%d", before, n, vbefore, v)
	}

	// Added: listed, offered on Open311, and cases under it get its deadline
	// and default unit.
	r = h.do("POST", "/api/v1/admin/categories", admin, good(nil))
	if r.status != 201 || r.body["code"] != "TST01" || r.body["leaf"] != true || r.body["public"] != true {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	id := int64(num(r.body["id"]))
	if h.do("GET", "/api/v1/categories", "", nil).body == nil || !strings.Contains(string(h.do("GET", "/api/v1/categories", "", nil).raw), `"code":"TST01"`) {
		t.Fatal("the new category is not listed")
	}
	if s := h.do("GET", "/open311/v2/services.json", "", nil); !strings.Contains(string(s.raw), `"service_code":"TST01"`) {
		t.Fatalf("Open311 services lack the new category: %s", s.raw)
	}
	lat, lng := gridPoint(t, h, 2)
	file := func() map[string]any {
		t.Helper()
		r := h.do("POST", "/api/v1/cases", "", map[string]any{"category": "TST01", "description": "单车堵住了盲道", "lat": lat, "lng": lng})
		if r.status != 201 {
			t.Fatalf("case under the new category: %d %s", r.status, r.raw)
		}
		return r.body
	}
	// The handling clock starts at dispatch, with the category's deadline
	// in force then.
	dispatch := func(c map[string]any) map[string]any {
		t.Helper()
		id := int64(num(c["id"]))
		if r := h.do("POST", fmt.Sprintf("/api/v1/cases/%d/actions/accept", id), op, map[string]any{"version": 1}); r.status != 200 {
			t.Fatalf("accept: %d %s", r.status, r.raw)
		}
		r := h.do("POST", fmt.Sprintf("/api/v1/cases/%d/actions/dispatch", id), disp, map[string]any{"version": 2})
		if r.status != 200 {
			t.Fatalf("dispatch: %d %s", r.status, r.raw)
		}
		return r.body
	}
	due := func(c map[string]any, rule model.DeadlineRule) {
		t.Helper()
		tl := c["timeline"].([]any)
		at, _ := time.Parse(time.RFC3339Nano, tl[len(tl)-1].(map[string]any)["at"].(string))
		got, _ := time.Parse(time.RFC3339Nano, c["due_at"].(string))
		want, err := h.app.Service.Deadline(rule, at)
		if err != nil || !got.Equal(want) {
			t.Fatalf("due_at %v, want %v (%v) for %+v", got, want, err, rule)
		}
	}
	c1 := file()
	if u, _ := c1["unit"].(map[string]any); u == nil || int64(num(u["id"])) != dept.ID {
		t.Fatalf("case unit %v, want the default unit %d", c1["unit"], dept.ID)
	}
	c1 = dispatch(c1)
	due(c1, model.DeadlineRule{Kind: model.DeadlineWorkingDays, Amount: 3})

	// Changed: new cases get the new deadline and unit, the dispatched one
	// keeps its own; the code cannot change; leaving public out keeps it.
	if r := h.do("PUT", fmt.Sprintf("/api/v1/admin/categories/%d", id), admin, good(func(m map[string]any) { m["code"] = "TST02" })); r.status != 422 {
		t.Fatalf("changing the code: %d %s", r.status, r.raw)
	}
	r = h.do("PUT", fmt.Sprintf("/api/v1/admin/categories/%d", id), admin, good(func(m map[string]any) {
		delete(m, "code")
		delete(m, "kind")
		m["deadline"] = map[string]any{"kind": "urgent_hours", "amount": 4}
		m["default_unit_id"] = other.ID
	}))
	if r.status != 200 || r.body["code"] != "TST01" || r.body["public"] != true {
		t.Fatalf("update: %d %s", r.status, r.raw)
	}
	c2 := file()
	if u, _ := c2["unit"].(map[string]any); u == nil || int64(num(u["id"])) != other.ID {
		t.Fatalf("after the change the case went to %v, want %d", c2["unit"], other.ID)
	}
	c2 = dispatch(c2)
	due(c2, model.DeadlineRule{Kind: model.DeadlineUrgentHours, Amount: 4})
	old := h.do("GET", fmt.Sprintf("/api/v1/cases/%d", int64(num(c1["id"]))), op, nil)
	if old.body["due_at"] != c1["due_at"] {
		t.Fatalf("the open case's deadline moved: %v → %v", c1["due_at"], old.body["due_at"])
	}
	// Hidden from citizens: gone from Open311.
	if r := h.do("PUT", fmt.Sprintf("/api/v1/admin/categories/%d", id), admin, good(func(m map[string]any) { m["public"] = false })); r.status != 200 || r.body["public"] != false {
		t.Fatalf("make private: %d %s", r.status, r.raw)
	}
	if s := h.do("GET", "/open311/v2/services.json", "", nil); strings.Contains(string(s.raw), `"service_code":"TST01"`) {
		t.Fatal("a private category is still offered on Open311")
	}
	// A parent cannot go under its own child.
	if r := h.do("PUT", fmt.Sprintf("/api/v1/admin/categories/%d", parent.ID), admin, map[string]any{"parent_id": id, "name": parent.Name,
		"deadline": parent.Deadline}); r.status != 422 || !strings.Contains(string(r.raw), "parent_id") {
		t.Fatalf("a cycle: %d %s", r.status, r.raw)
	}

	// History: three states, the first two closed, each with its author.
	v := h.do("GET", fmt.Sprintf("/api/v1/admin/categories/%d/versions", id), admin, nil)
	vs, _ := v.body["versions"].([]any)
	if v.status != 200 || len(vs) != 3 {
		t.Fatalf("versions: %d %s", v.status, v.raw)
	}
	first, last := vs[0].(map[string]any), vs[2].(map[string]any)
	if first["valid_to"] == nil || last["valid_to"] != nil || last["public"] != false || first["changed_by"] == nil {
		t.Fatalf("versions: %s", v.raw)
	}
	if r := h.do("GET", fmt.Sprintf("/api/v1/admin/categories/%d/versions", id), op, nil); r.status != 403 {
		t.Fatalf("operator reads history: %d", r.status)
	}
	if r := h.do("GET", "/api/v1/admin/categories/999999/versions", admin, nil); r.status != 404 {
		t.Fatalf("unknown category's history: %d", r.status)
	}
}
