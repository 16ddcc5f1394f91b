package open311

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// fmsStatus maps a state to FixMyStreet's richer status vocabulary.
func fmsStatus(s model.State, closed bool) string {
	switch s {
	case model.StateReported:
		return "open"
	case model.StateRegistered:
		return "investigating"
	case model.StateDispatched, model.StateParked:
		return "action_scheduled"
	case model.StateHandling, model.StateAwaitingVerification:
		return "in_progress"
	case model.StateClosed:
		return "fixed"
	case model.StateRejected:
		return "no_further_action"
	case model.StateMerged:
		return "duplicate"
	}
	if closed {
		return "closed"
	}
	return "open"
}

// listUpdates serves GET servicerequestupdates.{fmt} (FixMyStreet): the
// timeline entries after the first of public cases, oldest first, within
// the same date window and paging as GET requests.
func (h *Handler) listUpdates(w http.ResponseWriter, r *http.Request, format string) {
	q := r.URL.Query()
	_, street, ok := h.jurisdiction(w, r, format, q.Get("jurisdiction_id"))
	if !ok {
		return
	}
	k, ok := h.apiKey(w, r, format, q.Get("api_key"), false)
	if !ok {
		return
	}
	rd := service.Open311ReaderOf(k)
	win, ok := h.readWindow(w, r, format, q)
	if !ok {
		return
	}
	if win.from.IsZero() && win.to.IsZero() { // only updated_* given: they bound the entries
		win.from, win.to = win.updatedAfter, win.updatedBefore
	}
	evs, total, err := h.svc.Open311Events(r.Context(), rd, store.EventFilter{From: win.from, To: win.to, StreetID: street, Limit: win.limit, Offset: win.offset})
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	cases := map[int64]model.Case{}
	v := &view{h: h, r: r, lang: lang(r), terminal: h.svc.TerminalStates()}
	docs := make([]updateDoc, 0, len(evs))
	for _, ev := range evs {
		c, ok := cases[ev.CaseID]
		if !ok {
			// The case's type decides the action labels; one read per case.
			if c, err = h.svc.Open311Case(r.Context(), rd, ev.CaseID); err != nil {
				h.fail(w, r, format, err)
				return
			}
			cases[ev.CaseID] = c
		}
		desc := ev.Note
		if desc == "" {
			desc = v.actionLabel(c, ev.Action)
		}
		docs = append(docs, updateDoc{UpdateID: "e" + strconv.FormatInt(ev.ID, 10), ServiceRequestID: strconv.FormatInt(ev.CaseID, 10),
			Status: fmsStatus(ev.ToState, v.status(ev.ToState) == "closed"), UpdatedDatetime: w3c(ev.At), Description: desc})
	}
	pageHeaders(w, r, win, total)
	write(w, format, http.StatusOK, updatesXML{Updates: docs}, docs)
}

// postUpdate serves POST servicerequestupdates.{fmt} (FixMyStreet): a
// citizen front end passes on a comment. It is kept beside the case and
// changes nothing of it.
func (h *Handler) postUpdate(w http.ResponseWriter, r *http.Request, format string) {
	f, ok := h.readForm(w, r, format)
	if !ok {
		return
	}
	k, _, _, ok := h.postKey(w, r, format, f)
	if !ok {
		return
	}
	v := f.values
	idStr := strings.TrimSpace(v.Get("service_request_id"))
	if idStr == "" {
		h.errorf(w, r, format, http.StatusBadRequest, "open311.missing_parameter", "service_request_id")
		return
	}
	id, err := strconv.ParseInt(idStr, 10, 64)
	if err != nil || id <= 0 {
		h.errorf(w, r, format, http.StatusNotFound, "open311.unknown_request", idStr)
		return
	}
	var at time.Time
	if s := v.Get("updated_datetime"); s != "" {
		if at, err = service.ParseW3C(s); err != nil {
			h.errorf(w, r, format, http.StatusBadRequest, "open311.bad_parameter", "updated_datetime")
			return
		}
	}
	u, replay, err := h.svc.AddOpen311Update(r.Context(), service.Open311UpdateInput{
		APIKey: k, CaseID: id, ExternalID: v.Get("update_id"), Status: v.Get("status"), Description: v.Get("description"),
		FirstName: v.Get("first_name"), LastName: v.Get("last_name"), Email: v.Get("email"), MediaURL: v.Get("media_url"), UpdatedAt: at,
	})
	if errors.Is(err, service.ErrNotFound) {
		h.errorf(w, r, format, http.StatusNotFound, "open311.unknown_request", idStr)
		return
	}
	if err != nil {
		h.fail(w, r, format, err)
		return
	}
	status := http.StatusCreated
	if replay {
		status = http.StatusOK
	}
	docs := []updateDoc{{UpdateID: "u" + strconv.FormatInt(u.ID, 10)}}
	write(w, format, status, updatesXML{Updates: docs}, docs)
}
