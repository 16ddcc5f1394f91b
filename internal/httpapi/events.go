package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// eventJSON is one machine event as a video or sensor platform posts it.
type eventJSON struct {
	SourceID      string   `json:"source_id"`
	EventID       string   `json:"event_id"` // the platform's own id: a retry is counted once
	DeviceID      string   `json:"device_id"`
	EventType     string   `json:"event_type"`
	Confidence    *float64 `json:"confidence"`
	Lat           *float64 `json:"lat"`
	Lng           *float64 `json:"lng"`
	Coord         string   `json:"coord"`
	ComponentCode string   `json:"component_code"`
	At            string   `json:"at"`
	Address       string   `json:"address"`
	Description   string   `json:"description"`
	Snapshot      string   `json:"snapshot"`    // base64 image
	SnapshotID    string   `json:"snapshot_id"` // or an uploaded attachment
}

func (e eventJSON) input() service.EventInput {
	return service.EventInput{SourceID: e.SourceID, EventID: e.EventID, DeviceID: e.DeviceID, EventType: e.EventType, Confidence: e.Confidence,
		Lat: e.Lat, Lng: e.Lng, Coord: e.Coord, ComponentCode: e.ComponentCode, At: e.At, Address: e.Address,
		Description: e.Description, Snapshot: e.Snapshot, SnapshotID: e.SnapshotID}
}

// eventsRequest is a single event, or a batch under "events".
type eventsRequest struct {
	eventJSON
	Events []json.RawMessage `json:"events"`
}

// eventResult is one event's answer.
type eventResult struct {
	Index          int         `json:"index"`
	Outcome        string      `json:"outcome,omitempty"` // created, folded, review, suppressed
	MachineEventID int64       `json:"machine_event_id,omitempty"`
	Count          int         `json:"count,omitempty"`
	Status         string      `json:"status,omitempty"`
	CaseID         int64       `json:"case_id,omitempty"`
	Receipt        string      `json:"receipt,omitempty"`
	Duplicate      bool        `json:"duplicate,omitempty"` // the event id was sent before: outcome is the first answer's
	Error          *errorInner `json:"error,omitempty"`
}

