package web

import "net/http"

// logout ends the session on the server and in the browser. The browser
// is also told to drop what this origin keeps (Clear-Site-Data): the field
// app's cached tasks and grid, its outbox in IndexedDB and its service
// worker, so that nothing personal stays on a shared or lost phone. The
// field page warns before a logout that would drop unsent reports.
func (w *Web) logout(rw http.ResponseWriter, r *http.Request, q *req) {
	rw.Header().Set("Clear-Site-Data", `"cache", "storage"`)
	if q.token != "" {
		if err := w.svc.Logout(r.Context(), q.token); err != nil {
			w.log.Warn("logout", "err", err)
		}
	}
	w.clearCookie(rw, r, sessionCookie)
	w.redirect(rw, r, "/login?done=logout")
}
