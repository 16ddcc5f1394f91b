package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// pageSize is how many cases an inbox page lists.
const pageSize = 50

// openStates are the states of cases still being worked on.
var openStates = []model.State{model.StateReported, model.StateRegistered, model.StateDispatched,
	model.StateHandling, model.StateAwaitingVerification, model.StateParked}

// inboxTab is one tab of the inbox: the cases in a state, or overdue.
type inboxTab struct {
	Key    string
	States []model.State // nil for the overdue tab
}

const lateTab = "late"

var allTabs = []inboxTab{
	{"reported", []model.State{model.StateReported}},                          // 待受理
	{"registered", []model.State{model.StateRegistered}},                      // 待派遣
	{"dispatched", []model.State{model.StateDispatched}},                      // 待签收
	{"handling", []model.State{model.StateHandling}},                          // 处置中
	{"awaiting_verification", []model.State{model.StateAwaitingVerification}}, // 待核查
	{lateTab, nil}, // 督办: past the deadline while the clock runs
}

// roleTabs lists a role's tabs, its own work first.
func roleTabs(r model.Role) []string {
	switch r {
	case model.RoleOperator:
		return []string{"reported", "registered", "awaiting_verification", lateTab}
	case model.RoleDispatcher:
		return []string{"registered", "dispatched", "handling", lateTab}
	case model.RoleUnit:
		return []string{"dispatched", "handling", "awaiting_verification", lateTab}
	case model.RoleGridWorker:
		return []string{"awaiting_verification", "reported", "dispatched", "handling", lateTab}
	case model.RoleSupervisor:
		return []string{"awaiting_verification", "reported", "registered", "dispatched", "handling", lateTab}
	}
	return []string{lateTab, "reported", "registered", "dispatched", "handling", "awaiting_verification"}
}

// landing is where a role arrives after login.
func landing(r model.Role) string {
	if r == model.RoleAdmin {
		return "/admin/"
	}
	return "/work/inbox"
}

type tabView struct {
	Key, Label, URL string
	Count           int
	Active          bool
}

type inboxRow struct {
	ID          int64
	URL         string
	Category    string
	Description string
	Address     string
	Street      string
	Unit        string
	Status      string
	Created     time.Time
	Deadline    deadline
}

type inboxView struct {
	Tabs     []tabView
	Active   string
	Heading  string
	Rows     []inboxRow
	Total    int
	Street   int64
	Unit     int64
	Streets  []option
	Units    []optGroup
	ShowUnit bool
	NextURL  string
	FirstURL string
	NewCase  bool // the user may file cases: the inbox links the form
}

type optGroup struct {
	Label   string
	Options []option
}

// inbox lists the user's cases by tab with counts, filters and keyset paging.
func (w *Web) inbox(rw http.ResponseWriter, r *http.Request, q *req) {
	ctx := r.Context()
	qs := r.URL.Query()
	keys := roleTabs(q.user.Role)
	active := qs.Get("tab")
	if !slices.Contains(keys, active) {
		active = keys[0]
	}
	v := inboxView{Active: active, ShowUnit: q.user.Role != model.RoleUnit, NewCase: w.mayCreateCases(q.user.Role)}
	v.Street, _ = strconv.ParseInt(qs.Get("street"), 10, 64)
	if v.ShowUnit {
		v.Unit, _ = strconv.ParseInt(qs.Get("unit"), 10, 64)
	}
	after, _ := strconv.ParseInt(qs.Get("after"), 10, 64)
	base := model.CaseFilter{StreetID: v.Street, UnitID: v.Unit}
	now := w.now()

	link := func(tab string, after int64) string {
		u := url.Values{"tab": {tab}}
		if v.Street != 0 {
			u.Set("street", strconv.FormatInt(v.Street, 10))
		}
		if v.Unit != 0 {
			u.Set("unit", strconv.FormatInt(v.Unit, 10))
		}
		if after != 0 {
			u.Set("after", strconv.FormatInt(after, 10))
		}
		return "/work/inbox?" + u.Encode()
	}

	var cases []model.Case
	for _, key := range keys {
		tab := allTabs[slices.IndexFunc(allTabs, func(t inboxTab) bool { return t.Key == key })]
		tv := tabView{Key: key, Label: w.i18n.T(q.lang, "web.tab."+key), URL: link(key, 0), Active: key == active}
		var err error
		if key == lateTab {
			limit := 0
			if tv.Active {
				limit = pageSize + 1
			}
			var late []model.Case
			late, tv.Count, err = w.svc.OverdueCases(ctx, q.user, withAfter(base, after), now, limit)
			if tv.Active {
				cases = late
			}
		} else {
			f := base
			f.Status = tab.States
			tv.Count, err = w.svc.CountCasesFor(ctx, q.user, f)
			if err == nil && tv.Active {
				f.AfterID, f.Limit = after, pageSize+1
				cases, err = w.svc.ListCases(ctx, q.user, f)
			}
		}
		if err != nil {
			w.fail(rw, r, q, err)
			return
		}
		if tv.Active {
			v.Total, v.Heading = tv.Count, tv.Label
		}
		v.Tabs = append(v.Tabs, tv)
	}
	if len(cases) > pageSize {
		cases = cases[:pageSize]
		v.NextURL = link(active, cases[pageSize-1].ID)
	}
	if after != 0 {
		v.FirstURL = link(active, 0)
	}
	v.Rows = w.inboxRows(r, q, cases, now)
	v.Streets, v.Units = w.areaOptions(v.Street), w.unitOptions(q.lang, v.Unit)
	p := w.newPage(q, "web.inbox.title", "inbox")
	p.Data = v
	w.render(rw, r, http.StatusOK, "inbox", p)
}

