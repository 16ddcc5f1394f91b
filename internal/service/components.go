package service

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// componentSet is the snapshot's component register with a point index.
type componentSet struct {
	byID   map[int64]store.Component
	byCode map[string]int64
	index  *geo.PointIndex
}

func newComponentSet(cs []store.Component) componentSet {
	set := componentSet{byID: make(map[int64]store.Component, len(cs)), byCode: make(map[string]int64, len(cs))}
	pts := make([]geo.Point, 0, len(cs))
	for _, c := range cs {
		set.byID[c.ID] = c
		set.byCode[c.Code] = c.ID
		pts = append(pts, geo.Point{ID: c.ID, Lat: c.Lat, Lng: c.Lng})
	}
	set.index = geo.NewPointIndex(pts)
	return set
}

// ComponentHit is a component found near a point.
type ComponentHit struct {
	store.Component
	Meters float64 `json:"distance_m"`
}

// nearestComponent finds the component of the category nearest the point
// within the attach radius.
func (r *Reference) nearestComponent(lat, lng float64, categoryID int64) (ComponentHit, bool) {
	if r.comps.index == nil || r.comps.index.Len() == 0 {
		return ComponentHit{}, false
	}
	h, ok := r.comps.index.Nearest(lat, lng, r.geo.ComponentM, func(id int64) bool { return r.comps.byID[id].CategoryID == categoryID })
	if !ok {
		return ComponentHit{}, false
	}
	return ComponentHit{r.comps.byID[h.ID], h.Meters}, true
}

// ComponentByCode returns a component of the register.
func (r *Reference) ComponentByCode(code string) (store.Component, bool) {
	id, ok := r.comps.byCode[code]
	if !ok {
		return store.Component{}, false
	}
	return r.comps.byID[id], true
}

// ComponentCount is the number of components in the register.
func (r *Reference) ComponentCount() int { return len(r.comps.byID) }

// ComponentsNear lists components within maxM metres of a WGS-84 point,
// nearest first, of one category when categoryID is not 0.
func (r *Reference) ComponentsNear(lat, lng, maxM float64, categoryID int64, limit int) []ComponentHit {
	if r.comps.index == nil {
		return nil
	}
	var accept func(int64) bool
	if categoryID != 0 {
		accept = func(id int64) bool { return r.comps.byID[id].CategoryID == categoryID }
	}
	hits := r.comps.index.Within(lat, lng, maxM, limit, accept)
	out := make([]ComponentHit, len(hits))
	for i, h := range hits {
		out[i] = ComponentHit{r.comps.byID[h.ID], h.Meters}
	}
	return out
}

// ComponentImportOptions control ImportComponents.
type ComponentImportOptions struct {
	DryRun bool
	// Replace removes components that are not in the file.
	Replace bool
	// Coord is the coordinate system of the file's points (default WGS-84).
	Coord geo.CoordSys
}

// parseComponentCode splits a 16-digit component code: admin code (6),
// major class (2), minor class (2), serial (6).
func parseComponentCode(s string) (admin, major, minor, serial string, ok bool) {
	if len(s) != 16 {
		return "", "", "", "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", "", "", "", false
		}
	}
	return s[:6], s[6:8], s[8:10], s[10:], true
}

// unitResolver finds an org unit by id, exact name or department code
// (departments and streets are what maintain things).
type unitResolver struct {
	ref    *Reference
	byName map[string]int64
	byCode map[string]int64
}

func newUnitResolver(ref *Reference) unitResolver {
	u := unitResolver{ref: ref, byName: map[string]int64{}, byCode: map[string]int64{}}
	for _, o := range ref.OrgList() {
		if o.Kind == model.OrgGrid {
			continue
		}
		if _, ok := u.byName[o.Name]; !ok {
			u.byName[o.Name] = o.ID
		}
		if o.Kind == model.OrgDepartment || o.Kind == model.OrgDistrict {
			u.byCode[o.Code] = o.ID
		}
	}
	return u
}

func (u unitResolver) find(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	if id, err := strconv.ParseInt(s, 10, 64); err == nil {
		if _, ok := u.ref.Org[id]; ok {
			return id, true
		}
	}
	if id, ok := u.byName[s]; ok {
		return id, true
	}
	id, ok := u.byCode[s]
	return id, ok
}

// pointOf reads a GeoJSON Point geometry as (lat, lng).
func pointOf(raw json.RawMessage) (lat, lng float64, ok bool) {
	var g struct {
		Type        string     `json:"type"`
		Coordinates []*float64 `json:"coordinates"`
	}
	if err := json.Unmarshal(raw, &g); err != nil || g.Type != "Point" || len(g.Coordinates) < 2 || g.Coordinates[0] == nil || g.Coordinates[1] == nil {
		return 0, 0, false
	}
	lng, lat = *g.Coordinates[0], *g.Coordinates[1]
	if !(lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180) {
		return 0, 0, false
	}
	return lat, lng, true
}

