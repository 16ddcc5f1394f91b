package web

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// The routing rules (派遣规则): which unit handles a category of case in an
// area (the district, a street or township, a community or village, or a
// grid), with its co-units (协办). The most specific area wins, and within
// an area the most specific category, so a community's rule overrides its
// street's and a rule on a leaf category overrides one on its parent.
// Every change keeps the old version; a deleted rule's history stays. The
// same service as POST/PUT/DELETE /api/v1/admin/rules.

const rulesPath = "/admin/rules"

type ruleRow struct {
	ID             int64
	Category       string // code and name
	CategoryCode   string
	Area, AreaKind string
	Level          int // 0 district, 1 street, 2 community, 3 grid
	Unit           string
	CoUnits        []string
	Note           string
	Updated        time.Time
	Overrides      []string // the wider rules of the same category this one takes precedence over
}

// ruleForm is the add or edit form, blank, filled from a rule or as
// submitted with its errors.
type ruleForm struct {
	Category, Area, Unit, Note string
	CoUnits                    map[string]bool
	Errors                     map[string]string
}

type catOption struct {
	Code, Label string
}

type ruleVersionRow struct {
	Version          int
	From, To         time.Time
	Deleted, Current bool
	Category, Area   string
	Unit             string
	CoUnits          []string
	Note             string
	By               string
}

type rulesView struct {
	Rows       []ruleRow
	Filter     string // category code
	FilterName string
	Categories []catOption
	Areas      []orgGroup
	Units      []orgOption
	Form       ruleForm
	Done       string
	// The rule page.
	Rule    *ruleRow // nil: the list, or a deleted rule's history
	RuleID  int64
	History []ruleVersionRow
}

// adminRules lists the rules, filtered by category, with the add form.
func (w *Web) adminRules(rw http.ResponseWriter, r *http.Request, q *req) {
	v := rulesView{Filter: r.URL.Query().Get("category"), Form: ruleForm{}}
	ref := w.svc.Ref()
	if id, err := strconv.ParseInt(r.URL.Query().Get("created"), 10, 64); err == nil {
		if x, ok := ref.Rule(id); ok {
			v.Done = w.i18n.T(q.lang, "web.rules.created", id, w.ruleCategory(q.lang, ref, x.CategoryID), ref.OrgName(x.AreaID), ref.OrgName(x.UnitID))
		}
	}
	if id, err := strconv.ParseInt(r.URL.Query().Get("deleted"), 10, 64); err == nil {
		if _, ok := ref.Rule(id); !ok {
			if vs, err := w.svc.RuleHistory(r.Context(), q.user, id); err == nil && len(vs) > 0 && vs[len(vs)-1].Deleted {
				v.Done = w.i18n.T(q.lang, "web.rules.deleted", id)
			}
		}
	}
	w.rulesPage(rw, r, q, http.StatusOK, v)
}

// adminRuleAdd creates a rule from the form.
func (w *Web) adminRuleAdd(rw http.ResponseWriter, r *http.Request, q *req) {
	f := readRuleForm(r)
	rec := audit.FromContext(r.Context())
	rec.Detail = "rule add category=" + f.Category + " area=" + f.Area + " unit=" + f.Unit
	x, err := w.svc.CreateRule(r.Context(), q.user, f.input())
	if err != nil {
		if f.Errors = w.fieldErrors(q.lang, err); f.Errors == nil {
			w.fail(rw, r, q, err)
			return
		}
		rec.Detail += " refused"
		w.rulesPage(rw, r, q, http.StatusUnprocessableEntity, rulesView{Form: f})
		return
	}
	rec.Detail = "rule add id=" + strconv.FormatInt(x.ID, 10) + " category=" + strconv.FormatInt(x.CategoryID, 10) +
		" area=" + strconv.FormatInt(x.AreaID, 10) + " unit=" + strconv.FormatInt(x.UnitID, 10)
	w.redirect(rw, r, rulesPath+"?created="+strconv.FormatInt(x.ID, 10))
}

