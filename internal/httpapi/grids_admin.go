package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// importGrids serves POST /api/v1/admin/grids/import?dry_run=&retire_missing=&allow_gaps=&source=:
// a GeoJSON FeatureCollection of unit grids. 200 with the report
// (status imported, unchanged or, on a dry run, valid); 422 with the
// report when anything is wrong, in which case nothing was written.
func (a *API) importGrids(w http.ResponseWriter, r *http.Request) {
	data, ok := a.readImport(w, r)
	if !ok {
		return
	}
	source := r.URL.Query().Get("source")
	if source == "" {
		source = "api"
	}
	if len([]rune(source)) > 200 {
		source = string([]rune(source)[:200])
	}
	rep, err := a.svc.ImportGrids(r.Context(), user(r), data, service.GridImportOptions{
		DryRun: queryBool(r, "dry_run"), RetireMissing: queryBool(r, "retire_missing"), AllowGaps: queryBool(r, "allow_gaps"), Source: source})
	a.writeImport(w, r, rep, err)
}

// gridVersions serves GET /api/v1/grids/{id}/versions: a grid's history,
// oldest first, each with its geometry and validity.
func (a *API) gridVersions(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		a.fail(w, r, service.ErrNotFound)
		return
	}
	vs, err := a.svc.GridHistory(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(vs))
	for _, v := range vs {
		m := map[string]any{"id": v.OrgID, "version": v.Version, "code": v.Code, "name": v.Name, "community_id": v.CommunityID,
			"street_id": v.StreetID, "geometry": json.RawMessage(v.Geometry), "area_m2": v.AreaM2, "change": v.Change}
		if v.Source != "" {
			m["source"] = v.Source
		}
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

// geoConfig serves GET /api/v1/admin/geo/config: the geography settings
// in force (grid sequence width, tolerance, gap and overlap thresholds,
// component attach and reverse-lookup radii, address prefixes).
func (a *API) geoConfig(w http.ResponseWriter, r *http.Request) {
	if user(r).ID == 0 {
		a.fail(w, r, service.ErrUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, a.svc.GeoConfig())
}

// setGeoConfig serves PUT /api/v1/admin/geo/config (administrators); zero
// fields take their defaults.
func (a *API) setGeoConfig(w http.ResponseWriter, r *http.Request) {
	var in service.GeoConfig
	if !a.decode(w, r, &in) {
		return
	}
	c, err := a.svc.SetGeoConfig(r.Context(), user(r), in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}
