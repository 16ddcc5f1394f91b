package httpapi

import (
	"net/http"
	"strconv"
)

// statsTopics serves GET /api/v1/stats/topics?to=&limit=: 每月一题
// candidates — categories recurring in a street in each of the last months
// up to the month of to.
func (a *API) statsTopics(w http.ResponseWriter, r *http.Request) {
	p, ok := a.statsParams(w, r)
	if !ok {
		return
	}
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	ts, sc, err := a.svc.StatsTopics(r.Context(), user(r), p, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"scope": sc, "topics": ts})
}
