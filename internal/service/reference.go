package service

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/paulmach/orb"
	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// Reference is an immutable snapshot of the county's reference data with
// the indexes routing needs. It is rebuilt whole and swapped atomically
// when the data changes, so readers never lock.
type Reference struct {
	Org        map[int64]model.OrgUnit
	Grids      map[int64]model.Grid
	GridList   []model.Grid
	Categories map[int64]model.Category
	ByCode     map[string]model.Category
	CatList    []model.Category
	hasChild   map[int64]bool
	rules      map[[2]int64]store.Rule // (category, area) → rule
	ruleByID   map[int64]store.Rule
	gridIndex  *geo.Index
	gridGeom   map[int64]orb.MultiPolygon // parsed geometry, reused by the next snapshot
	areaIndex  *geo.Index                 // convex hulls of streets, for 属地兜底
	Root       model.OrgUnit
	// Geography (see locate.go): settings, components, addresses.
	geo        GeoConfig
	generation int64 // store geography generation this snapshot was built from
	gridsETag  string
	comps      componentSet
	addrs      addressSet
}

func (s *Service) loadReference(ctx context.Context) (*Reference, error) {
	// The generation is read first: a change committed while the rest is
	// read bumps it again, so a watcher reloads once more.
	gen, err := s.store.GeoGeneration(ctx)
	if err != nil {
		return nil, err
	}
	orgs, err := s.store.ListOrgUnits(ctx)
	if err != nil {
		return nil, err
	}
	grids, err := s.store.ListGrids(ctx)
	if err != nil {
		return nil, err
	}
	cats, err := s.store.ListCategories(ctx)
	if err != nil {
		return nil, err
	}
	rules, err := s.store.ListRules(ctx)
	if err != nil {
		return nil, err
	}
	ref := &Reference{
		Org: map[int64]model.OrgUnit{}, Grids: map[int64]model.Grid{}, GridList: grids,
		Categories: map[int64]model.Category{}, ByCode: map[string]model.Category{}, CatList: cats,
		hasChild: map[int64]bool{}, rules: map[[2]int64]store.Rule{}, ruleByID: map[int64]store.Rule{},
		generation: gen,
	}
	for _, o := range orgs {
		ref.Org[o.ID] = o
		if o.ParentID == 0 && o.Kind == model.OrgDistrict && ref.Root.ID == 0 {
			ref.Root = o
		}
	}
	for _, c := range cats {
		ref.Categories[c.ID] = c
		ref.ByCode[c.Code] = c
		if c.ParentID != 0 {
			ref.hasChild[c.ParentID] = true
		}
	}
	for _, r := range rules {
		ref.rules[[2]int64{r.CategoryID, r.AreaID}] = r
		ref.ruleByID[r.ID] = r
	}
	features := make([]geo.Feature, 0, len(grids))
	streetPts := map[int64][]orb.Point{}
	prev := s.ref.Load()
	ref.gridGeom = make(map[int64]orb.MultiPolygon, len(grids))
	for _, g := range grids {
		ref.Grids[g.OrgID] = g
		// Geometry unchanged since the last snapshot is not parsed again.
		mp, ok := orb.MultiPolygon(nil), false
		if prev != nil && prev.Grids[g.OrgID].Geometry == g.Geometry {
			mp, ok = prev.gridGeom[g.OrgID]
		}
		if !ok {
			var err error
			if mp, err = geo.ParseGeometry([]byte(g.Geometry)); err != nil {
				s.log.Warn("grid geometry unreadable; grid left out of routing", "grid", g.Code.String(), "err", err)
				continue
			}
		}
		ref.gridGeom[g.OrgID] = mp
		features = append(features, geo.Feature{ID: g.OrgID, Geom: mp})
		for _, poly := range mp {
			if len(poly) > 0 {
				streetPts[g.StreetID] = append(streetPts[g.StreetID], poly[0]...)
			}
		}
	}
	ref.gridIndex = geo.NewIndex(features)
	var areas []geo.Feature
	for street, pts := range streetPts {
		if hull := convexHull(pts); len(hull) >= 4 {
			areas = append(areas, geo.Feature{ID: street, Geom: orb.MultiPolygon{{hull}}})
		}
	}
	ref.areaIndex = geo.NewIndex(areas)
	ref.gridsETag = gridsETag(grids)
	if err := s.loadGeo(ctx, ref); err != nil {
		return nil, err
	}
	return ref, nil
}

// Reload rebuilds the reference snapshot from the store and swaps it in.
func (s *Service) Reload(ctx context.Context) error {
	ref, err := s.loadReference(ctx)
	if err != nil {
		return fmt.Errorf("load reference data: %w", err)
	}
	// Two reloads may race (an import and the watcher): a snapshot built
	// from an older geography generation never replaces a newer one.
	for {
		cur := s.ref.Load()
		if cur != nil && ref.generation < cur.generation {
			return nil
		}
		if s.ref.CompareAndSwap(cur, ref) {
			break
		}
	}
	s.log.Debug("reference data loaded", slog.Int("org_units", len(ref.Org)), slog.Int("grids", len(ref.Grids)), slog.Int("categories", len(ref.Categories)))
	return nil
}

// Ref returns the current reference snapshot.
func (s *Service) Ref() *Reference { return s.ref.Load() }

// IsLeaf reports whether a category has no sub-categories.
func (r *Reference) IsLeaf(id int64) bool { return !r.hasChild[id] }

// OrgName returns a unit's name, "" for 0 or unknown.
func (r *Reference) OrgName(id int64) string { return r.Org[id].Name }

// convexHull returns the closed convex hull ring of pts (Andrew's monotone
// chain), counter-clockwise.
func convexHull(pts []orb.Point) orb.Ring {
	if len(pts) < 3 {
		return nil
	}
	ps := append([]orb.Point(nil), pts...)
	sortPoints(ps)
	cross := func(o, a, b orb.Point) float64 {
		return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
	}
	hull := make([]orb.Point, 0, 2*len(ps))
	for _, p := range ps {
		for len(hull) >= 2 && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	lower := len(hull) + 1
	for i := len(ps) - 2; i >= 0; i-- {
		p := ps[i]
		for len(hull) >= lower && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	return orb.Ring(hull) // last point equals the first: closed
}

func sortPoints(ps []orb.Point) {
	slices.SortFunc(ps, func(a, b orb.Point) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
}

// OrgList returns the org units ordered by id.
func (r *Reference) OrgList() []model.OrgUnit {
	out := make([]model.OrgUnit, 0, len(r.Org))
	for _, o := range r.Org {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b model.OrgUnit) int { return cmp.Compare(a.ID, b.ID) })
	return out
}
