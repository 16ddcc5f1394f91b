package web

import "net/http"

// dispatchSheet is the daily dispatch sheet's place. It says plainly that
// it is not built yet: it needs the workflow engine's supervision data.
func (w *Web) dispatchSheet(rw http.ResponseWriter, r *http.Request, q *req) {
	p := w.newPage(q, "web.sheet.title", "sheet")
	p.Data = message{Heading: p.Title, Text: w.i18n.T(q.lang, "web.sheet.unavailable"), Back: "/work/inbox", BackKey: "web.nav.inbox"}
	w.render(rw, r, http.StatusOK, "message", p)
}

// dashboard is the leader's dashboard's place, waiting for the statistics
// engine. No figure is invented here.
func (w *Web) dashboard(rw http.ResponseWriter, r *http.Request, q *req) {
	p := w.newPage(q, "web.dashboard.title", "dashboard")
	p.Data = message{Heading: p.Title, Text: w.i18n.T(q.lang, "web.dashboard.unavailable"), Back: "/map", BackKey: "web.dashboard.public_figures"}
	w.render(rw, r, http.StatusOK, "message", p)
}
