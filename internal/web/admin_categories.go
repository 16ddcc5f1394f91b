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
)

// The case categories (案件类别) and their deadline rules: the tree with
// each category's default unit (or 属地) and handling deadline, an add
// form, and per category an edit form and its version history. Code, kind
// and case type are set once; a changed deadline counts for clocks started
// afterwards (a case's handling clock starts at dispatch), running clocks
// keep their due time. The same service as POST/PUT
// /api/v1/admin/categories.

const categoriesPath = "/admin/categories"

type categoryRow struct {
	ID                   int64
	Code, Name, NameEn   string
	Indent               string // one "· " per level below the top
	Kind, CaseType       string
	Unit                 string // "" for 属地
	Deadline             string
	Public               bool
	Children             int // direct subcategories; 0: a leaf
	KindCode, CaseTypeID string
}

// categoryForm is the add or edit form, blank, filled from a category or
// as submitted with its errors (keyed by form field name).
type categoryForm struct {
	Code, Kind, CaseType string
	Parent, Name, NameEn string
	Unit                 string
	DeadlineKind, Amount string
	Public               bool
	Errors               map[string]string
}

type categoryVersionRow struct {
	Version      int
	From, To     time.Time
	Current      bool
	Name, NameEn string
	Parent       string
	Deadline     string
	Unit         string
	Public       bool
	By           string
}

type categoriesView struct {
	Rows          []categoryRow
	Total         int
	Type, Query   string // the filter
	Filtered      bool
	Types         []option // case types that take categories
	Kinds         []option
	DeadlineKinds []option
	Parents       []orgGroup // per case type, the tree
	Units         []orgOption
	Form          categoryForm
	Done          string
	// The category page.
	Category   *categoryRow
	CategoryID int64
	History    []categoryVersionRow
}

var categoryKinds = []model.CategoryKind{model.CategoryEvent, model.CategoryComponent, model.CategoryDomain}

var deadlineKinds = []model.DeadlineKind{model.DeadlineWorkingDays, model.DeadlineNaturalDays, model.DeadlineWorkingHours, model.DeadlineUrgentHours}

