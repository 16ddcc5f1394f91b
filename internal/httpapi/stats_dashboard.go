package httpapi

import "net/http"

// statsDashboard serves GET /api/v1/stats/dashboard: summary, trend,
// streets, both rankings, hot spots and 每月一题 candidates in one answer
// (what the leaders' dashboard shows).
func (a *API) statsDashboard(w http.ResponseWriter, r *http.Request) {
	p, ok := a.statsParams(w, r)
	if !ok {
		return
	}
	d, err := a.svc.StatsDashboard(r.Context(), user(r), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}