// ImportComponents reads a GeoJSON FeatureCollection of component points
// (properties code, name, owner, maintainer, status, address; category is
// derived from the code's major and minor class and, when given, must
// agree), validates it, and when nothing is wrong writes it in one
// transaction (upsert by code) and rebuilds the snapshot. Owners and
// maintainers are org units (by name, code or id); a maintainer that is no
// org unit is kept as text with a warning, and such a component does not
// route.
func (s *Service) ImportComponents(ctx context.Context, actor model.User, data []byte, opt ComponentImportOptions) (*ImportReport, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	ref := s.Ref()
	existing, err := s.store.ListComponents(ctx)
	if err != nil {
		return nil, err
	}
	feats, _, fp := readFeatures(data)
	rep := &ImportReport{Features: make([]FeatureReport, len(feats))}
	if fp != nil {
		rep.Problems = append(rep.Problems, *fp)
		rep.tally()
		return rep, nil
	}
	units := newUnitResolver(ref)
	now := s.now()
	comps := make([]store.Component, len(feats))
	first := map[string]int{}
	for i, f := range feats {
		fr := &rep.Features[i]
		fr.Index = i
		if f.Type != "Feature" {
			rep.add(i, problemf(SeverityError, "not_feature"))
			continue
		}
		c := store.Component{Code: prop(f.Properties, "code"), Name: prop(f.Properties, "name"), Status: prop(f.Properties, "status"),
			Address: prop(f.Properties, "address"), UpdatedAt: now}
		fr.Code, fr.Name = c.Code, c.Name
		lat, lng, ok := pointOf(f.Geometry)
		if !ok {
			rep.add(i, problemf(SeverityError, "point_invalid"))
		} else {
			c.Lat, c.Lng = geo.ToWGS84(lat, lng, opt.Coord)
		}
		admin, major, minor, _, codeOK := parseComponentCode(c.Code)
		switch {
		case c.Code == "":
			rep.add(i, problemf(SeverityError, "code_missing"))
		case !codeOK:
			rep.add(i, problemf(SeverityError, "component_code_invalid", c.Code))
		case admin != ref.Root.Code:
			rep.add(i, problemf(SeverityError, "code_admin_mismatch", admin, ref.Root.Code))
		default:
			cat, ok := ref.ByCode[major+minor]
			if !ok || cat.Kind != model.CategoryComponent {
				rep.add(i, problemf(SeverityError, "component_class_unknown", major, minor))
			} else {
				c.CategoryID = cat.ID
				if cp := prop(f.Properties, "category"); cp != "" && cp != cat.Code && cp != cat.Name {
					rep.add(i, problemf(SeverityError, "component_category_mismatch", cp, cat.Name, major+minor))
				}
			}
		}
		if j, dup := first[c.Code]; dup && c.Code != "" {
			rep.add(i, problemf(SeverityError, "code_duplicate", c.Code, j+1))
		} else {
			first[c.Code] = i
		}
		if m := prop(f.Properties, "maintainer"); m != "" {
			if id, ok := units.find(m); ok {
				c.MaintainerUnitID = id
				if !ref.Dispatchable(id) {
					rep.add(i, problemf(SeverityWarning, "maintainer_not_dispatchable", m))
				}
			} else {
				c.MaintainerName = m
				rep.add(i, problemf(SeverityWarning, "maintainer_not_unit", m))
			}
		}
		if o := prop(f.Properties, "owner"); o != "" {
			if id, ok := units.find(o); ok {
				c.OwnerUnitID = id
			} else {
				c.OwnerName = o
			}
		}
		if len([]rune(c.Name)) > 100 || len([]rune(c.Address)) > MaxAddress || len([]rune(c.Status)) > 50 {
			rep.add(i, problemf(SeverityError, "text_too_long"))
		}
		comps[i] = c
	}
	rep.tally()
	if rep.Status == ImportInvalid {
		return rep, nil
	}
	old := map[string]store.Component{}
	for _, c := range existing {
		old[c.Code] = c
	}
	var upsert []store.Component
	inFile := map[string]bool{}
	for i, c := range comps {
		inFile[c.Code] = true
		fr := &rep.Features[i]
		if o, ok := old[c.Code]; ok {
			fr.ID = o.ID
			c.ID, c.UpdatedAt = o.ID, o.UpdatedAt
			if c == o {
				fr.Status = "unchanged"
				rep.Unchanged++
				continue
			}
			c.UpdatedAt = now
			fr.Status = "updated"
			rep.Updated++
		} else {
			fr.Status = "created"
			rep.Created++
		}
		upsert = append(upsert, c)
	}
	var remove []string
	for _, c := range existing {
		if inFile[c.Code] {
			continue
		}
		if opt.Replace {
			remove = append(remove, c.Code)
			rep.RemovedCodes = append(rep.RemovedCodes, c.Code)
			rep.Removed++
		} else {
			rep.Kept++
		}
	}
	switch {
	case len(upsert)+len(remove) == 0:
		rep.Status = ImportUnchanged
		return rep, nil
	case opt.DryRun:
		rep.Status = ImportValid
		return rep, nil
	}
	if err := s.store.ApplyComponents(ctx, upsert, remove); err != nil {
		return nil, err
	}
	rep.Status = ImportImported
	if err := s.Reload(ctx); err != nil {
		return rep, err
	}
	for i := range rep.Features {
		if c, ok := s.Ref().ComponentByCode(rep.Features[i].Code); ok {
			rep.Features[i].ID = c.ID
		}
	}
	return rep, nil
}