// adminCategories lists the category tree, filtered by case type and
// text, with the add form.
func (w *Web) adminCategories(rw http.ResponseWriter, r *http.Request, q *req) {
	v := categoriesView{Type: r.URL.Query().Get("type"), Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	ref := w.svc.Ref()
	if id, err := strconv.ParseInt(r.URL.Query().Get("created"), 10, 64); err == nil {
		if c, ok := ref.Categories[id]; ok {
			v.Done = w.i18n.T(q.lang, "web.categories.created", c.Code, w.categoryName(q.lang, c.ID))
		}
	}
	w.categoriesPage(rw, r, q, http.StatusOK, v)
}

// adminCategoryAdd creates a category from the form.
func (w *Web) adminCategoryAdd(rw http.ResponseWriter, r *http.Request, q *req) {
	f := readCategoryForm(r)
	rec := audit.FromContext(r.Context())
	rec.Detail = "category add code=" + strings.TrimSpace(f.Code) + " case_type=" + f.CaseType
	c, err := w.svc.CreateCategory(r.Context(), q.user, f.input())
	if err != nil {
		if f.Errors = w.categoryErrors(q.lang, err); f.Errors == nil {
			w.fail(rw, r, q, err)
			return
		}
		rec.Detail += " refused"
		w.categoriesPage(rw, r, q, http.StatusUnprocessableEntity, categoriesView{Form: f})
		return
	}
	rec.Detail = "category add id=" + strconv.FormatInt(c.ID, 10) + " code=" + c.Code + " case_type=" + c.CaseType +
		" deadline=" + strconv.Itoa(c.Deadline.Amount) + " " + string(c.Deadline.Kind)
	w.redirect(rw, r, categoriesPath+"?created="+strconv.FormatInt(c.ID, 10))
}

// adminCategory shows one category: the edit form and its history.
func (w *Web) adminCategory(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	c, ok := w.svc.Ref().Categories[id]
	if err != nil || !ok {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	v := categoriesView{CategoryID: id, Form: categoryFormOf(c)}
	v.Done = r.URL.Query().Get("saved") // checked against the history in categoryPage
	w.categoryPage(rw, r, q, http.StatusOK, v)
}

// adminCategoryUpdate changes a category from the form; the old state
// stays in its history.
func (w *Web) adminCategoryUpdate(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if _, ok := w.svc.Ref().Categories[id]; err != nil || !ok {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	f := readCategoryForm(r)
	f.Code, f.Kind, f.CaseType = "", "", "" // cannot change: not on the form
	rec := audit.FromContext(r.Context())
	rec.Detail = "category update id=" + strconv.FormatInt(id, 10)
	c, err := w.svc.UpdateCategory(r.Context(), q.user, id, f.input())
	if err != nil {
		if f.Errors = w.categoryErrors(q.lang, err); f.Errors == nil {
			w.fail(rw, r, q, err)
			return
		}
		rec.Detail += " refused"
		w.categoryPage(rw, r, q, http.StatusUnprocessableEntity, categoriesView{CategoryID: id, Form: f})
		return
	}
	rec.Detail += " deadline=" + strconv.Itoa(c.Deadline.Amount) + " " + string(c.Deadline.Kind) +
		" unit=" + strconv.FormatInt(c.DefaultUnitID, 10) + " public=" + strconv.FormatBool(c.Public)
	version := 0
	if vs, err := w.svc.CategoryHistory(r.Context(), q.user, id); err == nil && len(vs) > 0 {
		version = vs[len(vs)-1].Version
	}
	w.redirect(rw, r, categoriesPath+"/"+strconv.FormatInt(id, 10)+"?saved="+strconv.Itoa(version))
}

func readCategoryForm(r *http.Request) categoryForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return categoryForm{Code: v("code"), Kind: v("kind"), CaseType: v("case_type"), Parent: v("parent_id"),
		Name: r.PostFormValue("name"), NameEn: r.PostFormValue("name_en"), Unit: v("default_unit_id"),
		DeadlineKind: v("deadline_kind"), Amount: v("deadline_amount"), Public: r.PostFormValue("public") != ""}
}

func (f categoryForm) input() service.CategoryInput {
	amount, err := strconv.Atoi(f.Amount)
	if err != nil {
		amount = 0 // refused as out of range
	}
	return service.CategoryInput{Code: f.Code, Kind: model.CategoryKind(f.Kind), CaseType: f.CaseType,
		// Empty parent and unit are 0: top level, 属地.
		ParentID: formID(f.Parent), Name: f.Name, NameEn: f.NameEn, DefaultUnitID: formID(f.Unit),
		Deadline: model.DeadlineRule{Kind: model.DeadlineKind(f.DeadlineKind), Amount: amount}, Public: f.Public}
}

func categoryFormOf(c model.Category) categoryForm {
	f := categoryForm{Code: c.Code, Kind: string(c.Kind), CaseType: c.CaseType, Name: c.Name, NameEn: c.NameEn,
		DeadlineKind: string(c.Deadline.Kind), Amount: strconv.Itoa(c.Deadline.Amount), Public: c.Public}
	if c.ParentID != 0 {
		f.Parent = strconv.FormatInt(c.ParentID, 10)
	}
	if c.DefaultUnitID != 0 {
		f.Unit = strconv.FormatInt(c.DefaultUnitID, 10)
	}
	return f
}

// categoryErrors translates a validation error onto the form's field
// names (deadline.kind → deadline_kind).
func (w *Web) categoryErrors(lang string, err error) map[string]string {
	fe := w.fieldErrors(lang, err)
	if fe == nil {
		return nil
	}
	out := make(map[string]string, len(fe))
	for k, msg := range fe {
		out[strings.ReplaceAll(k, ".", "_")] = msg
	}
	return out
}

// deadlineText is a deadline as the list shows it, e.g. "3 个工作日",
// "4 小时（紧急）".
func (w *Web) deadlineText(lang string, d model.DeadlineRule) string {
	switch d.Kind {
	case model.DeadlineNaturalDays:
		return w.i18n.T(lang, "web.categories.amount.natural_days", d.Amount)
	case model.DeadlineWorkingDays:
		return w.i18n.T(lang, "web.categories.amount.working_days", d.Amount)
	case model.DeadlineWorkingHours:
		return w.i18n.T(lang, "web.categories.amount.working_hours", d.Amount)
	case model.DeadlineUrgentHours:
		return w.i18n.T(lang, "web.categories.amount.urgent_hours", d.Amount)
	}
	if d.Kind == "" {
		return "—"
	}
	return strconv.Itoa(d.Amount) + " " + string(d.Kind)
}

func (w *Web) deadlineKindLabel(lang string, k model.DeadlineKind) string {
	switch k {
	case model.DeadlineNaturalDays:
		return w.i18n.T(lang, "web.categories.kind.natural_days")
	case model.DeadlineWorkingDays:
		return w.i18n.T(lang, "web.categories.kind.working_days")
	case model.DeadlineWorkingHours:
		return w.i18n.T(lang, "web.categories.kind.working_hours")
	case model.DeadlineUrgentHours:
		return w.i18n.T(lang, "web.categories.kind.urgent_hours")
	}
	return string(k)
}

func (w *Web) categoryKindLabel(lang string, k model.CategoryKind) string {
	switch k {
	case model.CategoryComponent, model.CategoryEvent, model.CategoryDomain:
		return w.i18n.T(lang, "web.catkind."+string(k))
	}
	return string(k)
}

// caseTypeLabel names a case type by its latest definition.
func (w *Web) caseTypeLabel(lang, typ string) string {
	if d, ok := w.svc.Workflows().Latest(typ); ok {
		return defName(lang, d)
	}
	return typ
}

// categoryCaseTypes are the case types categories may belong to, as the
// service decides, city cases and hotline orders first.
func (w *Web) categoryCaseTypes() []string {
	out := w.svc.CategoryCaseTypes()
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Or(caseTypeRank(a)-caseTypeRank(b), cmp.Compare(a, b)) })
	return out
}

