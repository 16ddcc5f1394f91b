package web

import (
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/calendar"
)

// dispatchSheet is the daily dispatch sheet (日调度): per unit and per 包案
// leader, today's open items, what changed since yesterday, what is due or
// late — the same sheet as GET /api/v1/dispatch-sheet.
func (w *Web) dispatchSheet(rw http.ResponseWriter, r *http.Request, q *req) {
	sheet, err := w.svc.DispatchSheet(r.Context(), q.user, calendar.DateOf(w.now().In(calendar.Beijing())), 0, 0)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	p := w.newPage(q, "web.sheet.title", "sheet")
	p.Data = sheet
	w.render(rw, r, http.StatusOK, "dispatchsheet", p)
}
