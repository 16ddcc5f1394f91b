package httpapi

import (
	"net/http"
	"strconv"

	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/stats"
)

// statsRanking serves GET /api/v1/stats/ranking?of=unit|street: the 红黑榜
// by composite 三率 score. weights=30,35,35 (response, resolution,
// satisfaction) overrides the configured weights for this answer.
func (a *API) statsRanking(w http.ResponseWriter, r *http.Request) {
	p, ok := a.statsParams(w, r)
	if !ok {
		return
	}
	var weights *stats.Weights
	if v := r.URL.Query().Get("weights"); v != "" {
		var ws []float64
		for _, part := range splitComma(v) {
			f, err := strconv.ParseFloat(part, 64)
			if err != nil {
				ws = nil
				break
			}
			ws = append(ws, f)
		}
		if len(ws) != 3 {
			a.writeError(w, r, http.StatusBadRequest, "error.bad_request", map[string]service.FieldError{"weights": {Key: "field.stats_weights"}})
			return
		}
		weights = &stats.Weights{Response: ws[0], Resolution: ws[1], Satisfaction: ws[2]}
	}
	rk, err := a.svc.StatsRanking(r.Context(), user(r), p, r.URL.Query().Get("of"), weights)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rk)
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
