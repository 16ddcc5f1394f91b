package web

import "net/http"

// adminIndex lists the administration pages, and says which ones are not
// built yet.
func (w *Web) adminIndex(rw http.ResponseWriter, r *http.Request, q *req) {
	p := w.newPage(q, "web.admin.title", "admin")
	w.render(rw, r, http.StatusOK, "admin", p)
}
