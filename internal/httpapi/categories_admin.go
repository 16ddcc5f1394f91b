package httpapi

import (
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// categoryRequest is a category as an administrator writes it. On PUT the
// code, kind and case type may be left out (they cannot change); public
// left out keeps what the category had, and is true for a new one.
type categoryRequest struct {
	Code          string             `json:"code"`
	Kind          model.CategoryKind `json:"kind"`
	CaseType      string             `json:"case_type"`
	ParentID      int64              `json:"parent_id"`
	Name          string             `json:"name"`
	NameEn        string             `json:"name_en"`
	DefaultUnitID int64              `json:"default_unit_id"`
	Deadline      model.DeadlineRule `json:"deadline"`
	Public        *bool              `json:"public"`
}

func (req categoryRequest) input(public bool) service.CategoryInput {
	if req.Public != nil {
		public = *req.Public
	}
	return service.CategoryInput{Code: req.Code, Kind: req.Kind, CaseType: req.CaseType, ParentID: req.ParentID, Name: req.Name,
		NameEn: req.NameEn, DefaultUnitID: req.DefaultUnitID, Deadline: req.Deadline, Public: public}
}

// categoryView is a category as GET /api/v1/categories lists it.
func (a *API) categoryView(c model.Category) map[string]any {
	ref := a.svc.Ref()
	return map[string]any{
		"id": c.ID, "parent_id": c.ParentID, "code": c.Code, "kind": c.Kind, "name": c.Name, "name_en": c.NameEn,
		"case_type": c.CaseType, "leaf": ref.IsLeaf(c.ID), "public": c.Public, "deadline": c.Deadline,
		"default_unit": orgRef(ref.Org[c.DefaultUnitID]),
	}
}

// createCategory serves POST /api/v1/admin/categories (administrators).
func (a *API) createCategory(w http.ResponseWriter, r *http.Request) {
	var req categoryRequest
	if !a.decode(w, r, &req) {
		return
	}
	c, err := a.svc.CreateCategory(r.Context(), user(r), req.input(true))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/admin/categories/"+itoa(c.ID)+"/versions")
	writeJSON(w, http.StatusCreated, a.categoryView(c))
}

// updateCategory serves PUT /api/v1/admin/categories/{id}
// (administrators): a changed default unit counts for cases filed
// afterwards, a changed deadline for clocks started afterwards.
func (a *API) updateCategory(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	old, found := a.svc.Ref().Categories[id]
	if !ok || !found {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	var req categoryRequest
	if !a.decode(w, r, &req) {
		return
	}
	c, err := a.svc.UpdateCategory(r.Context(), user(r), id, req.input(old.Public))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.categoryView(c))
}

// categoryVersions serves GET /api/v1/admin/categories/{id}/versions: the
// category's history, oldest first (administrators).
func (a *API) categoryVersions(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	vs, err := a.svc.CategoryHistory(r.Context(), user(r), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(vs))
	for _, v := range vs {
		m := map[string]any{"version": v.Version, "parent_id": v.ParentID, "name": v.Name, "name_en": v.NameEn,
			"default_unit_id": v.DefaultUnitID, "deadline": v.Deadline, "public": v.Public}
		if !v.ValidFrom.IsZero() {
			m["valid_from"] = v.ValidFrom
		}
		if !v.ValidTo.IsZero() {
			m["valid_to"] = v.ValidTo
		}
		if v.ChangedBy != 0 {
			m["changed_by"] = v.ChangedBy
		}
		out = append(out, m)
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": out})
}
