package web

import "net/http"

// dispatchSheet is the daily dispatch sheet's place. It says plainly that
// it is not built yet: it needs the workflow engine's supervision data.
func (w *Web) dispatchSheet(rw http.ResponseWriter, r *http.Request, q *req) {
	p := w.newPage(q, "web.sheet.title", "sheet")
	p.Data = message{Heading: p.Title, Text: w.i18n.T(q.lang, "web.sheet.unavailable"), Back: "/work/inbox", BackKey: "web.nav.inbox"}
	w.render(rw, r, http.StatusOK, "message", p)
}
