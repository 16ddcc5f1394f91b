package httpapi

import (
	"net/http"
	"strconv"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// notifications serves GET /api/v1/notifications?limit=N: what the user's
// unit and the user were told (warnings, 督办, replies), newest first.
func (a *API) notifications(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			a.writeError(w, r, http.StatusBadRequest, "error.bad_request", map[string]service.FieldError{"limit": {Key: "field.wrong_type"}})
			return
		}
		limit = n
	}
	ns, err := a.svc.Notifications(r.Context(), user(r), limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if ns == nil {
		ns = []service.Notification{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": ns})
}

// readNotification serves POST /api/v1/notifications/{id}/read.
func (a *API) readNotification(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	if err := a.svc.MarkNotificationRead(r.Context(), user(r), id); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
