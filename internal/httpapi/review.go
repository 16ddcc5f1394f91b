package httpapi

import (
	"net/http"
	"strconv"

	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// reviewQueue serves GET /api/v1/events/review: machine events waiting
// for a person (low confidence), newest first; ?status=review (default),
// open, dismissed, closed or all; ?after_id= and ?limit= page.
func (a *API) reviewQueue(w http.ResponseWriter, r *http.Request) {
	if a.intake == nil {
		a.writeError(w, r, http.StatusServiceUnavailable, "error.intake_unavailable", nil)
		return
	}
	q := r.URL.Query()
	f := store.MachineEventFilter{Status: q.Get("status")}
	for name, dst := range map[string]*int64{"after_id": &f.AfterID, "source_id": &f.SourceID} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				a.fail(w, r, service.Invalid(name, "field.wrong_type"))
				return
			}
			*dst = n
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			a.fail(w, r, service.Invalid("limit", "field.out_of_range", 1, 1000))
			return
		}
		f.Limit = n
	}
	recs, err := a.intake.ReviewQueue(r.Context(), user(r), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if recs == nil {
		recs = []store.MachineEvent{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": recs})
}

type reviewRequest struct {
	Note        string `json:"note"`
	Description string `json:"description"`
}

// confirmEvent serves POST /api/v1/events/review/{id}/confirm: the event
// is real; it becomes a case (channel video) in the reviewer's name.
func (a *API) confirmEvent(w http.ResponseWriter, r *http.Request) {
	id, req, ok := a.reviewInput(w, r)
	if !ok {
		return
	}
	u := user(r)
	rec, c, err := a.intake.Confirm(r.Context(), u, id, service.ReviewInput{Note: req.Note, Description: req.Description})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/cases/"+itoa(c.ID))
	writeJSON(w, http.StatusCreated, map[string]any{"event": rec, "case": a.caseView(u, c, nil)})
}

// dismissEvent serves POST /api/v1/events/review/{id}/dismiss: a false
// alarm; its repeats within the source's window are suppressed.
func (a *API) dismissEvent(w http.ResponseWriter, r *http.Request) {
	id, req, ok := a.reviewInput(w, r)
	if !ok {
		return
	}
	rec, err := a.intake.Dismiss(r.Context(), user(r), id, service.ReviewInput{Note: req.Note})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"event": rec})
}

func (a *API) reviewInput(w http.ResponseWriter, r *http.Request) (int64, reviewRequest, bool) {
	var req reviewRequest
	if a.intake == nil {
		a.writeError(w, r, http.StatusServiceUnavailable, "error.intake_unavailable", nil)
		return 0, req, false
	}
	id, ok := pathID(r, "id")
	if !ok {
		a.fail(w, r, service.ErrNotFound)
		return 0, req, false
	}
	if r.ContentLength != 0 && !a.decode(w, r, &req) {
		return 0, req, false
	}
	return id, req, true
}
