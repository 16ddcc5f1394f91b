package httpapi

import (
	"net/http"
	"strconv"
)

// statsHotSpots serves GET /api/v1/stats/hotspots?min=&limit=: the grids
// where one category was reported at least min times in the range, most
// first.
func (a *API) statsHotSpots(w http.ResponseWriter, r *http.Request) {
	p, ok := a.statsParams(w, r)
	if !ok {
		return
	}
	minReports, _ := strconv.ParseInt(r.URL.Query().Get("min"), 10, 64)
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	hs, sc, err := a.svc.StatsHotSpots(r.Context(), user(r), p, minReports, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"scope": sc, "hot_spots": hs})
}
