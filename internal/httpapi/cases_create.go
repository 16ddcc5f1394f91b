package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

type createCaseRequest struct {
	Type        string          `json:"type"`
	Category    json.RawMessage `json:"category"` // code "0101" or id 12
	Description string          `json:"description"`
	Lat         *float64        `json:"lat"`
	Lng         *float64        `json:"lng"`
	Coord       string          `json:"coord"`
	Address     string          `json:"address"`
	Channel     model.Channel   `json:"channel"`
	Reporter    model.Reporter  `json:"reporter"`
	Anonymous   bool            `json:"anonymous"`
	Fields      json.RawMessage `json:"fields"` // the case type's own fields
	// ObservedAt is when the problem was seen, if earlier (发现时间).
	ObservedAt *time.Time `json:"observed_at"`
}

// decodeFields reads a fields object keeping numbers exact (json.Number),
// so money is never rounded through float64.
func decodeFields(raw json.RawMessage) (map[string]any, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, false
	}
	return m, true
}

func (a *API) createCase(w http.ResponseWriter, r *http.Request) {
	var req createCaseRequest
	if !a.decode(w, r, &req) {
		return
	}
	in := service.CreateCase{
		Type: req.Type, Description: req.Description, Lat: req.Lat, Lng: req.Lng, Coord: req.Coord, Address: req.Address,
		Channel: req.Channel, Reporter: req.Reporter, Anonymous: req.Anonymous,
		IdempotencyKey: strings.TrimSpace(r.Header.Get("Idempotency-Key")),
	}
	if req.ObservedAt != nil {
		in.ObservedAt = *req.ObservedAt
	}
	var ok bool
	if in.Fields, ok = decodeFields(req.Fields); !ok {
		a.writeError(w, r, http.StatusBadRequest, "error.invalid_json", map[string]service.FieldError{"fields": {Key: "field.wrong_type"}})
		return
	}
	if len(req.Category) > 0 && string(req.Category) != "null" {
		if err := json.Unmarshal(req.Category, &in.Category); err != nil {
			if err := json.Unmarshal(req.Category, &in.CategoryID); err != nil || in.CategoryID <= 0 {
				a.fail(w, r, service.Invalid("category", "field.unknown_category"))
				return
			}
		}
	}
	u := user(r)
	c, replay, err := a.svc.CreateCase(r.Context(), u, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if replay {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/api/v1/cases/"+itoa(c.ID))
	writeJSON(w, http.StatusCreated, a.caseView(u, c, nil))
}
