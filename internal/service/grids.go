package service

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// GridImportOptions control ImportGrids.
type GridImportOptions struct {
	// DryRun validates and reports what would change, writing nothing.
	DryRun bool
	// RetireMissing takes grids that are in the store but not in the file
	// out of routing (their org units and history stay, so cases keep
	// them). Without it the file may hold only some grids.
	RetireMissing bool
	// AllowGaps reports gaps inside a community as warnings, not errors.
	AllowGaps bool
	// Source names the file in the grids' history.
	Source string
}

// MaxGridName bounds a grid's name.
const MaxGridName = 100

// ImportGrids reads a GeoJSON FeatureCollection of unit grids (Polygon or
// MultiPolygon features, holes allowed, properties code, name, community,
// street), validates every feature and the set as a whole, and, when
// nothing is wrong, writes the changes in one transaction and rebuilds the
// routing snapshot. Checks: geometry (closed, simple rings, holes inside),
// the code (12 + sequence-width digits, the district's admin code, street
// and community parts that exist), community and street given by name or
// code agreeing with the code, overlaps with other grids (in the file or
// kept in the store) and gaps inside a community. An invalid file writes
// nothing; importing the same file again writes nothing and reports
// "unchanged". A changed grid keeps its org id and gets a new version.
func (s *Service) ImportGrids(ctx context.Context, actor model.User, data []byte, opt GridImportOptions) (*ImportReport, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	var rep *ImportReport
	err := s.store.Exclusive(ctx, "grid-import", func(ctx context.Context) error {
		var err error
		rep, err = s.importGrids(ctx, actor, data, opt)
		return err
	})
	return rep, err
}

// gridItem is a feature as understood so far.
type gridItem struct {
	mp     orb.MultiPolygon
	geomOK bool
	ok     bool // geometry, code, community and street all good
	grid   model.Grid
}

type orgLookup struct {
	root        model.OrgUnit
	streets     []model.OrgUnit
	communities map[int64][]model.OrgUnit // street id → communities and villages
	gridOrgs    map[string]model.OrgUnit  // grid code → org unit of kind grid
	byID        map[int64]model.OrgUnit
}

func newOrgLookup(orgs []model.OrgUnit) orgLookup {
	l := orgLookup{communities: map[int64][]model.OrgUnit{}, gridOrgs: map[string]model.OrgUnit{}, byID: map[int64]model.OrgUnit{}}
	for _, o := range orgs {
		l.byID[o.ID] = o
		if o.ParentID == 0 && o.Kind == model.OrgDistrict && l.root.ID == 0 {
			l.root = o
		}
	}
	for _, o := range orgs {
		switch o.Kind {
		case model.OrgStreet, model.OrgTownship:
			if o.ParentID == l.root.ID {
				l.streets = append(l.streets, o)
			}
		case model.OrgCommunity, model.OrgVillage:
			l.communities[o.ParentID] = append(l.communities[o.ParentID], o)
		case model.OrgGrid:
			l.gridOrgs[o.Code] = o
		}
	}
	return l
}

// find picks the unit named or coded s among units (the name first).
func find(units []model.OrgUnit, s string) (model.OrgUnit, bool) {
	for _, u := range units {
		if u.Name == s {
			return u, true
		}
	}
	for _, u := range units {
		if u.Code == s || strconv.FormatInt(u.ID, 10) == s {
			return u, true
		}
	}
	return model.OrgUnit{}, false
}

func byCode(units []model.OrgUnit, code string) (model.OrgUnit, bool) {
	for _, u := range units {
		if u.Code == code {
			return u, true
		}
	}
	return model.OrgUnit{}, false
}

// parseGridCode splits a unit-grid code whose sequence has width digits.
func parseGridCode(s string, width int) (model.GridCode, bool) {
	if len(s) != 12+width {
		return model.GridCode{}, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return model.GridCode{}, false
		}
	}
	return model.GridCode{Admin: s[:6], Street: s[6:9], Community: s[9:12], Seq: s[12:]}, true
}

// geometryType reads a GeoJSON geometry's type member.
func geometryType(raw []byte) string { return geo.GeometryType(raw) }

// canonicalGeometry writes a polygon geometry the one way yiwang stores it:
// the type as given (Polygon or MultiPolygon), coordinates as parsed
// (altitudes dropped), numbers in Go's shortest round-trip form.
func canonicalGeometry(typ string, mp orb.MultiPolygon) string {
	var coords any = mp
	if typ == "Polygon" && len(mp) == 1 {
		coords = mp[0]
	} else {
		typ = "MultiPolygon"
	}
	b, _ := json.Marshal(struct {
		Type        string `json:"type"`
		Coordinates any    `json:"coordinates"`
	}{typ, coords})
	return string(b)
}