// adminRule shows one rule: the edit form, the delete button and its
// history (also of a deleted rule).
func (w *Web) adminRule(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	v := rulesView{RuleID: id}
	if x, ok := w.svc.Ref().Rule(id); ok {
		v.Form = ruleFormOf(x)
	}
	if s := r.URL.Query().Get("saved"); s != "" {
		v.Done = s // checked against the history in rulePage
	}
	w.rulePage(rw, r, q, http.StatusOK, v)
}

// adminRuleUpdate replaces a rule with the form's; the old version stays
// in its history.
func (w *Web) adminRuleUpdate(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	f := readRuleForm(r)
	rec := audit.FromContext(r.Context())
	rec.Detail = "rule update id=" + strconv.FormatInt(id, 10) + " category=" + f.Category + " area=" + f.Area + " unit=" + f.Unit
	if _, ok := w.svc.Ref().Rule(id); !ok {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	if _, err := w.svc.UpdateRule(r.Context(), q.user, id, f.input()); err != nil {
		if f.Errors = w.fieldErrors(q.lang, err); f.Errors == nil {
			w.fail(rw, r, q, err)
			return
		}
		rec.Detail += " refused"
		w.rulePage(rw, r, q, http.StatusUnprocessableEntity, rulesView{RuleID: id, Form: f})
		return
	}
	version := 0
	if vs, err := w.svc.RuleHistory(r.Context(), q.user, id); err == nil && len(vs) > 0 {
		version = vs[len(vs)-1].Version
	}
	w.redirect(rw, r, rulesPath+"/"+strconv.FormatInt(id, 10)+"?saved="+strconv.Itoa(version))
}

// adminRuleDelete removes a rule; its history stays.
func (w *Web) adminRuleDelete(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	audit.FromContext(r.Context()).Detail = "rule delete id=" + strconv.FormatInt(id, 10)
	if err := w.svc.DeleteRule(r.Context(), q.user, id); err != nil {
		w.fail(rw, r, q, err)
		return
	}
	w.redirect(rw, r, rulesPath+"?deleted="+strconv.FormatInt(id, 10))
}

func readRuleForm(r *http.Request) ruleForm {
	f := ruleForm{Category: strings.TrimSpace(r.PostFormValue("category")), Area: strings.TrimSpace(r.PostFormValue("area_id")),
		Unit: strings.TrimSpace(r.PostFormValue("unit_id")), Note: r.PostFormValue("note"), CoUnits: map[string]bool{}}
	for _, s := range r.PostForm["co_unit_ids"] {
		if s = strings.TrimSpace(s); s != "" {
			f.CoUnits[s] = true
		}
	}
	return f
}

// formID reads an id of the form: empty is 0 (required), anything that is
// not a positive number is -1 (unknown).
func formID(s string) int64 {
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return -1
	}
	return n
}

func (f ruleForm) input() service.RuleInput {
	in := service.RuleInput{Category: f.Category, AreaID: formID(f.Area), UnitID: formID(f.Unit), Note: f.Note}
	for s := range f.CoUnits {
		in.CoUnitIDs = append(in.CoUnitIDs, formID(s))
	}
	slices.Sort(in.CoUnitIDs)
	return in
}

func ruleFormOf(x store.Rule) ruleForm {
	f := ruleForm{Area: strconv.FormatInt(x.AreaID, 10), Unit: strconv.FormatInt(x.UnitID, 10), Note: x.Note, CoUnits: map[string]bool{}}
	for _, id := range x.CoUnitIDs {
		f.CoUnits[strconv.FormatInt(id, 10)] = true
	}
	return f
}

func (w *Web) ruleCategory(lang string, ref *service.Reference, id int64) string {
	c, ok := ref.Categories[id]
	if !ok {
		return "#" + strconv.FormatInt(id, 10)
	}
	return c.Code + " " + w.categoryName(lang, id)
}

