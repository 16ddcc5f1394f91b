package service

import (
	"fmt"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// Placement is where a point lies and who is responsible for a category there.
type Placement struct {
	GridID      int64
	CommunityID int64
	StreetID    int64
	UnitID      int64
	// How tells why UnitID was chosen: "rule:ID", "component" (the
	// maintaining unit of the component the report was attached to),
	// "category" or "territorial".
	How string
	// Fallback is true when the point is in no grid, even within the
	// tolerance (属地兜底).
	Fallback bool
	// Exact is true when the point lies inside the grid; false when it was
	// given to the nearest grid within the tolerance (DistanceM metres off).
	Exact     bool
	DistanceM float64
	// RuleID is the routing rule that chose UnitID (0 if none), CoUnitIDs
	// its co-units (协办单位).
	RuleID    int64
	CoUnitIDs []int64
	// ComponentID is the component (部件) of the case's category nearest
	// the point within the attach radius, ComponentM its distance.
	ComponentID   int64
	ComponentCode string
	ComponentM    float64
}

// Place finds a point's grid, community and street, then the responsible
// unit for the category there. It never returns no unit: with no grid it
// falls back to the street whose area encloses the point, then the district.
//
// The unit is chosen, first match wins: the maintaining unit of the
// nearest component of the category within the attach radius; a routing
// rule for the category (or an ancestor category) and the grid, community,
// street or district (most specific area first, then most specific
// category); the category's default unit; the street (属地), else the
// district. toleranceM is the deployment default, overridden by the
// administrator's geo setting when one is set.
func (r *Reference) Place(lat, lng float64, categoryID int64, toleranceM float64) Placement {
	var p Placement
	if r.geo.ToleranceM > 0 {
		toleranceM = r.geo.ToleranceM
	}
	if id, exact, ok := r.gridIndex.LocateTolerant(lat, lng, toleranceM); ok {
		g := r.Grids[id]
		p.GridID, p.CommunityID, p.StreetID, p.Exact = g.OrgID, g.CommunityID, g.StreetID, exact
		if !exact {
			_, p.DistanceM, _ = r.gridIndex.Nearest(lat, lng, toleranceM)
		}
	} else {
		p.Fallback = true
		if id, ok := r.areaIndex.Locate(lat, lng); ok {
			p.StreetID = id
		}
	}
	if categoryID != 0 {
		if c, ok := r.nearestComponent(lat, lng, categoryID); ok {
			p.ComponentID, p.ComponentCode, p.ComponentM = c.ID, c.Code, c.Meters
			if r.Dispatchable(c.MaintainerUnitID) {
				p.UnitID, p.How = c.MaintainerUnitID, "component"
				return p
			}
		}
	}
	if rule, ok := r.ruleFor(categoryID, p.GridID, p.CommunityID, p.StreetID); ok {
		p.UnitID, p.How = rule.UnitID, fmt.Sprintf("rule:%d", rule.ID)
		p.RuleID, p.CoUnitIDs = rule.ID, append([]int64(nil), rule.CoUnitIDs...)
		return p
	}
	if c := r.Categories[categoryID]; c.DefaultUnitID != 0 {
		p.UnitID, p.How = c.DefaultUnitID, "category"
		return p
	}
	// 属地: the street or township of the place, else the district.
	p.How = "territorial"
	p.UnitID = p.StreetID
	if p.UnitID == 0 {
		p.UnitID = r.Root.ID
	}
	return p
}

// Dispatchable reports whether cases may be dispatched to the unit: a
// department, street/township or the district itself.
func (r *Reference) Dispatchable(id int64) bool {
	o, ok := r.Org[id]
	if !ok {
		return false
	}
	switch o.Kind {
	case model.OrgDepartment, model.OrgStreet, model.OrgTownship, model.OrgDistrict:
		return true
	}
	return false
}
