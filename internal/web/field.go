package web

import (
	"net/http"
	"strconv"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// fieldPath is the grid worker's field app (外业采集): an installable page
// that keeps working where the signal drops. The page, its data and its
// scripts are cached by a service worker (fieldsw.go); reports and 核查
// results entered offline wait in the browser's IndexedDB and are sent,
// each with its own idempotency key, when the connection returns
// (static/js/field.js).
const fieldPath = "/work/field"

// fieldCaseType is what a grid worker's patrol report files.
const fieldCaseType = "city_case"

// fieldView is the page's data. The page itself holds no case: tasks come
// from /work/field/data, so that the cached page is the same for every
// visit and the data can be refreshed without reloading it.
type fieldView struct {
	GridID    int64
	GridName  string
	GridCode  string
	Groups    []catGroup
	MaxPhotos int
	MaxLen    int
	// Strings are the messages field.js shows, from the catalogue.
	Strings map[string]string
}

// fieldStrings are the catalogue keys field.js needs, rendered into the
// page so that no message is written in the script.
var fieldStrings = []string{
	"web.field.online", "web.field.offline", "web.field.outbox_count", "web.field.outbox_empty",
	"web.field.state_queued", "web.field.state_sending", "web.field.state_failed",
	"web.field.state_conflict", "web.field.state_auth", "web.field.state_invalid", "web.field.state_other_user",
	"web.field.dismiss", "web.field.open_case", "web.field.kind_report", "web.field.kind_verify",
	"web.field.captured", "web.field.saved", "web.field.outside", "web.field.inside", "web.field.no_grid",
	"web.field.locating", "web.field.located", "web.field.locate_failed", "web.field.no_geolocation",
	"web.field.tasks_none", "web.field.tasks_stale", "web.field.tasks_loading", "web.field.tasks_unavailable",
	"web.field.verify_submit", "web.field.verify_queued", "web.field.logout_confirm", "web.field.photos_count",
	"web.field.photo_failed", "web.field.required", "web.result.pass", "web.result.fail", "web.field.note",
	"web.field.task_verify", "web.field.storage_failed", "web.field.verify_photos",
}

// fieldPage renders the field app's shell for a grid worker. Other roles
// have no grid of their own to patrol: they get a page saying so.
func (w *Web) fieldPage(rw http.ResponseWriter, r *http.Request, q *req) {
	if q.user.Role != model.RoleGridWorker {
		w.messagePage(rw, r, q, http.StatusForbidden, "web.error.forbidden_title", "web.field.grid_only")
		return
	}
	ref := w.svc.Ref()
	v := fieldView{MaxPhotos: service.MaxReportPhotos, MaxLen: service.MaxDescription, Strings: map[string]string{}}
	if g, ok := ref.Grids[q.user.OrgID]; ok {
		v.GridID, v.GridName, v.GridCode = g.OrgID, g.Name, g.Code.String()
	}
	if def, ok := w.svc.Workflows().Latest(fieldCaseType); ok {
		v.Groups = w.categoryGroups(q.lang, "", func(c model.Category) bool {
			return def.CategoryType == "" || c.CaseType == def.CategoryType
		})
	}
	for _, k := range fieldStrings {
		v.Strings[k] = w.i18n.T(q.lang, k)
	}
	p := w.newPage(q, "web.field.title", "field")
	p.Map, p.Field = true, true
	p.Data = v
	w.render(rw, r, http.StatusOK, "field", p)
}

// fieldTask is one case of the worker's day in /work/field/data.
type fieldTask struct {
	ID          int64   `json:"id"`
	Version     int     `json:"version"`
	Status      string  `json:"status"`
	StatusLabel string  `json:"status_label"`
	Category    string  `json:"category"`
	Description string  `json:"description"`
	Address     string  `json:"address,omitempty"`
	Lat         float64 `json:"lat"`
	Lng         float64 `json:"lng"`
	URL         string  `json:"url"`
	Created     string  `json:"created"`
	// Verify says the worker may take the 核查 action on it now.
	Verify bool `json:"verify"`
}

// fieldData is what the app caches for offline use: the worker's grid,
// the open cases in it (核查 tasks first) and a fresh CSRF token for the
// outbox's sends. It carries personal data (case descriptions), so it is
// never stored by HTTP caches, and logging out clears the app's copy from
// the browser (Clear-Site-Data, see logout.go).
func (w *Web) fieldData(rw http.ResponseWriter, r *http.Request, q *req) {
	ref := w.svc.Ref()
	out := map[string]any{
		"user": map[string]any{"id": q.user.ID, "name": q.user.DisplayName},
		"csrf": q.csrf,
		"at":   w.now().In(calendar.Beijing()).Format("2006-01-02 15:04"),
	}
	tasks := []fieldTask{}
	if g, ok := ref.Grids[q.user.OrgID]; ok {
		out["grid"] = gridFeature(ref, g)
		cases, err := w.svc.ListCases(r.Context(), q.user, model.CaseFilter{GridID: g.OrgID, Status: openStates, Limit: 200})
		if err != nil {
			w.fieldFail(rw, r, q, err)
			return
		}
		var verify, other []fieldTask
		for _, c := range cases {
			t := fieldTask{ID: c.ID, Version: c.Version, Status: string(c.Status), StatusLabel: w.stateLabel(q.lang, c, c.Status),
				Category: w.categoryName(q.lang, c.CategoryID), Description: c.Description, Address: c.Address,
				Lat: c.Lat, Lng: c.Lng, URL: "/work/cases/" + strconv.FormatInt(c.ID, 10), Created: c.CreatedAt.In(calendar.Beijing()).Format("2006-01-02 15:04")}
			if d := w.def(c); d != nil {
				for _, a := range d.Available(c.Status, q.user.Role) {
					if a.Name == "verify" {
						t.Verify = true
					}
				}
			}
			if t.Verify {
				verify = append(verify, t)
			} else {
				other = append(other, t)
			}
		}
		tasks = append(append(tasks, verify...), other...)
	}
	out["tasks"] = tasks
	// no-store: the app keeps its own copy (Cache API), which logging out
	// clears; the browser's HTTP cache need not hold one too.
	fieldJSON(rw, http.StatusOK, out)
}