func areaLevel(k model.OrgKind) int {
	switch k {
	case model.OrgDistrict:
		return 0
	case model.OrgStreet, model.OrgTownship:
		return 1
	case model.OrgCommunity, model.OrgVillage:
		return 2
	}
	return 3
}

func (w *Web) unitNames(ref *service.Reference, ids []int64) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if n := ref.OrgName(id); n != "" {
			out = append(out, n)
		} else {
			out = append(out, "#"+strconv.FormatInt(id, 10))
		}
	}
	return out
}

func (w *Web) ruleRowOf(lang string, ref *service.Reference, x store.Rule) ruleRow {
	area := ref.Org[x.AreaID]
	return ruleRow{ID: x.ID, Category: w.ruleCategory(lang, ref, x.CategoryID), CategoryCode: ref.Categories[x.CategoryID].Code,
		Area: area.Name, AreaKind: w.i18n.T(lang, "web.kind."+string(area.Kind)), Level: areaLevel(area.Kind),
		Unit: ref.OrgName(x.UnitID), CoUnits: w.unitNames(ref, x.CoUnitIDs), Note: x.Note, Updated: x.UpdatedAt}
}

// within reports whether area lies inside (or is) outer.
func within(ref *service.Reference, area, outer int64) bool {
	for id, n := area, 0; id != 0 && n < 16; id, n = ref.Org[id].ParentID, n+1 {
		if id == outer {
			return true
		}
	}
	return false
}

// related reports whether rules on category c concern cases of category
// want: c is want, one of its parents (it covers want) or one of its
// sub-categories.
func related(ref *service.Reference, c, want int64) bool {
	up := func(from, to int64) bool {
		for id, n := from, 0; id != 0 && n < 16; id, n = ref.Categories[id].ParentID, n+1 {
			if id == to {
				return true
			}
		}
		return false
	}
	return up(want, c) || up(c, want)
}

// ruleOptions fills the form's choices: the categories as a tree, the
// areas (no departments) and the units cases may be dispatched to.
func (w *Web) ruleOptions(lang string, ref *service.Reference, v *rulesView) {
	depth := func(c model.Category) int {
		d := 0
		for p := c.ParentID; p != 0 && d < 16; p = ref.Categories[p].ParentID {
			d++
		}
		return d
	}
	cats := slices.Clone(ref.CatList)
	slices.SortStableFunc(cats, func(a, b model.Category) int { return cmp.Compare(a.Code, b.Code) })
	for _, c := range cats {
		v.Categories = append(v.Categories, catOption{Code: c.Code,
			Label: strings.Repeat("· ", depth(c)) + c.Code + " " + w.categoryName(lang, c.ID)})
	}
	for _, g := range w.orgGroups(lang, ref) {
		opts := g.Options[:0:0]
		for _, o := range g.Options {
			if k := ref.Org[o.ID].Kind; k != model.OrgDepartment {
				opts = append(opts, o)
			}
		}
		if len(opts) > 0 {
			v.Areas = append(v.Areas, orgGroup{Label: g.Label, Options: opts})
		}
	}
	units := []model.OrgUnit{}
	for _, o := range ref.OrgList() {
		if ref.Dispatchable(o.ID) {
			units = append(units, o)
		}
	}
	slices.SortStableFunc(units, func(a, b model.OrgUnit) int {
		return cmp.Compare(areaLevel(a.Kind)*10+deptLast(a.Kind), areaLevel(b.Kind)*10+deptLast(b.Kind))
	})
	for _, o := range units {
		v.Units = append(v.Units, orgOption{ID: o.ID, Label: o.Name + "（" + w.i18n.T(lang, "web.kind."+string(o.Kind)) + "）"})
	}
}

// deptLast orders departments after the streets in the unit choices.
func deptLast(k model.OrgKind) int {
	if k == model.OrgDepartment {
		return 1
	}
	return 0
}

