package web

import "net/http"

// logout ends the session on the server and in the browser.
func (w *Web) logout(rw http.ResponseWriter, r *http.Request, q *req) {
	if q.token != "" {
		if err := w.svc.Logout(r.Context(), q.token); err != nil {
			w.log.Warn("logout", "err", err)
		}
	}
	w.clearCookie(rw, r, sessionCookie)
	w.redirect(rw, r, "/login?done=logout")
}
