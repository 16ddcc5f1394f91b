package httpapi

import "net/http"

// statsSummary serves GET /api/v1/stats/summary?from=&to=&area=&unit=&type=
// : the measures of the range with numerators and denominators, the
// rectification sums, year-on-year and month-on-month changes.
func (a *API) statsSummary(w http.ResponseWriter, r *http.Request) {
	p, ok := a.statsParams(w, r)
	if !ok {
		return
	}
	sum, err := a.svc.StatsSummary(r.Context(), user(r), p)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}
