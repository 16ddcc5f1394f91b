package app_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// webCategoryForm is the categories page's add form; edit changes it.
func webCategoryForm(csrf string, parent, unit int64, edit func(url.Values)) url.Values {
	f := url.Values{"csrf": {csrf}, "code": {"TWB01"}, "kind": {"event"}, "case_type": {"city_case"}, "parent_id": {fmt.Sprint(parent)},
		"name": {"共享单车乱停放"}, "name_en": {"Shared bikes parked badly"}, "default_unit_id": {fmt.Sprint(unit)},
		"deadline_kind": {"working_days"}, "deadline_amount": {"3"}, "public": {"1"}}
	if edit != nil {
		edit(f)
	}
	return f
}

// TestWebCategories works the categories page as a browser would: the
// tree with default units and deadlines, filtered by case type and text;
// add a category (listed here and by the API); bad input comes back on its
// field in Chinese and English and writes nothing; edit the deadline (two
// versions in the history, each with the administrator's name); only
// administrators may see or post.
func TestWebCategories(t *testing.T) {
	h := newHarness(t, t.TempDir())
	cats := func() int { return h.sqlCount(`SELECT COUNT(*) FROM categories`) }
	versions := func() int { return h.sqlCount(`SELECT COUNT(*) FROM category_versions`) }
	ref := h.app.Service.Ref()
	e01, e0102, e0501 := ref.ByCode["E01"], ref.ByCode["E0102"], ref.ByCode["E0501"]
	if e01.ID == 0 || e0102.ID == 0 || e0501.ID == 0 {
		t.Fatal("the demo lacks E01, E0102 or E0501")
	}
	var rect model.Category
	for _, c := range ref.CatList {
		if c.CaseType == "rectification" {
			rect = c
			break
		}
	}
	units := geoUnits(t, h)
	cg, zj := units["区城市管理局"], units["区住房和城乡建设局"]
	if rect.ID == 0 || cg == 0 || zj == 0 {
		t.Fatal("the demo lacks a rectification category or the departments")
	}

	anon := newWebClient(t, h.srv.URL, nil)
	if p := anon.get("/admin/categories"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?next="+url.QueryEscape("/admin/categories") {
		t.Fatalf("anonymous: %d %s", p.status, p.header.Get("Location"))
	}

	admin := newWebClient(t, h.srv.URL, nil)
	admin.login("admin")
	idx := admin.get("/admin/")
	if !strings.Contains(idx.body, `<a href="/admin/categories" id="admin-categories">案件类别与处置时限</a>`) {
		t.Errorf("the admin index does not link the categories page")
	}
	if strings.Contains(idx.body, "案件类别与处置时限规则的维护") {
		t.Errorf("the admin index still lists categories as not yet available")
	}

	// The tree: a parent before its children, deadline and unit shown.
	p := admin.get("/admin/categories")
	checkHTML(t, "categories page", p)
	if p.status != 200 {
		t.Fatalf("categories page: %d", p.status)
	}
	parentRow := between(p.body, fmt.Sprintf(`<tr id="category-%d"`, e01.ID), "</tr>")
	row := between(p.body, fmt.Sprintf(`<tr id="category-%d"`, e0102.ID), "</tr>")
	for _, want := range []string{"· E0102", "暴露垃圾", "Exposed garbage", "事件", "数字城管案卷", "属地", "24 个工作时", "末级", fmt.Sprintf(`href="/admin/categories/%d"`, e0102.ID)} {
		if !strings.Contains(row, want) {
			t.Errorf("E0102 row lacks %q:\n%s", want, row)
		}
	}
	if !strings.Contains(parentRow, "7 个工作日") || !strings.Contains(parentRow, "个子类") {
		t.Errorf("E01 row:\n%s", parentRow)
	}
	if strings.Index(p.body, fmt.Sprintf(`id="category-%d"`, e01.ID)) > strings.Index(p.body, fmt.Sprintf(`id="category-%d"`, e0102.ID)) {
		t.Errorf("a child is listed before its parent")
	}
	if !strings.Contains(p.body, "已在计时的案件保持原定的到期时间") {
		t.Errorf("the page does not explain when a changed deadline counts")
	}
	form := between(p.body, `id="category-form"`, "</form>")
	for _, want := range []string{`name="csrf"`, `name="code"`, `<option value="event">事件</option>`, `<option value="city_case">数字城管案卷</option>`,
		`<optgroup label="数字城管案卷">`, `<optgroup label="整治问题整改">`, fmt.Sprintf(`<option value="%d">E01 市容环境</option>`, e01.ID), `<option value="">属地（案发地所在街道或乡镇）</option>`,
		fmt.Sprintf(`<option value="%d">区城市管理局（区直部门）</option>`, cg), `<option value="urgent_hours">紧急时限（小时，昼夜连续计）</option>`,
		`name="deadline_amount"`, `name="public" value="1" id="public" checked`} {
		if !strings.Contains(form, want) {
			t.Errorf("add form lacks %q", want)
		}
	}

	// Filters: by case type, by text (code or name).
	if p := admin.get("/admin/categories?type=rectification"); strings.Contains(p.body, fmt.Sprintf(`id="category-%d"`, e0102.ID)) ||
		!strings.Contains(p.body, fmt.Sprintf(`id="category-%d"`, rect.ID)) || !strings.Contains(p.body, `<option value="rectification" selected>`) {
		t.Errorf("filter by case type")
	}
	for _, q := range []string{"E0102", "暴露", "exposed"} {
		p := admin.get("/admin/categories?q=" + url.QueryEscape(q))
		if !strings.Contains(p.body, fmt.Sprintf(`id="category-%d"`, e0102.ID)) || strings.Contains(p.body, fmt.Sprintf(`id="category-%d"`, e0501.ID)) ||
			!strings.Contains(p.body, `id="categories-filtered"`) || !strings.Contains(p.body, `value="`+q+`"`) {
			t.Errorf("search %q", q)
		}
	}
	if p := admin.get("/admin/categories?q=nosuchthing"); !strings.Contains(p.body, `id="categories-empty"`) {
		t.Errorf("a search matching nothing")
	}

	// Refusals: on their fields, nothing written.
	before, vbefore := cats(), versions()
	for _, tc := range []struct {
		name, field, msg string
		edit             func(url.Values)
	}{
		{"empty name", "name", "必填", func(f url.Values) { f.Set("name", "  ") }},
		{"bad code", "code", "编码须以字母或数字开头", func(f url.Values) { f.Set("code", "A B") }},
		{"code taken", "code", "该编码已被其他类别使用", func(f url.Values) { f.Set("code", "E0102") }},
		{"amount zero", "deadline_amount", "须在 1 到 250 之间", func(f url.Values) { f.Set("deadline_amount", "0") }},
		{"too many hours", "deadline_amount", "须在 1 到 720 之间", func(f url.Values) {
			f.Set("deadline_kind", "urgent_hours")
			f.Set("deadline_amount", "721")
		}},
		{"parent of another case type", "parent_id", "该类别不属于此案件类型", func(f url.Values) { f.Set("parent_id", fmt.Sprint(rect.ID)) }},
		{"no deadline kind", "deadline_kind", "必填", func(f url.Values) { f.Del("deadline_kind") }},
		{"unit not a number", "default_unit_id", "未知的单位", func(f url.Values) { f.Set("default_unit_id", "abc") }},
	} {
		res := admin.post("/admin/categories", webCategoryForm(admin.csrf("/admin/categories"), e01.ID, cg, tc.edit))
		checkHTML(t, tc.name, res)
		if got := between(res.body, `id="`+tc.field+`-error">`, "</p>"); res.status != http.StatusUnprocessableEntity || !strings.Contains(got, html.EscapeString(tc.msg)) ||
			!strings.Contains(res.body, "类别未保存，系统数据未作任何更改") {
			t.Errorf("%s: %d, %s error %q", tc.name, res.status, tc.field, got)
		}
		if cats() != before || versions() != vbefore {
			t.Fatalf("%s: wrote a category", tc.name)
		}
		// The form comes back as it was sent.
		if !strings.Contains(res.body, `id="name_en" name="name_en" class="input" value="Shared bikes parked badly"`) ||
			(tc.field != "default_unit_id" && !strings.Contains(between(res.body, `id="default_unit_id"`, "</select>"), fmt.Sprintf(`<option value="%d" selected>`, cg))) {
			t.Errorf("%s: the form is not kept", tc.name)
		}
	}
	// In English, after the language switch.
	admin.get("/admin/categories?lang=en")
	for _, tc := range []struct {
		field, msg string
		edit       func(url.Values)
	}{
		{"name", "Required", func(f url.Values) { f.Set("name", "") }},
		{"code", "letter", func(f url.Values) { f.Set("code", "A B") }},
		{"code", "Another category has this code", func(f url.Values) { f.Set("code", "E0102") }},
		{"deadline_amount", "Must be between 1 and 250", func(f url.Values) { f.Set("deadline_amount", "251") }},
		{"parent_id", "does not belong to this case type", func(f url.Values) { f.Set("parent_id", fmt.Sprint(rect.ID)) }},
	} {
		res := admin.post("/admin/categories", webCategoryForm(admin.csrf("/admin/categories"), e01.ID, cg, tc.edit))
		got := between(res.body, `id="`+tc.field+`-error">`, "</p>")
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(got, tc.msg) || hasHan(got) ||
			!strings.Contains(res.body, "The category was not saved and nothing was changed") {
			t.Errorf("English %s: %d %q", tc.field, res.status, got)
		}
	}
	if p := admin.get("/admin/categories"); !strings.Contains(p.body, "Case categories and deadlines") || !strings.Contains(p.body, "24 working hours") ||
		!strings.Contains(p.body, "running clocks keep their due time") || strings.Contains(p.body, "处置时限") {
		t.Errorf("English page")
	}
	admin.get("/admin/categories?lang=zh-CN")
	if cats() != before || versions() != vbefore {
		t.Fatalf("English refusals wrote a category")
	}
	// No token, no category.
	if res := admin.post("/admin/categories", webCategoryForm("", e01.ID, cg, nil)); res.status != http.StatusForbidden || cats() != before {
		t.Errorf("add without a token: %d", res.status)
	}

	// Add: under E01, 城管 as default unit, 3 working days.
	res := admin.post("/admin/categories", webCategoryForm(admin.csrf("/admin/categories"), e01.ID, cg, nil))
	loc := res.header.Get("Location")
	if res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/categories?created=") {
		t.Fatalf("add: %d %s %s", res.status, loc, between(res.body, `id="page-error"`, "</div>"))
	}
	id, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/admin/categories?created="), 10, 64)
	if cats() != before+1 || versions() != vbefore+1 {
		t.Fatalf("add made %d categories, %d versions", cats()-before, versions()-vbefore)
	}
	p = admin.get(loc)
	checkHTML(t, "category added", p)
	if done := between(p.body, `id="categories-done"`, "</div>"); !strings.Contains(done, "已新增类别 TWB01 共享单车乱停放") {
		t.Errorf("add message: %q", done)
	}
	row = between(p.body, fmt.Sprintf(`<tr id="category-%d"`, id), "</tr>")
	for _, want := range []string{"· TWB01", "共享单车乱停放", "Shared bikes parked badly", "区城市管理局", "3 个工作日", "<td>是</td>", "末级"} {
		if !strings.Contains(row, want) {
			t.Errorf("new row lacks %q:\n%s", want, row)
		}
	}
	if p := admin.get("/admin/categories?created=999999"); strings.Contains(p.body, `id="categories-done"`) {
		t.Errorf("a made-up add message is shown")
	}
	if api := h.do("GET", "/api/v1/categories", "", nil); api.status != 200 || !strings.Contains(string(api.raw), `"code":"TWB01"`) {
		t.Fatalf("the API does not list the new category: %d", api.status)
	}

	// Edit: the category's page, the form filled in, code and kind read-only.
	catPath := fmt.Sprintf("/admin/categories/%d", id)
	p = admin.get(catPath)
	checkHTML(t, "category page", p)
	ef := between(p.body, `id="category-form"`, "</form>")
	if p.status != 200 || !strings.Contains(ef, `value="共享单车乱停放"`) || !strings.Contains(ef, `<option value="working_days" selected>`) ||
		!strings.Contains(ef, `value="3"`) || !strings.Contains(ef, fmt.Sprintf(`<option value="%d" selected>区城市管理局`, cg)) ||
		!strings.Contains(ef, fmt.Sprintf(`<option value="%d" selected>`, e01.ID)) || strings.Contains(ef, `name="code"`) || strings.Contains(ef, `name="case_type"`) {
		t.Fatalf("category page form: %d\n%s", p.status, ef)
	}
	// Only its own case type's categories as parents, not itself.
	if strings.Contains(ef, `<optgroup label="整治问题整改">`) || strings.Contains(ef, "TWB01 共享单车乱停放</option>") {
		t.Errorf("the edit form offers a parent of another case type or the category itself")
	}
	if facts := between(p.body, `id="category-facts"`, "</dl>"); !strings.Contains(facts, "TWB01") || !strings.Contains(facts, "事件") || !strings.Contains(facts, "数字城管案卷") {
		t.Errorf("read-only facts:\n%s", facts)
	}
	if !strings.Contains(p.body, "已在计时的案件保持原定的到期时间") {
		t.Errorf("the category page does not explain when a changed deadline counts")
	}
	if hist := between(p.body, `id="category-versions"`, "</table>"); !strings.Contains(hist, `<tr id="version-1"`) || strings.Contains(hist, `id="version-2"`) ||
		!strings.Contains(hist, "(admin)") {
		t.Errorf("history before an edit:\n%s", hist)
	}
	// A bad edit: on its field, nothing written.
	vbefore = versions()
	res = admin.post(catPath, webCategoryForm(admin.csrf(catPath), e01.ID, cg, func(f url.Values) {
		f.Set("deadline_kind", "urgent_hours")
		f.Set("deadline_amount", "721")
	}))
	if got := between(res.body, `id="deadline_amount-error">`, "</p>"); res.status != http.StatusUnprocessableEntity || !strings.Contains(got, "须在 1 到 720 之间") || versions() != vbefore {
		t.Errorf("bad edit: %d %q", res.status, got)
	}
	res = admin.post(catPath, webCategoryForm(admin.csrf(catPath), rect.ID, cg, nil))
	if got := between(res.body, `id="parent_id-error">`, "</p>"); res.status != http.StatusUnprocessableEntity || !strings.Contains(got, "该类别不属于此案件类型") || versions() != vbefore {
		t.Errorf("edit to a parent of another case type: %d %q", res.status, got)
	}
	// A good edit: urgent, 4 hours, 住建 as default unit; a posted code is
	// ignored (it cannot change).
	res = admin.post(catPath, webCategoryForm(admin.csrf(catPath), e01.ID, zj, func(f url.Values) {
		f.Set("code", "TWB99")
		f.Set("deadline_kind", "urgent_hours")
		f.Set("deadline_amount", "4")
	}))
	if res.status != http.StatusSeeOther || res.header.Get("Location") != catPath+"?saved=2" {
		t.Fatalf("edit: %d %s %s", res.status, res.header.Get("Location"), between(res.body, `id="page-error"`, "</div>"))
	}
	if c := h.app.Service.Ref().Categories[id]; c.Code != "TWB01" || c.Deadline != (model.DeadlineRule{Kind: model.DeadlineUrgentHours, Amount: 4}) || c.DefaultUnitID != zj {
		t.Errorf("after the edit: %+v", c)
	}
	p = admin.get(res.header.Get("Location"))
	if done := between(p.body, `id="categories-done"`, "</div>"); !strings.Contains(done, "已保存类别 TWB01（第 2 版）") {
		t.Errorf("save message: %q", done)
	}
	hist := between(p.body, `id="category-versions"`, "</table>")
	v1, v2 := between(hist, `<tr id="version-1"`, "</tr>"), between(hist, `<tr id="version-2"`, "</tr>")
	if !strings.Contains(v1, "3 个工作日") || !strings.Contains(v1, "区城市管理局") || !strings.Contains(v1, "(admin)") ||
		!strings.Contains(v2, "4 小时（紧急）") || !strings.Contains(v2, "区住房和城乡建设局") || !strings.Contains(v2, "当前") || !strings.Contains(v2, "(admin)") ||
		strings.Count(hist, `<tr id="version-`) != 2 {
		t.Errorf("history after the edit:\n%s", hist)
	}
	if p := admin.get(catPath + "?saved=7"); strings.Contains(p.body, `id="categories-done"`) {
		t.Errorf("a made-up save message is shown")
	}
	if p := admin.get("/admin/categories"); !strings.Contains(between(p.body, fmt.Sprintf(`<tr id="category-%d"`, id), "</tr>"), "4 小时（紧急）") {
		t.Errorf("the list does not show the new deadline")
	}
	// A demo category never changed: no history yet, its page works.
	if p := admin.get(fmt.Sprintf("/admin/categories/%d", e0501.ID)); p.status != 200 || !strings.Contains(p.body, `id="category-no-history"`) {
		t.Errorf("an unchanged category's page: %d", p.status)
	}
	if p := admin.get("/admin/categories/999999"); p.status != http.StatusNotFound {
		t.Errorf("no such category: %d", p.status)
	}

	// Other roles: 403 on every route, nothing written.
	n, vbefore := cats(), versions()
	for _, user := range []string{"operator1", "dispatcher"} {
		w := newWebClient(t, h.srv.URL, nil)
		w.login(user)
		if p := w.get("/admin/categories"); p.status != http.StatusForbidden || strings.Contains(p.body, "categories-table") {
			t.Errorf("%s: GET %d", user, p.status)
		}
		if p := w.get(catPath); p.status != http.StatusForbidden {
			t.Errorf("%s: GET category %d", user, p.status)
		}
		csrf := w.csrf("/work/inbox")
		if res := w.post("/admin/categories", webCategoryForm(csrf, e01.ID, cg, func(f url.Values) { f.Set("code", "TWB02") })); res.status != http.StatusForbidden {
			t.Errorf("%s: add %d", user, res.status)
		}
		if res := w.post(catPath, webCategoryForm(csrf, e01.ID, cg, nil)); res.status != http.StatusForbidden {
			t.Errorf("%s: edit %d", user, res.status)
		}
	}
	if cats() != n || versions() != vbefore {
		t.Errorf("other roles wrote")
	}
}
