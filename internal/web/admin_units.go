package web

import (
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/model"
)

type unitRow struct {
	ID     int64
	Level  int // depth for indentation: 0 department, 1 district … 3 community
	Kind   string
	Code   string
	Name   string
	Grids  int
	Users  int
	Parent string
}

// adminUnits lists the org tree (without the unit grids, which have their
// own page) in tree order, departments after the territorial tree.
func (w *Web) adminUnits(rw http.ResponseWriter, r *http.Request, q *req) {
	ref := w.svc.Ref()
	users, err := w.svc.StaffDirectory(r.Context(), q.user)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	nUsers := map[int64]int{}
	for _, u := range users {
		nUsers[u.OrgID]++
	}
	children := map[int64][]model.OrgUnit{}
	nGrids := map[int64]int{}
	for _, o := range ref.OrgList() {
		if o.Kind == model.OrgGrid {
			nGrids[o.ParentID]++
			continue
		}
		children[o.ParentID] = append(children[o.ParentID], o)
	}
	var rows, depts []unitRow
	var walk func(parent int64, depth int)
	walk = func(parent int64, depth int) {
		for _, o := range children[parent] {
			row := unitRow{ID: o.ID, Level: depth, Kind: w.i18n.T(q.lang, "web.kind."+string(o.Kind)), Code: o.Code, Name: o.Name,
				Grids: nGrids[o.ID], Users: nUsers[o.ID], Parent: ref.OrgName(o.ParentID)}
			if o.Kind == model.OrgDepartment {
				row.Level = 0
				depts = append(depts, row)
				continue
			}
			rows = append(rows, row)
			walk(o.ID, depth+1)
		}
	}
	walk(0, 1)
	p := w.newPage(q, "web.admin.units", "admin")
	p.Data = struct{ Tree, Departments []unitRow }{rows, depts}
	w.render(rw, r, http.StatusOK, "admin_units", p)
}
