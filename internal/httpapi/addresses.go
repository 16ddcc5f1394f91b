package httpapi

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/service"
)

func (a *API) addressView(h service.AddressHit, out geo.CoordSys) map[string]any {
	ref := a.svc.Ref()
	v := map[string]any{
		"id": h.ID, "address": h.Text, "point": outPoint(h.Lat, h.Lng, out),
		"street": orgName(ref, h.StreetID), "street_id": h.StreetID, "community": orgName(ref, h.CommunityID), "community_id": h.CommunityID,
	}
	if h.Alias != "" {
		v["alias"] = h.Alias
	}
	if g, ok := ref.Grids[h.GridID]; ok {
		v["grid"] = map[string]any{"id": g.OrgID, "code": g.Code.String(), "name": g.Name}
	}
	if h.Score != 0 {
		v["score"] = h.Score
	}
	if h.Meters != 0 || h.Score == 0 {
		v["distance_m"] = h.Meters
	}
	return v
}

// searchAddresses serves GET /api/v1/geo/addresses?q=&limit=&out=: the
// address register ranked against what a caller said (fuzzy, Chinese
// character bigrams), best first.
func (a *API) searchAddresses(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	switch n := utf8.RuneCountInString(q); {
	case n == 0:
		a.fail(w, r, service.Invalid("q", "field.required"))
		return
	case n > service.MaxAddress:
		a.fail(w, r, service.Invalid("q", "field.too_long", service.MaxAddress))
		return
	}
	limit, ok := queryInt(r, "limit", 10, service.MaxAddressResults)
	if !ok {
		a.fail(w, r, service.Invalid("limit", "field.wrong_type"))
		return
	}
	out, ok := a.queryOut(w, r)
	if !ok {
		return
	}
	hits := a.svc.Ref().SearchAddresses(q, limit)
	list := make([]map[string]any, 0, len(hits))
	for _, h := range hits {
		list = append(list, a.addressView(h, out))
	}
	writeJSON(w, http.StatusOK, map[string]any{"query": q, "addresses": list})
}

// reverseAddress serves GET /api/v1/geo/reverse?lat=&lng=&coord=&out=&radius=&limit=:
// the nearest addresses of the register (within radius metres, default the
// configured reverse radius), nearest first, and where the point lies.
func (a *API) reverseAddress(w http.ResponseWriter, r *http.Request) {
	lat, lng, in, out, ok := a.queryPoint(w, r)
	if !ok {
		return
	}
	radius, ok := queryFloat(r, "radius", 0, 5000)
	if !ok {
		a.fail(w, r, service.Invalid("radius", "field.out_of_range", 0, 5000))
		return
	}
	limit, ok := queryInt(r, "limit", 1, service.MaxAddressResults)
	if !ok {
		a.fail(w, r, service.Invalid("limit", "field.wrong_type"))
		return
	}
	ref := a.svc.Ref()
	hits := ref.NearestAddresses(lat, lng, radius, limit)
	list := make([]map[string]any, 0, len(hits))
	for _, h := range hits {
		list = append(list, a.addressView(h, out))
	}
	var nearest any
	if len(list) > 0 {
		nearest = list[0]
	}
	p := a.svc.Locate(lat, lng, 0)
	writeJSON(w, http.StatusOK, map[string]any{"address": nearest, "addresses": list, "place": a.placementView(p, lat, lng, in, out, 0)})
}

// importAddresses serves POST /api/v1/admin/addresses/import?coord=&replace=&dry_run=:
// a GeoJSON FeatureCollection of points with properties address and alias.
func (a *API) importAddresses(w http.ResponseWriter, r *http.Request) {
	coord, ok := a.queryCoordIn(w, r)
	if !ok {
		return
	}
	data, ok := a.readImport(w, r)
	if !ok {
		return
	}
	rep, err := a.svc.ImportAddresses(r.Context(), user(r), data, service.AddressImportOptions{
		DryRun: queryBool(r, "dry_run"), Replace: queryBool(r, "replace"), Coord: coord})
	a.writeImport(w, r, rep, err)
}
