package httpapi

import (
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// MaxImportBody is the largest import file accepted (a county's grids with
// detailed boundaries run to tens of megabytes).
const MaxImportBody = 64 << 20

// pointView is a point as the API returns it, in the coordinate system the
// client asked for (out=wgs84|gcj02|bd09, default wgs84).
type pointView struct {
	Lat   float64      `json:"lat"`
	Lng   float64      `json:"lng"`
	Coord geo.CoordSys `json:"coord"`
}

func outPoint(lat, lng float64, out geo.CoordSys) pointView {
	lat, lng = geo.FromWGS84(lat, lng, out)
	round := func(x float64) float64 { return math.Round(x*1e9) / 1e9 }
	return pointView{Lat: round(lat), Lng: round(lng), Coord: out}
}

// queryPoint reads lat, lng and coord (the input's system) and out (the
// output's) from the query. It writes the error itself and reports false.
func (a *API) queryPoint(w http.ResponseWriter, r *http.Request) (lat, lng float64, in, out geo.CoordSys, ok bool) {
	q := r.URL.Query()
	lat, lng, in, err := service.ParsePoint(q.Get("lat"), q.Get("lng"), q.Get("coord"))
	out, oerr := geo.ParseCoordSys(q.Get("out"))
	if oerr != nil {
		if ve, isVE := err.(*service.ValidationError); isVE {
			ve.Fields["out"] = service.FieldError{Key: "field.unknown_coord"}
		} else if err == nil {
			err = service.Invalid("out", "field.unknown_coord")
		}
	}
	if err != nil {
		a.fail(w, r, err)
		return 0, 0, "", "", false
	}
	return lat, lng, in, out, true
}

// queryOut reads only the out parameter.
func (a *API) queryOut(w http.ResponseWriter, r *http.Request) (geo.CoordSys, bool) {
	out, err := geo.ParseCoordSys(r.URL.Query().Get("out"))
	if err != nil {
		a.fail(w, r, service.Invalid("out", "field.unknown_coord"))
		return "", false
	}
	return out, true
}

// queryInt reads an optional positive integer parameter.
func queryInt(r *http.Request, name string, def, max int) (int, bool) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, false
	}
	return n, true
}

// queryFloat reads an optional non-negative number parameter.
func queryFloat(r *http.Request, name string, def, max float64) (float64, bool) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return def, true
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || x < 0 || x > max {
		return 0, false
	}
	return x, true
}

// queryBool reads an optional boolean parameter (absent: false).
func queryBool(r *http.Request, name string) bool {
	b, _ := strconv.ParseBool(r.URL.Query().Get(name))
	return b
}

// queryCategory reads an optional category (code or id); 0 when absent.
func (a *API) queryCategory(r *http.Request) (int64, bool) {
	v := strings.TrimSpace(r.URL.Query().Get("category"))
	if v == "" {
		return 0, true
	}
	ref := a.svc.Ref()
	if c, ok := ref.ByCode[v]; ok {
		return c.ID, true
	}
	if id, err := strconv.ParseInt(v, 10, 64); err == nil {
		if _, ok := ref.Categories[id]; ok {
			return id, true
		}
	}
	return 0, false
}

func orgName(ref *service.Reference, id int64) any {
	if id == 0 {
		return nil
	}
	return ref.OrgName(id)
}

// placementView is a located point: where it lies and who is responsible.
func (a *API) placementView(p service.Placement, lat, lng float64, in, out geo.CoordSys, categoryID int64) map[string]any {
	ref := a.svc.Ref()
	var grid any
	if g, ok := ref.Grids[p.GridID]; ok {
		grid = map[string]any{"id": g.OrgID, "code": g.Code.String(), "name": g.Name}
	}
	v := map[string]any{
		"grid": grid, "community": orgName(ref, p.CommunityID), "community_id": p.CommunityID,
		"street": orgName(ref, p.StreetID), "street_id": p.StreetID, "district": ref.Root.Name,
		"unit": orgName(ref, p.UnitID), "unit_id": p.UnitID, "routing": p.How,
		"fallback": p.Fallback, "exact": p.Exact && !p.Fallback, "distance_m": math.Round(p.DistanceM*10) / 10,
		"tolerance_m": a.svc.GeoConfig().ToleranceM,
		"point":       outPoint(lat, lng, out), "input_coord": in,
	}
	if categoryID != 0 {
		v["category_id"] = categoryID
		co := []any{}
		for _, id := range p.CoUnitIDs {
			co = append(co, orgRef(ref.Org[id]))
		}
		v["co_units"] = co
		if p.RuleID != 0 {
			v["rule_id"] = p.RuleID
		}
		if p.ComponentCode != "" {
			v["component"] = map[string]any{"code": p.ComponentCode, "distance_m": math.Round(p.ComponentM*10) / 10}
		}
	}
	return v
}

// locate serves GET /api/v1/geo/locate?lat=&lng=&coord=&out=&category=:
// the point's grid (nearest within the tolerance), community, street,
// district and responsible unit; fallback:true when it lies in no grid
// (属地兜底). With a category the unit is the one routing would choose.
func (a *API) locate(w http.ResponseWriter, r *http.Request) {
	lat, lng, in, out, ok := a.queryPoint(w, r)
	if !ok {
		return
	}
	cat, ok := a.queryCategory(r)
	if !ok {
		a.fail(w, r, service.Invalid("category", "field.unknown_category"))
		return
	}
	p := a.svc.Locate(lat, lng, cat)
	writeJSON(w, http.StatusOK, a.placementView(p, lat, lng, in, out, cat))
}

// readImport reads an import body after checking the caller is an
// administrator (so a large upload by anyone else is refused unread).
func (a *API) readImport(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if u := user(r); u.Role != model.RoleAdmin {
		a.fail(w, r, service.ErrForbidden)
		return nil, false
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxImportBody))
	if err != nil {
		a.writeError(w, r, http.StatusRequestEntityTooLarge, "error.body_too_large", nil)
		return nil, false
	}
	return data, true
}

// writeImport answers an import: 200 with the report, or 422 with the
// standard error and the report when the file is invalid (nothing written).
func (a *API) writeImport(w http.ResponseWriter, r *http.Request, rep *service.ImportReport, err error) {
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rep.Localize(a.i18n)
	if rep.Status != service.ImportInvalid {
		writeJSON(w, http.StatusOK, rep)
		return
	}
	var b errorBody
	b.Error.Code = "import_invalid"
	b.Error.Message = a.i18n.T(lang(r), "error.import_invalid", rep.Errors)
	writeJSON(w, http.StatusUnprocessableEntity, struct {
		errorBody
		Report *service.ImportReport `json:"report"`
	}{b, rep})
}

// queryCoordIn reads the coord parameter naming an import's coordinate
// system.
func (a *API) queryCoordIn(w http.ResponseWriter, r *http.Request) (geo.CoordSys, bool) {
	sys, err := geo.ParseCoordSys(r.URL.Query().Get("coord"))
	if err != nil {
		a.fail(w, r, service.Invalid("coord", "field.unknown_coord"))
		return "", false
	}
	return sys, true
}
