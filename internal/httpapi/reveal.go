package httpapi

import (
	"net"
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// revealReporter serves POST /api/v1/cases/{id}/reveal {"reason"}: the
// reporter unmasked, for permitted roles, logged with the reason.
func (a *API) revealReporter(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if !a.decode(w, r, &in) {
		return
	}
	// The service writes its own, more specific audit entry.
	audit.FromContext(r.Context()).Skip = true
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	rep, err := a.svc.RevealReporter(r.Context(), user(r), id, in.Reason, host)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"reporter": rep})
}
