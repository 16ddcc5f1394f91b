package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// ruleRequest is a routing rule as written: category by code or id, the
// area (district, street, community or grid), the lead unit (主办) and the
// co-units (协办).
type ruleRequest struct {
	Category  json.RawMessage `json:"category"`
	AreaID    int64           `json:"area_id"`
	UnitID    int64           `json:"unit_id"`
	CoUnitIDs []int64         `json:"co_unit_ids"`
	Note      string          `json:"note"`
}

func (req ruleRequest) input() (service.RuleInput, error) {
	in := service.RuleInput{AreaID: req.AreaID, UnitID: req.UnitID, CoUnitIDs: req.CoUnitIDs, Note: req.Note}
	if len(req.Category) > 0 && string(req.Category) != "null" {
		if err := json.Unmarshal(req.Category, &in.Category); err != nil {
			if err := json.Unmarshal(req.Category, &in.CategoryID); err != nil || in.CategoryID <= 0 {
				return in, service.Invalid("category", "field.unknown_category")
			}
		}
	}
	return in, nil
}

func (a *API) ruleView(r store.Rule) map[string]any {
	ref := a.svc.Ref()
	c := ref.Categories[r.CategoryID]
	area := ref.Org[r.AreaID]
	co := []any{}
	for _, id := range r.CoUnitIDs {
		co = append(co, orgRef(ref.Org[id]))
	}
	v := map[string]any{
		"id": r.ID, "category": map[string]any{"id": c.ID, "code": c.Code, "name": c.Name, "name_en": c.NameEn},
		"area": map[string]any{"id": area.ID, "name": area.Name, "kind": area.Kind}, "unit": orgRef(ref.Org[r.UnitID]),
		"co_units": co, "note": r.Note,
	}
	if !r.UpdatedAt.IsZero() {
		v["updated_at"] = r.UpdatedAt
	}
	return v
}

// listRules serves GET /api/v1/admin/rules: every routing rule.
func (a *API) listRules(w http.ResponseWriter, r *http.Request) {
	out := []map[string]any{}
	for _, x := range a.svc.Ref().Rules() {
		out = append(out, a.ruleView(x))
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": out})
}

// getRule serves GET /api/v1/admin/rules/{id}.
func (a *API) getRule(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	x, found := a.svc.Ref().Rule(id)
	if !ok || !found {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	writeJSON(w, http.StatusOK, a.ruleView(x))
}

// createRule serves POST /api/v1/admin/rules (administrators).
func (a *API) createRule(w http.ResponseWriter, r *http.Request) {
	var req ruleRequest
	if !a.decode(w, r, &req) {
		return
	}
	in, err := req.input()
	if err == nil {
		var x store.Rule
		if x, err = a.svc.CreateRule(r.Context(), user(r), in); err == nil {
			w.Header().Set("Location", "/api/v1/admin/rules/"+itoa(x.ID))
			writeJSON(w, http.StatusCreated, a.ruleView(x))
			return
		}
	}
	a.fail(w, r, err)
}

// updateRule serves PUT /api/v1/admin/rules/{id} (administrators).
func (a *API) updateRule(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	var req ruleRequest
	if !a.decode(w, r, &req) {
		return
	}
	in, err := req.input()
	if err == nil {
		var x store.Rule
		if x, err = a.svc.UpdateRule(r.Context(), user(r), id, in); err == nil {
			writeJSON(w, http.StatusOK, a.ruleView(x))
			return
		}
	}
	a.fail(w, r, err)
}

// deleteRule serves DELETE /api/v1/admin/rules/{id} (administrators).
func (a *API) deleteRule(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	if err := a.svc.DeleteRule(r.Context(), user(r), id); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// ruleVersions serves GET /api/v1/admin/rules/{id}/versions: the rule's
// history, oldest first (kept after deletion).
func (a *API) ruleVersions(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	vs, err := a.svc.RuleHistory(r.Context(), user(r), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(vs))
	for _, v := range vs {
		m := a.ruleView(v.Rule)
		m["version"], m["deleted"] = v.Version, v.Deleted
		if !v.ValidFrom.IsZero() {
			m["valid_from"] = v.ValidFrom
		}
		if !v.ValidTo.IsZero() {
			m["valid_to"] = v.ValidTo
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": out})
}
