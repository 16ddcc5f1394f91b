package httpapi

import (
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// statsConfig serves GET /api/v1/stats/config: the composite weights,
// time limits and ranking settings.
func (a *API) statsConfig(w http.ResponseWriter, r *http.Request) {
	cfg, err := a.svc.StatsConfig(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cfg)
}

// putStatsConfig serves PUT /api/v1/stats/config (administrators).
func (a *API) putStatsConfig(w http.ResponseWriter, r *http.Request) {
	var cfg service.StatsConfig
	if !a.decode(w, r, &cfg) {
		return
	}
	if err := a.svc.SetStatsConfig(r.Context(), user(r), cfg); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, cfg)
}