// rulesPage renders the list and the add form.
func (w *Web) rulesPage(rw http.ResponseWriter, r *http.Request, q *req, status int, v rulesView) {
	ref := w.svc.Ref()
	all := ref.Rules()
	want, filtered := ref.ByCode[v.Filter]
	if filtered {
		v.FilterName = w.ruleCategory(q.lang, ref, want.ID)
	} else {
		v.Filter = ""
	}
	for _, x := range all {
		if filtered && !related(ref, x.CategoryID, want.ID) {
			continue
		}
		row := w.ruleRowOf(q.lang, ref, x)
		for _, o := range all {
			if o.ID != x.ID && o.CategoryID == x.CategoryID && o.AreaID != x.AreaID && within(ref, x.AreaID, o.AreaID) {
				row.Overrides = append(row.Overrides, "#"+strconv.FormatInt(o.ID, 10)+" "+ref.OrgName(o.AreaID))
			}
		}
		v.Rows = append(v.Rows, row)
	}
	slices.SortStableFunc(v.Rows, func(a, b ruleRow) int {
		return cmp.Or(cmp.Compare(a.CategoryCode, b.CategoryCode), cmp.Compare(a.Level, b.Level), cmp.Compare(a.Area, b.Area), cmp.Compare(a.ID, b.ID))
	})
	if v.Form.CoUnits == nil {
		v.Form.CoUnits = map[string]bool{}
		v.Form.Category = v.Filter
	}
	w.ruleOptions(q.lang, ref, &v)
	p := w.newPage(q, "web.rules.title", "admin")
	if len(v.Form.Errors) > 0 {
		p.Error = w.i18n.T(q.lang, "web.rules.not_saved")
	}
	p.Data = v
	w.render(rw, r, status, "admin_rules", p)
}

// rulePage renders one rule: the edit form and delete button while it is
// in force, and its history.
func (w *Web) rulePage(rw http.ResponseWriter, r *http.Request, q *req, status int, v rulesView) {
	ref := w.svc.Ref()
	vs, err := w.svc.RuleHistory(r.Context(), q.user, v.RuleID)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	x, live := ref.Rule(v.RuleID)
	if live {
		row := w.ruleRowOf(q.lang, ref, x)
		v.Rule = &row
		if v.Form.Category == "" && v.Form.Errors == nil {
			v.Form.Category = ref.Categories[x.CategoryID].Code
		}
	}
	if v.Form.CoUnits == nil {
		v.Form.CoUnits = map[string]bool{}
	}
	// The save message only for the version the address names, if it is
	// the current one.
	if s := v.Done; s != "" {
		v.Done = ""
		if n, err := strconv.Atoi(s); err == nil && live && len(vs) > 0 && vs[len(vs)-1].Version == n {
			v.Done = w.i18n.T(q.lang, "web.rules.saved", v.RuleID, n)
		}
	}
	author := w.authors(r.Context(), q.user)
	for i := len(vs) - 1; i >= 0; i-- {
		rv := vs[i]
		row := ruleVersionRow{Version: rv.Version, From: rv.ValidFrom, To: rv.ValidTo, Deleted: rv.Deleted,
			Current: live && i == len(vs)-1, Category: w.ruleCategory(q.lang, ref, rv.CategoryID),
			Area: ref.OrgName(rv.AreaID), Unit: ref.OrgName(rv.UnitID), CoUnits: w.unitNames(ref, rv.CoUnitIDs), Note: rv.Note}
		row.By = author(rv.ChangedBy)
		v.History = append(v.History, row)
	}
	w.ruleOptions(q.lang, ref, &v)
	p := w.newPage(q, "web.rules.title", "admin")
	p.Title = w.i18n.T(q.lang, "web.rules.rule_title", v.RuleID)
	if len(v.Form.Errors) > 0 {
		p.Error = w.i18n.T(q.lang, "web.rules.not_saved")
	}
	p.Data = v
	w.render(rw, r, status, "admin_rules", p)
}