// sameGeometry compares two stored geometries by type and coordinates.
func sameGeometry(a, b string) bool {
	if a == b {
		return true
	}
	ta, tb := geometryType([]byte(a)), geometryType([]byte(b))
	if ta != tb {
		return false
	}
	ma, err1 := geo.ParseGeometry([]byte(a))
	mb, err2 := geo.ParseGeometry([]byte(b))
	if err1 != nil || err2 != nil || len(ma) != len(mb) {
		return false
	}
	for i := range ma {
		if len(ma[i]) != len(mb[i]) {
			return false
		}
		for j := range ma[i] {
			if !slices.Equal(ma[i][j], mb[i][j]) {
				return false
			}
		}
	}
	return true
}

func (s *Service) importGrids(ctx context.Context, actor model.User, data []byte, opt GridImportOptions) (*ImportReport, error) {
	cfg := s.Ref().geo
	orgs, err := s.store.ListOrgUnits(ctx)
	if err != nil {
		return nil, err
	}
	current, err := s.store.ListGrids(ctx)
	if err != nil {
		return nil, err
	}
	org := newOrgLookup(orgs)
	feats, _, fp := readFeatures(data)
	rep := &ImportReport{Features: make([]FeatureReport, len(feats))}
	if fp != nil {
		rep.Problems = append(rep.Problems, *fp)
		rep.tally()
		return rep, nil
	}
	items := make([]gridItem, len(feats))
	firstByCode := map[string]int{}
	for i, f := range feats {
		fr := &rep.Features[i]
		fr.Index, fr.Status = i, ""
		if f.Type != "Feature" {
			rep.add(i, problemf(SeverityError, "not_feature"))
			continue
		}
		code, name := prop(f.Properties, "code"), prop(f.Properties, "name")
		fr.Code, fr.Name = code, name
		items[i].mp, items[i].geomOK = s.checkGridGeometry(rep, i, f.Geometry)
		// Code.
		var gc model.GridCode
		codeOK := false
		switch {
		case code == "":
			rep.add(i, problemf(SeverityError, "code_missing"))
		default:
			if gc, codeOK = parseGridCode(code, cfg.SeqWidth); !codeOK {
				rep.add(i, problemf(SeverityError, "code_invalid", code, 12+cfg.SeqWidth, cfg.SeqWidth))
			} else if gc.Admin != org.root.Code {
				rep.add(i, problemf(SeverityError, "code_admin_mismatch", gc.Admin, org.root.Code))
				codeOK = false
			}
			if j, dup := firstByCode[code]; dup {
				rep.add(i, problemf(SeverityError, "code_duplicate", code, j+1))
				codeOK = false
			} else {
				firstByCode[code] = i
			}
		}
		// Street and community: from the code, checked against the
		// properties when given (by name or code).
		var street, comm model.OrgUnit
		streetOK, commOK := false, false
		if codeOK {
			if street, streetOK = byCode(org.streets, gc.Street); !streetOK {
				rep.add(i, problemf(SeverityError, "code_street_unknown", gc.Street))
			}
		}
		if sp := prop(f.Properties, "street"); sp != "" {
			switch got, ok := find(org.streets, sp); {
			case !ok:
				rep.add(i, problemf(SeverityError, "street_unknown", sp))
				streetOK = false
			case streetOK && got.ID != street.ID:
				rep.add(i, problemf(SeverityError, "street_mismatch", sp, street.Name, gc.Street))
				streetOK = false
			}
		}
		if streetOK {
			if comm, commOK = byCode(org.communities[street.ID], gc.Community); !commOK {
				rep.add(i, problemf(SeverityError, "code_community_unknown", gc.Community, street.Name))
			}
		}
		if cp := prop(f.Properties, "community"); cp != "" {
			got, ok := model.OrgUnit{}, false
			if streetOK {
				got, ok = find(org.communities[street.ID], cp)
			}
			if !ok { // a community of another street, by name
				for _, st := range org.streets {
					for _, c := range org.communities[st.ID] {
						if c.Name == cp && !ok {
							got, ok = c, true
						}
					}
				}
			}
			switch {
			case !ok:
				rep.add(i, problemf(SeverityError, "community_unknown", cp))
				commOK = false
			case commOK && got.ID != comm.ID:
				rep.add(i, problemf(SeverityError, "community_mismatch", cp, comm.Name, gc.Community))
				commOK = false
			}
		}
		switch n := len([]rune(name)); {
		case n == 0:
			rep.add(i, problemf(SeverityError, "name_missing"))
		case n > MaxGridName:
			rep.add(i, problemf(SeverityError, "name_too_long", MaxGridName))
		}
		if items[i].geomOK && codeOK && streetOK && commOK && !rep.hasError(i) {
			items[i].ok = true
			items[i].grid = model.Grid{Code: gc, Name: name, CommunityID: comm.ID, StreetID: street.ID,
				Geometry: canonicalGeometry(geometryType(f.Geometry), items[i].mp), AreaM2: math.Round(geo.AreaM2(items[i].mp)*100) / 100}
		}
	}
	s.checkGridSet(rep, items, current, cfg, opt, org)
	rep.tally()
	if rep.Status == ImportInvalid {
		return rep, nil
	}

	// What changes.
	curByCode := map[string]model.Grid{}
	for _, g := range current {
		curByCode[g.Code.String()] = g
	}
	ch := store.GridChanges{At: s.now(), By: actor.ID, Source: opt.Source}
	var createdIdx []int
	inFile := map[string]bool{}
	for i := range items {
		g := items[i].grid
		code := g.Code.String()
		inFile[code] = true
		fr := &rep.Features[i]
		if cg, ok := curByCode[code]; ok {
			if cg.Name == g.Name && cg.CommunityID == g.CommunityID && cg.StreetID == g.StreetID && sameGeometry(cg.Geometry, g.Geometry) {
				fr.Status, fr.ID = "unchanged", cg.OrgID
				rep.Unchanged++
				continue
			}
			g.OrgID, g.WorkerID = cg.OrgID, cg.WorkerID
			ch.Update = append(ch.Update, g)
			fr.Status, fr.ID = "updated", cg.OrgID
			rep.Updated++
			continue
		}
		if o, ok := org.gridOrgs[code]; ok {
			g.OrgID = o.ID // a retired grid comes back under its old org id
		}
		ch.Create = append(ch.Create, g)
		createdIdx = append(createdIdx, i)
		fr.Status, fr.ID = "created", g.OrgID
		rep.Created++
	}
	for _, g := range current {
		if inFile[g.Code.String()] {
			continue
		}
		if opt.RetireMissing {
			ch.Retire = append(ch.Retire, g.OrgID)
			rep.RemovedCodes = append(rep.RemovedCodes, g.Code.String())
			rep.Removed++
		} else {
			rep.Kept++
		}
	}
	switch {
	case len(ch.Create)+len(ch.Update)+len(ch.Retire) == 0:
		rep.Status = ImportUnchanged
		return rep, nil
	case opt.DryRun:
		rep.Status = ImportValid
		return rep, nil
	}
	ids, err := s.store.ApplyGridChanges(ctx, ch)
	if errors.Is(err, store.ErrConflict) {
		return nil, ErrConflict
	}
	if err != nil {
		return nil, err
	}
	for k, i := range createdIdx {
		if k < len(ids) {
			rep.Features[i].ID = ids[k]
		}
	}
	rep.Status = ImportImported
	return rep, s.Reload(ctx)
}

