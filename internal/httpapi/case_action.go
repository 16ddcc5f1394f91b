package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

type actionRequest struct {
	Version  int      `json:"version"`
	Note     string   `json:"note"`
	Unit     int64    `json:"unit"`
	Result   string   `json:"result"`
	Evidence []string `json:"evidence"`
	Master   int64    `json:"master"`
	Days     int      `json:"days"`  // extension request (延期)
	Owner    int64    `json:"owner"` // owning leader (包案)
	// Fields are case fields the action sets.
	Fields json.RawMessage `json:"fields"`
	// ObservedAt is when the actor saw what the action records, if earlier.
	ObservedAt *time.Time `json:"observed_at"`
}

// caseAction serves POST /api/v1/cases/{id}/actions/{action}.
func (a *API) caseAction(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	var req actionRequest
	if !a.decode(w, r, &req) {
		return
	}
	u := user(r)
	fields, ok := decodeFields(req.Fields)
	if !ok {
		a.writeError(w, r, http.StatusBadRequest, "error.invalid_json", map[string]service.FieldError{"fields": {Key: "field.wrong_type"}})
		return
	}
	in := service.ActionInput{
		Version: req.Version, Note: req.Note, UnitID: req.Unit, Result: req.Result, Evidence: req.Evidence, MasterID: req.Master,
		Days: req.Days, OwnerID: req.Owner, Fields: fields,
	}
	if req.ObservedAt != nil {
		in.ObservedAt = *req.ObservedAt
	}
	var c model.Case
	var err error
	if key := strings.TrimSpace(r.Header.Get("Idempotency-Key")); key != "" {
		// A client that retries (an app's outbox) hears of its own applied
		// action as a replay, not as a conflict.
		var replay bool
		c, replay, err = a.svc.ActOnce(r.Context(), u, id, r.PathValue("action"), "api:"+key, in)
		if replay {
			w.Header().Set("Idempotent-Replayed", "true")
		}
	} else {
		c, err = a.svc.Act(r.Context(), u, id, r.PathValue("action"), in)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	_, tl, err := a.svc.Case(r.Context(), u, id)
	if err != nil && err != service.ErrNotFound {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.caseView(u, c, tl))
}
