package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

type feature struct {
	Type       string          `json:"type"`
	ID         int64           `json:"id"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

type featureCollection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
}

// gridsCache holds the whole district's grid GeoJSON for one reference
// snapshot (it is rebuilt when the reference data is reloaded). It belongs
// to one Web, so two servers in one process (the tests boot several) never
// serve each other's grids.
type gridsCache struct {
	mu   sync.Mutex
	ref  *service.Reference
	body []byte
}

// of returns the encoded grids of ref, encoding them once per snapshot.
func (c *gridsCache) of(ref *service.Reference) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ref != ref {
		fc := featureCollection{Type: "FeatureCollection", Features: make([]feature, 0, len(ref.GridList))}
		for _, g := range ref.GridList {
			fc.Features = append(fc.Features, gridFeature(ref, g))
		}
		body, err := json.Marshal(fc)
		if err != nil {
			return nil, err
		}
		c.ref, c.body = ref, body
	}
	return c.body, nil
}

func gridFeature(ref *service.Reference, g model.Grid) feature {
	return feature{Type: "Feature", ID: g.OrgID, Geometry: json.RawMessage(g.Geometry), Properties: map[string]any{
		"code": g.Code.String(), "name": g.Name, "community": ref.OrgName(g.CommunityID), "street": ref.OrgName(g.StreetID),
		"street_id": g.StreetID,
	}}
}

// gridsGeoJSON serves the unit grids (WGS-84) for the maps: all of them, or
// one grid (?grid=ID) or one street's (?street=ID). Grid boundaries are
// public; nothing about cases is in them.
func (w *Web) gridsGeoJSON(rw http.ResponseWriter, r *http.Request) {
	ref := w.svc.Ref()
	gridID, _ := strconv.ParseInt(r.URL.Query().Get("grid"), 10, 64)
	streetID, _ := strconv.ParseInt(r.URL.Query().Get("street"), 10, 64)
	rw.Header().Set("Content-Type", "application/geo+json")
	rw.Header().Set("Cache-Control", "public, max-age=300")
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	if gridID == 0 && streetID == 0 {
		body, err := w.grids.of(ref)
		if err != nil {
			http.Error(rw, "internal error", http.StatusInternalServerError)
			return
		}
		// The grids change without a restart (an import): the ETag, not
		// the start time alone, says whether a browser's copy is current.
		rw.Header().Set("ETag", ref.GridsETag())
		http.ServeContent(rw, r, "grids.geojson", w.startedAt(), bytes.NewReader(body))
		return
	}
	fc := featureCollection{Type: "FeatureCollection", Features: []feature{}}
	for _, g := range ref.GridList {
		if (gridID != 0 && g.OrgID == gridID) || (streetID != 0 && g.StreetID == streetID) {
			fc.Features = append(fc.Features, gridFeature(ref, g))
		}
	}
	json.NewEncoder(rw).Encode(fc)
}

// casesGeoJSON serves the open cases the user may list as points for the
// workbench maps (?grid=ID narrows to one grid), at most 500, newest first.
func (w *Web) casesGeoJSON(rw http.ResponseWriter, r *http.Request, q *req) {
	f := model.CaseFilter{Status: openStates, Limit: 500}
	f.GridID, _ = strconv.ParseInt(r.URL.Query().Get("grid"), 10, 64)
	cases, err := w.svc.ListCases(r.Context(), q.user, f)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	fc := struct {
		Type     string           `json:"type"`
		Features []map[string]any `json:"features"`
	}{Type: "FeatureCollection", Features: []map[string]any{}}
	for _, c := range cases {
		fc.Features = append(fc.Features, map[string]any{
			"type": "Feature", "id": c.ID,
			"geometry": map[string]any{"type": "Point", "coordinates": []float64{c.Lng, c.Lat}},
			"properties": map[string]any{"title": "#" + strconv.FormatInt(c.ID, 10) + " " + w.categoryName(q.lang, c.CategoryID),
				"status": w.stateLabel(q.lang, c, c.Status), "state": c.Status, "url": "/work/cases/" + strconv.FormatInt(c.ID, 10)},
		})
	}
	rw.Header().Set("Content-Type", "application/geo+json")
	rw.Header().Set("Cache-Control", "no-store")
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	json.NewEncoder(rw).Encode(fc)
}