type errorInner struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// postEvents serves POST /api/v1/events for registered video and sensor
// sources (Authorization: Bearer <source key>). A single event is answered
// 201 (a new case) or 200 (folded into an open one, or waiting for review),
// 422 when invalid; a batch {"events":[…]} is answered 200 with a result
// per event, in order — an invalid or failing event does not stop the
// others. An event the platform names (event_id) and sends again is
// answered with the first answer and "duplicate": true, counted once.
// An event is answered only after it is committed. When the
// intake queue is full the whole request is refused with 429 and
// Retry-After, and nothing of it is written.
func (a *API) postEvents(w http.ResponseWriter, r *http.Request) {
	rec := audit.FromContext(r.Context())
	rec.Role = string(service.RoleMachine)
	if a.intake == nil {
		a.writeError(w, r, http.StatusServiceUnavailable, "error.intake_unavailable", nil)
		return
	}
	var req eventsRequest
	if !a.decode(w, r, &req) {
		return
	}
	batch := req.Events != nil
	var inputs []service.EventInput
	var decodeErr map[int]*errorInner
	if batch {
		if req.eventJSON != (eventJSON{}) {
			a.writeError(w, r, http.StatusBadRequest, "error.invalid_json", map[string]service.FieldError{"events": {Key: "field.not_settable"}})
			return
		}
		inputs = make([]service.EventInput, len(req.Events))
		for i, raw := range req.Events {
			var e eventJSON
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&e); err != nil {
				if decodeErr == nil {
					decodeErr = map[int]*errorInner{}
				}
				decodeErr[i] = a.itemJSONError(r, err)
				inputs[i] = service.EventInput{EventType: "\x00"} // never valid; its result is the decode error
				continue
			}
			inputs[i] = e.input()
		}
	} else {
		inputs = []service.EventInput{req.input()}
	}
	src, results, err := a.intake.Ingest(r.Context(), bearer(r), inputs)
	if src.ID != 0 {
		rec.Username = "eventsource:" + src.Code
	}
	switch {
	case errors.Is(err, service.ErrSaturated):
		secs := int(a.intake.RetryAfter().Seconds())
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		rec.Detail = fmt.Sprintf("events=%d saturated", len(inputs))
		a.writeError(w, r, http.StatusTooManyRequests, "error.intake_saturated", nil)
		return
	case errors.Is(err, service.ErrIntakeStopped):
		w.Header().Set("Retry-After", "5")
		a.writeError(w, r, http.StatusServiceUnavailable, "error.intake_unavailable", nil)
		return
	case errors.Is(err, service.ErrKeyRevoked):
		a.writeError(w, r, http.StatusForbidden, "error.forbidden", nil)
		return
	case err != nil:
		a.fail(w, r, err)
		return
	}
	out := make([]eventResult, len(results))
	tally := map[string]int{}
	for i, res := range results {
		o := eventResult{Index: i, Outcome: res.Outcome, MachineEventID: res.MachineEventID, Count: res.Count, Status: res.Status,
			CaseID: res.CaseID, Receipt: res.Receipt, Duplicate: res.Duplicate}
		switch {
		case decodeErr[i] != nil:
			o = eventResult{Index: i, Error: decodeErr[i]}
		case res.Err != nil:
			o.Error = a.itemError(r, res.Err)
		}
		switch {
		case o.Error != nil:
			tally["failed"]++
		case o.Duplicate:
			tally["duplicate"]++
		default:
			tally[o.Outcome]++
		}
		out[i] = o
	}
	rec.Detail = fmt.Sprintf("events=%d created=%d folded=%d review=%d suppressed=%d duplicate=%d failed=%d", len(results),
		tally["created"], tally["folded"], tally["review"], tally["suppressed"], tally["duplicate"], tally["failed"])
	if batch {
		writeJSON(w, http.StatusOK, map[string]any{"results": out, "accepted": len(out) - tally["failed"], "failed": tally["failed"]})
		return
	}
	res := results[0]
	if res.Err != nil {
		a.fail(w, r, res.Err)
		return
	}
	status := http.StatusOK
	if res.Outcome == "created" && !res.Duplicate {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/v1/cases/"+itoa(res.CaseID))
	}
	writeJSON(w, status, out[0])
}

// itemError is one event's error in the shape of the API's errors.
func (a *API) itemError(r *http.Request, err error) *errorInner {
	l := lang(r)
	if errors.Is(err, service.ErrEventIDConflict) {
		return &errorInner{Code: "event_id_conflict", Message: a.i18n.T(l, "error.event_id_conflict"),
			Fields: map[string]string{"event_id": a.i18n.T(l, "field.event_id_reused")}}
	}
	var ve *service.ValidationError
	if errors.As(err, &ve) {
		e := &errorInner{Code: "validation", Message: a.i18n.T(l, "error.validation"), Fields: map[string]string{}}
		for f, fe := range ve.Fields {
			e.Fields[f] = a.i18n.T(l, fe.Key, fe.Args...)
		}
		return e
	}
	if a.svc.StorageFull(err) {
		// The source sends it again later: nothing of it was stored.
		return &errorInner{Code: "storage_full", Message: a.i18n.T(l, "error.storage_full")}
	}
	a.log.Error("machine event failed", "err", err)
	return &errorInner{Code: "internal", Message: a.i18n.T(l, "error.internal")}
}

func (a *API) itemJSONError(r *http.Request, err error) *errorInner {
	l := lang(r)
	e := &errorInner{Code: "invalid_json", Message: a.i18n.T(l, "error.invalid_json")}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		e.Fields = map[string]string{te.Field: a.i18n.T(l, "field.wrong_type")}
	} else if f, ok := unknownField(err); ok {
		e.Fields = map[string]string{f: a.i18n.T(l, "field.unknown_field")}
	}
	return e
}
