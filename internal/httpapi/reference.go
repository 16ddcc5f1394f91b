package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/model"
)

func (a *API) categories(w http.ResponseWriter, r *http.Request) {
	ref := a.svc.Ref()
	out := make([]map[string]any, 0, len(ref.CatList))
	for _, c := range ref.CatList {
		out = append(out, a.categoryView(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"categories": out})
}

func (a *API) units(w http.ResponseWriter, r *http.Request) {
	ref := a.svc.Ref()
	out := []model.OrgUnit{}
	for _, o := range ref.OrgList() {
		if o.Kind != model.OrgGrid {
			out = append(out, o)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"units": out})
}

// grids serves the unit grids as a GeoJSON FeatureCollection, ordered by
// code. Each feature's geometry is the one stored (as imported) and its
// properties code, name, community and street are what POST
// /api/v1/admin/grids/import reads, so the export imports again unchanged;
// the other properties (ids, area) are ignored on import. The ETag changes
// whenever a grid does.
func (a *API) grids(w http.ResponseWriter, r *http.Request) {
	ref := a.svc.Ref()
	etag := ref.GridsETag()
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", etag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && inm == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	type feature struct {
		Type       string          `json:"type"`
		ID         int64           `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	}
	fc := struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
	}{Type: "FeatureCollection", Features: make([]feature, 0, len(ref.GridList))}
	for _, g := range ref.GridList {
		fc.Features = append(fc.Features, feature{Type: "Feature", ID: g.OrgID, Geometry: json.RawMessage(g.Geometry), Properties: map[string]any{
			"code": g.Code.String(), "name": g.Name, "community": ref.OrgName(g.CommunityID), "street": ref.OrgName(g.StreetID),
			"community_id": g.CommunityID, "street_id": g.StreetID, "area_m2": g.AreaM2,
		}})
	}
	writeJSON(w, http.StatusOK, fc)
}

func orgRef(o model.OrgUnit) any {
	if o.ID == 0 {
		return nil
	}
	return map[string]any{"id": o.ID, "name": o.Name}
}

func userView(u model.User) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Username, "display_name": u.DisplayName, "role": u.Role, "org_id": u.OrgID}
}