// checkGridGeometry parses and validates one feature's geometry.
func (s *Service) checkGridGeometry(rep *ImportReport, i int, raw json.RawMessage) (orb.MultiPolygon, bool) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		rep.add(i, problemf(SeverityError, "geometry_missing"))
		return nil, false
	}
	if t := geometryType(raw); t != "Polygon" && t != "MultiPolygon" {
		rep.add(i, problemf(SeverityError, "geometry_type", t))
		return nil, false
	}
	mp, err := geo.ParseGeometry(raw)
	if err != nil {
		var pe *geo.ParseError
		if errors.As(err, &pe) {
			rep.add(i, Problem{Code: pe.Code, Severity: SeverityError, Message: pe.Message, MessageEn: pe.MessageEn})
		} else {
			rep.add(i, problemf(SeverityError, "geometry_type", ""))
		}
		return nil, false
	}
	probs := geo.Validate(mp)
	for _, p := range probs {
		rep.add(i, Problem{Code: p.Code, Severity: SeverityError, Args: []any{p.Ring}, Message: p.Message, MessageEn: p.MessageEn})
	}
	return mp, len(probs) == 0
}

// setItem is a grid of the map the import would produce.
type setItem struct {
	mp        orb.MultiPolygon
	b         orb.Bound
	file      int // feature index, -1 for a grid kept from the store
	code      string
	community int64
}

