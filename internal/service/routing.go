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
	// How tells why UnitID was chosen: "rule:ID", "category" or "territorial".
	How string
	// Fallback is true when the point is in no grid (属地兜底).
	Fallback bool
}

// Place finds a point's grid, community and street, then the responsible
// unit for the category there. It never returns no unit: with no grid it
// falls back to the street whose area encloses the point, then the district.
func (r *Reference) Place(lat, lng float64, categoryID int64, toleranceM float64) Placement {
	var p Placement
	if id, _, ok := r.gridIndex.LocateTolerant(lat, lng, toleranceM); ok {
		g := r.Grids[id]
		p.GridID, p.CommunityID, p.StreetID = g.OrgID, g.CommunityID, g.StreetID
	} else {
		p.Fallback = true
		if id, ok := r.areaIndex.Locate(lat, lng); ok {
			p.StreetID = id
		}
	}
	// Most specific area first: grid, community, street, district.
	for _, area := range []int64{p.GridID, p.CommunityID, p.StreetID, r.Root.ID} {
		if area == 0 {
			continue
		}
		key := [2]int64{categoryID, area}
		if unit, ok := r.rules[key]; ok {
			p.UnitID, p.How = unit, fmt.Sprintf("rule:%d", r.ruleIDs[key])
			return p
		}
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
