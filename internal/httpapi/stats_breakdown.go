package httpapi

import "net/http"

// statsBreakdown serves GET /api/v1/stats/breakdown?by=street|community|grid|unit|user|category|channel|type|subtype|month|day
// with the summary's filters: one row of measures per group and the total.
func (a *API) statsBreakdown(w http.ResponseWriter, r *http.Request) {
	p, ok := a.statsParams(w, r)
	if !ok {
		return
	}
	b, err := a.svc.StatsBreakdown(r.Context(), user(r), p, r.URL.Query().Get("by"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, b)
}
