package web

import (
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/calendar"
)

// receipt is the page after a report: the code to keep.
func (w *Web) receipt(rw http.ResponseWriter, r *http.Request, q *req) {
	c, _, err := w.svc.CaseByReceipt(r.Context(), r.PathValue("code"))
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	p := w.newPage(q, "web.receipt.title", "report")
	p.Data = struct {
		Receipt string
		Created string
	}{c.Receipt, c.CreatedAt.In(calendar.Beijing()).Format("2006-01-02 15:04")}
	w.render(rw, r, http.StatusOK, "receipt", p)
}
