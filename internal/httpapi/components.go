package httpapi

import (
	"math"
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// nearComponents serves GET /api/v1/geo/components?lat=&lng=&coord=&out=&radius=&category=&limit=:
// components (部件) near a point, nearest first, of one category if given.
func (a *API) nearComponents(w http.ResponseWriter, r *http.Request) {
	lat, lng, _, out, ok := a.queryPoint(w, r)
	if !ok {
		return
	}
	cat, ok := a.queryCategory(r)
	if !ok {
		a.fail(w, r, service.Invalid("category", "field.unknown_category"))
		return
	}
	radius, ok := queryFloat(r, "radius", a.svc.GeoConfig().ComponentM, 2000)
	if !ok {
		a.fail(w, r, service.Invalid("radius", "field.out_of_range", 0, 2000))
		return
	}
	limit, ok := queryInt(r, "limit", 10, 100)
	if !ok {
		a.fail(w, r, service.Invalid("limit", "field.wrong_type"))
		return
	}
	ref := a.svc.Ref()
	list := []map[string]any{}
	for _, h := range ref.ComponentsNear(lat, lng, radius, cat, limit) {
		c := ref.Categories[h.CategoryID]
		v := map[string]any{
			"id": h.ID, "code": h.Code, "name": h.Name, "category": map[string]any{"id": c.ID, "code": c.Code, "name": c.Name, "name_en": c.NameEn},
			"point": outPoint(h.Lat, h.Lng, out), "distance_m": math.Round(h.Meters*10) / 10,
			"owner": orgRef(ref.Org[h.OwnerUnitID]), "maintainer": orgRef(ref.Org[h.MaintainerUnitID]),
			"address": h.Address, "status": h.Status,
		}
		if h.OwnerName != "" {
			v["owner_name"] = h.OwnerName
		}
		if h.MaintainerName != "" {
			v["maintainer_name"] = h.MaintainerName
		}
		list = append(list, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"components": list})
}

// importComponents serves POST /api/v1/admin/components/import?coord=&replace=&dry_run=:
// a GeoJSON FeatureCollection of component points (properties code, name,
// owner, maintainer, status, address).
func (a *API) importComponents(w http.ResponseWriter, r *http.Request) {
	coord, ok := a.queryCoordIn(w, r)
	if !ok {
		return
	}
	data, ok := a.readImport(w, r)
	if !ok {
		return
	}
	rep, err := a.svc.ImportComponents(r.Context(), user(r), data, service.ComponentImportOptions{
		DryRun: queryBool(r, "dry_run"), Replace: queryBool(r, "replace"), Coord: coord})
	a.writeImport(w, r, rep, err)
}
