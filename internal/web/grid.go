package web

import (
	"net/http"
	"strconv"

	"github.com/yiwang-gov/yiwang/internal/model"
)

type gridView struct {
	Found     bool
	ID        int64
	Code      string
	Name      string
	Community string
	Street    string
	AreaM2    float64
	Open      int
	Rows      []inboxRow
}

// gridPage is a grid worker's view of their grid: its polygon, the open
// cases in it on the map and in a list. Centre staff reach any grid with
// ?grid=ID (the case page links to it).
func (w *Web) gridPage(rw http.ResponseWriter, r *http.Request, q *req) {
	ref := w.svc.Ref()
	id := int64(0)
	if q.user.Role == model.RoleGridWorker {
		id = q.user.OrgID
	} else {
		id, _ = strconv.ParseInt(r.URL.Query().Get("grid"), 10, 64)
	}
	p := w.newPage(q, "web.grid.title", "grid")
	v := gridView{}
	if g, ok := ref.Grids[id]; ok {
		v = gridView{Found: true, ID: g.OrgID, Code: g.Code.String(), Name: g.Name, Community: ref.OrgName(g.CommunityID),
			Street: ref.OrgName(g.StreetID), AreaM2: g.AreaM2}
		f := model.CaseFilter{GridID: g.OrgID, Status: openStates}
		var err error
		if v.Open, err = w.svc.CountCasesFor(r.Context(), q.user, f); err != nil {
			w.fail(rw, r, q, err)
			return
		}
		f.Limit = pageSize
		cases, err := w.svc.ListCases(r.Context(), q.user, f)
		if err != nil {
			w.fail(rw, r, q, err)
			return
		}
		v.Rows = w.inboxRows(r, q, cases, w.now())
		p.Map = true
	}
	p.Data = v
	w.render(rw, r, http.StatusOK, "grid", p)
}
