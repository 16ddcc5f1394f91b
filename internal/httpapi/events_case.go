package httpapi

import (
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// caseMachineEvents serves GET /api/v1/cases/{id}/machine-events: the
// machine sightings folded into a case — source, device, how many times,
// first and last seen.
func (a *API) caseMachineEvents(w http.ResponseWriter, r *http.Request) {
	if a.intake == nil {
		a.writeError(w, r, http.StatusServiceUnavailable, "error.intake_unavailable", nil)
		return
	}
	id, ok := pathID(r, "id")
	if !ok {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	recs, err := a.intake.CaseMachineEvents(r.Context(), user(r), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if recs == nil {
		recs = []store.MachineEvent{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": recs})
}