// categoryTree returns the categories depth first, children by code, with
// their depth.
func categoryTree(ref *service.Reference) ([]model.Category, map[int64]int, map[int64]int) {
	children := map[int64][]model.Category{}
	var roots []model.Category
	for _, c := range ref.CatList {
		if _, ok := ref.Categories[c.ParentID]; c.ParentID == 0 || !ok {
			roots = append(roots, c)
		} else {
			children[c.ParentID] = append(children[c.ParentID], c)
		}
	}
	byCode := func(a, b model.Category) int { return cmp.Compare(a.Code, b.Code) }
	slices.SortStableFunc(roots, byCode)
	var out []model.Category
	depth, count := map[int64]int{}, map[int64]int{}
	var walk func(c model.Category, d int)
	walk = func(c model.Category, d int) {
		if _, done := depth[c.ID]; done || d > 16 {
			return
		}
		depth[c.ID] = d
		out = append(out, c)
		kids := children[c.ID]
		count[c.ID] = len(kids)
		slices.SortStableFunc(kids, byCode)
		for _, k := range kids {
			walk(k, d+1)
		}
	}
	for _, c := range roots {
		walk(c, 0)
	}
	return out, depth, count
}

func (w *Web) categoryRowOf(lang string, ref *service.Reference, c model.Category, depth, children int) categoryRow {
	row := categoryRow{ID: c.ID, Code: c.Code, Name: c.Name, NameEn: c.NameEn, Indent: strings.Repeat("· ", depth),
		Kind: w.categoryKindLabel(lang, c.Kind), KindCode: string(c.Kind), CaseType: w.caseTypeLabel(lang, c.CaseType),
		CaseTypeID: c.CaseType, Deadline: w.deadlineText(lang, c.Deadline), Public: c.Public, Children: children}
	if c.DefaultUnitID != 0 {
		row.Unit = ref.OrgName(c.DefaultUnitID)
		if row.Unit == "" {
			row.Unit = "#" + strconv.FormatInt(c.DefaultUnitID, 10)
		}
	}
	return row
}