func withAfter(f model.CaseFilter, after int64) model.CaseFilter {
	f.AfterID = after
	return f
}

// inboxRows shows cases as rows. A case whose clock runs gets its deadline
// colour, which needs the clock's start from its timeline.
func (w *Web) inboxRows(r *http.Request, q *req, cases []model.Case, now time.Time) []inboxRow {
	ref := w.svc.Ref()
	rows := make([]inboxRow, 0, len(cases))
	for _, c := range cases {
		row := inboxRow{ID: c.ID, URL: "/work/cases/" + strconv.FormatInt(c.ID, 10), Category: w.categoryName(q.lang, c.CategoryID),
			Description: truncate(c.Description, 60), Address: c.Address, Street: ref.OrgName(c.StreetID), Unit: ref.OrgName(c.UnitID),
			Status: w.stateLabel(q.lang, c, c.Status), Created: c.CreatedAt}
		if !c.DueAt.IsZero() && slices.Contains(service.WebClockStates, c.Status) {
			var start time.Time
			if c.DueAt.After(now) {
				if _, tl, err := w.svc.Case(r.Context(), q.user, c.ID); err == nil {
					start = clockStart(tl)
				}
			}
			row.Deadline = w.deadlineOf(q.lang, c, start, now)
		}
		rows = append(rows, row)
	}
	return rows
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// areaOptions lists the streets and townships for the filter.
func (w *Web) areaOptions(selected int64) []option {
	var out []option
	for _, o := range w.svc.Ref().OrgList() {
		if o.Kind == model.OrgStreet || o.Kind == model.OrgTownship {
			out = append(out, option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name, Selected: o.ID == selected})
		}
	}
	return out
}

// unitOptions lists the units cases may be dispatched to, departments
// first, then streets and townships, then the district.
func (w *Web) unitOptions(lang string, selected int64) []optGroup {
	ref := w.svc.Ref()
	groups := []optGroup{{Label: w.i18n.T(lang, "web.unit.departments")}, {Label: w.i18n.T(lang, "web.unit.streets")}, {Label: w.i18n.T(lang, "web.unit.district")}}
	for _, o := range ref.OrgList() {
		if !ref.Dispatchable(o.ID) {
			continue
		}
		opt := option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name, Selected: o.ID == selected}
		switch o.Kind {
		case model.OrgDepartment:
			groups[0].Options = append(groups[0].Options, opt)
		case model.OrgDistrict:
			groups[2].Options = append(groups[2].Options, opt)
		default:
			groups[1].Options = append(groups[1].Options, opt)
		}
	}
	return groups
}

// workIndex sends /work/ to the inbox.
func (w *Web) workIndex(rw http.ResponseWriter, r *http.Request, q *req) {
	w.redirect(rw, r, landing(q.user.Role))
}