// checkGridSet checks the grids the import would leave in place, taken
// together: overlaps (any pair involving a feature of the file) and gaps
// inside each community the file touches.
func (s *Service) checkGridSet(rep *ImportReport, items []gridItem, current []model.Grid, cfg GeoConfig, opt GridImportOptions, org orgLookup) {
	var set []setItem
	inFile := map[string]bool{}
	badCommunity := map[int64]bool{}
	for i, it := range items {
		code := rep.Features[i].Code
		inFile[code] = true
		if !it.geomOK {
			// Its community (if the code says) cannot be checked for gaps.
			if gc, ok := parseGridCode(code, cfg.SeqWidth); ok {
				if st, ok := byCode(org.streets, gc.Street); ok {
					if cm, ok := byCode(org.communities[st.ID], gc.Community); ok {
						badCommunity[cm.ID] = true
					}
				}
			}
			continue
		}
		label := code
		if label == "" {
			label = "#" + strconv.Itoa(i+1)
		}
		set = append(set, setItem{mp: it.mp, b: it.mp.Bound(), file: i, code: label, community: it.grid.CommunityID})
	}
	if !opt.RetireMissing {
		for _, g := range current {
			if inFile[g.Code.String()] {
				continue
			}
			mp, err := geo.ParseGeometry([]byte(g.Geometry))
			if err != nil {
				continue
			}
			set = append(set, setItem{mp: mp, b: mp.Bound(), file: -1, code: g.Code.String(), community: g.CommunityID})
		}
	}
	// Overlaps: sweep over bounding boxes sorted by west edge.
	order := make([]int, len(set))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Or(cmp.Compare(set[a].b.Min[0], set[b].b.Min[0]), cmp.Compare(a, b)) })
	type hit struct {
		file, other int
		area        float64
	}
	var hits []hit
	for x, a := range order {
		for _, b := range order[x+1:] {
			if set[b].b.Min[0] > set[a].b.Max[0] {
				break
			}
			if set[a].file < 0 && set[b].file < 0 || !set[a].b.Intersects(set[b].b) {
				continue
			}
			if area := geo.OverlapAreaM2(set[a].mp, set[b].mp); area > cfg.OverlapMinM2 {
				if set[a].file >= 0 {
					hits = append(hits, hit{set[a].file, b, area})
				}
				if set[b].file >= 0 {
					hits = append(hits, hit{set[b].file, a, area})
				}
			}
		}
	}
	slices.SortFunc(hits, func(p, q hit) int {
		return cmp.Or(cmp.Compare(p.file, q.file), strings.Compare(set[p.other].code, set[q.other].code))
	})
	for _, h := range hits {
		rep.add(h.file, problemf(SeverityError, "overlap", set[h.other].code, math.Round(h.area*10)/10))
	}
	// Gaps inside each community the file touches.
	sev := SeverityError
	if opt.AllowGaps {
		sev = SeverityWarning
	}
	byComm := map[int64][]int{}
	touched := map[int64]bool{}
	for k, it := range set {
		if it.community == 0 {
			continue
		}
		byComm[it.community] = append(byComm[it.community], k)
		if it.file >= 0 {
			touched[it.community] = true
		}
	}
	comms := make([]int64, 0, len(touched))
	for c := range touched {
		if !badCommunity[c] {
			comms = append(comms, c)
		}
	}
	slices.Sort(comms)
	for _, c := range comms {
		ks := byComm[c]
		parts := make([]orb.MultiPolygon, len(ks))
		for j, k := range ks {
			parts[j] = set[k].mp
		}
		for _, g := range geo.Gaps(parts, cfg.GapMinM2) {
			for _, j := range g.Parts {
				if f := set[ks[j]].file; f >= 0 {
					rep.add(f, problemf(sev, "gap", org.byID[c].Name, math.Round(g.AreaM2), g.At[0], g.At[1]))
				}
			}
		}
	}
}

// GridHistory returns a grid's versions, oldest first. A grid never
// changed since it was loaded has one version, its current state.
func (s *Service) GridHistory(ctx context.Context, orgID int64) ([]store.GridVersion, error) {
	vs, err := s.store.GridVersions(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if len(vs) > 0 {
		return vs, nil
	}
	g, ok := s.Ref().Grids[orgID]
	if !ok {
		return nil, ErrNotFound
	}
	return []store.GridVersion{{OrgID: g.OrgID, Version: 1, Code: g.Code.String(), Name: g.Name, CommunityID: g.CommunityID,
		StreetID: g.StreetID, Geometry: g.Geometry, AreaM2: g.AreaM2, Change: "initial"}}, nil
}