// categoryOptions fills the form's choices. skip is the category being
// edited: it and its subcategories cannot be its parent, and only its
// own case type's categories are offered.
func (w *Web) categoryOptions(lang string, ref *service.Reference, v *categoriesView, skip int64) {
	types := w.categoryCaseTypes()
	for _, t := range types {
		v.Types = append(v.Types, option{Value: t, Label: w.caseTypeLabel(lang, t)})
	}
	for _, k := range categoryKinds {
		v.Kinds = append(v.Kinds, option{Value: string(k), Label: w.categoryKindLabel(lang, k)})
	}
	for _, k := range deadlineKinds {
		v.DeadlineKinds = append(v.DeadlineKinds, option{Value: string(k), Label: w.deadlineKindLabel(lang, k)})
	}
	tree, depth, _ := categoryTree(ref)
	under := func(id int64) bool { // id is skip or below it
		for c, n := id, 0; c != 0 && n < 64; c, n = ref.Categories[c].ParentID, n+1 {
			if c == skip {
				return true
			}
		}
		return false
	}
	onlyType := ""
	if skip != 0 {
		onlyType = ref.Categories[skip].CaseType
	}
	groups := map[string]*orgGroup{}
	for _, t := range types {
		groups[t] = &orgGroup{Label: w.caseTypeLabel(lang, t)}
	}
	for _, c := range tree {
		g := groups[c.CaseType]
		if g == nil || (onlyType != "" && c.CaseType != onlyType) || (skip != 0 && under(c.ID)) {
			continue
		}
		g.Options = append(g.Options, orgOption{ID: c.ID, Label: strings.Repeat("· ", depth[c.ID]) + c.Code + " " + w.categoryName(lang, c.ID)})
	}
	for _, t := range types {
		if g := groups[t]; len(g.Options) > 0 {
			v.Parents = append(v.Parents, *g)
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

// categoriesPage renders the tree and the add form.
func (w *Web) categoriesPage(rw http.ResponseWriter, r *http.Request, q *req, status int, v categoriesView) {
	ref := w.svc.Ref()
	w.categoryOptions(q.lang, ref, &v, 0)
	if !slices.ContainsFunc(v.Types, func(o option) bool { return o.Value == v.Type }) {
		v.Type = ""
	}
	if len([]rune(v.Query)) > 50 {
		v.Query = string([]rune(v.Query)[:50])
	}
	v.Filtered = v.Type != "" || v.Query != ""
	needle := strings.ToLower(v.Query)
	tree, depth, count := categoryTree(ref)
	v.Total = len(tree)
	for _, c := range tree {
		if v.Type != "" && c.CaseType != v.Type {
			continue
		}
		if needle != "" && !strings.Contains(strings.ToLower(c.Code), needle) && !strings.Contains(strings.ToLower(c.Name), needle) &&
			!strings.Contains(strings.ToLower(c.NameEn), needle) {
			continue
		}
		v.Rows = append(v.Rows, w.categoryRowOf(q.lang, ref, c, depth[c.ID], count[c.ID]))
	}
	if v.Form.Errors == nil {
		// A blank form: public by default, in the filtered case type.
		v.Form = categoryForm{CaseType: v.Type, Public: true}
	}
	p := w.newPage(q, "web.categories.title", "admin")
	if len(v.Form.Errors) > 0 {
		p.Error = w.i18n.T(q.lang, "web.categories.not_saved")
	}
	p.Data = v
	w.render(rw, r, status, "admin_categories", p)
}

// categoryPage renders one category: its edit form and its history.
func (w *Web) categoryPage(rw http.ResponseWriter, r *http.Request, q *req, status int, v categoriesView) {
	ref := w.svc.Ref()
	vs, err := w.svc.CategoryHistory(r.Context(), q.user, v.CategoryID)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	c := ref.Categories[v.CategoryID]
	_, depth, count := categoryTree(ref)
	row := w.categoryRowOf(q.lang, ref, c, depth[c.ID], count[c.ID])
	v.Category = &row
	// The save message only for the version the address names, if it is
	// the current one.
	if s := v.Done; s != "" {
		v.Done = ""
		if n, err := strconv.Atoi(s); err == nil && len(vs) > 0 && vs[len(vs)-1].Version == n {
			v.Done = w.i18n.T(q.lang, "web.categories.saved", c.Code, n)
		}
	}
	author := w.authors(r.Context(), q.user)
	for i := len(vs) - 1; i >= 0; i-- {
		cv := vs[i]
		hr := categoryVersionRow{Version: cv.Version, From: cv.ValidFrom, To: cv.ValidTo, Current: i == len(vs)-1,
			Name: cv.Name, NameEn: cv.NameEn, Deadline: w.deadlineText(q.lang, cv.Deadline), Public: cv.Public}
		if p, ok := ref.Categories[cv.ParentID]; ok {
			hr.Parent = p.Code + " " + w.categoryName(q.lang, p.ID)
		} else if cv.ParentID != 0 {
			hr.Parent = "#" + strconv.FormatInt(cv.ParentID, 10)
		}
		if cv.DefaultUnitID != 0 {
			if hr.Unit = ref.OrgName(cv.DefaultUnitID); hr.Unit == "" {
				hr.Unit = "#" + strconv.FormatInt(cv.DefaultUnitID, 10)
			}
		}
		hr.By = author(cv.ChangedBy)
		v.History = append(v.History, hr)
	}
	w.categoryOptions(q.lang, ref, &v, v.CategoryID)
	p := w.newPage(q, "web.categories.title", "admin")
	p.Title = w.i18n.T(q.lang, "web.categories.category_title", c.Code, w.categoryName(q.lang, c.ID))
	if len(v.Form.Errors) > 0 {
		p.Error = w.i18n.T(q.lang, "web.categories.not_saved")
	}
	p.Data = v
	w.render(rw, r, status, "admin_categories", p)
}
