package web

import (
	"net/http"
	"strconv"

	"github.com/yiwang-gov/yiwang/internal/model"
)

type gridRow struct {
	ID                            int64
	Code, Name, Community, Street string
	Worker                        string
	AreaM2                        float64
}

// adminGrids shows every unit grid on a map and in a table with its
// responsible grid worker.
func (w *Web) adminGrids(rw http.ResponseWriter, r *http.Request, q *req) {
	users, err := w.svc.StaffDirectory(r.Context(), q.user)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	byID := map[int64]model.User{}
	workers := map[int64]string{}
	for _, u := range users {
		byID[u.ID] = u
		if u.Role == model.RoleGridWorker {
			workers[u.OrgID] = u.DisplayName + " (" + u.Username + ")"
		}
	}
	ref := w.svc.Ref()
	rows := make([]gridRow, 0, len(ref.GridList))
	for _, g := range ref.GridList {
		row := gridRow{ID: g.OrgID, Code: g.Code.String(), Name: g.Name, Community: ref.OrgName(g.CommunityID),
			Street: ref.OrgName(g.StreetID), Worker: workers[g.OrgID], AreaM2: g.AreaM2}
		if u, ok := byID[g.WorkerID]; ok {
			row.Worker = u.DisplayName + " (" + u.Username + ")"
		} else if g.WorkerID != 0 && row.Worker == "" {
			row.Worker = "#" + strconv.FormatInt(g.WorkerID, 10)
		}
		rows = append(rows, row)
	}
	p := w.newPage(q, "web.admin.grids", "admin")
	p.Map = true
	p.Data = rows
	w.render(rw, r, http.StatusOK, "admin_grids", p)
}
