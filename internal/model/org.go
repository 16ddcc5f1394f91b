// Package model holds the plain data types shared by every layer of yiwang.
// It imports nothing from the rest of the module so that stores, services and
// handlers can all depend on it without cycles.
package model

// OrgKind is the level of an org unit in the county's tree, or "department"
// for the 区直单位 that sit beside the tree.
type OrgKind string

const (
	OrgDistrict   OrgKind = "district"   // 县/区
	OrgStreet     OrgKind = "street"     // 街道
	OrgTownship   OrgKind = "township"   // 乡镇
	OrgCommunity  OrgKind = "community"  // 社区
	OrgVillage    OrgKind = "village"    // 村
	OrgGrid       OrgKind = "grid"       // 单元网格
	OrgDepartment OrgKind = "department" // 区直单位
)

// Level is the depth of the kind in the territorial tree: district 1,
// street/township 2, community/village 3, grid 4; departments 0.
func (k OrgKind) Level() int {
	switch k {
	case OrgDistrict:
		return 1
	case OrgStreet, OrgTownship:
		return 2
	case OrgCommunity, OrgVillage:
		return 3
	case OrgGrid:
		return 4
	}
	return 0
}

// Valid reports whether k is a known kind.
func (k OrgKind) Valid() bool {
	switch k {
	case OrgDistrict, OrgStreet, OrgTownship, OrgCommunity, OrgVillage, OrgGrid, OrgDepartment:
		return true
	}
	return false
}

// OrgUnit is one node of the org tree: a territorial unit or a department.
// Unit grids are org units too (kind grid); their geometry lives in Grid.
type OrgUnit struct {
	ID       int64   `json:"id"`
	ParentID int64   `json:"parent_id,omitempty"` // 0 for the root
	Kind     OrgKind `json:"kind"`
	Code     string  `json:"code"` // administrative code or department code
	Name     string  `json:"name"`
}

// GridCode keeps the parts of a unit-grid code separately (CJ/T 213 practice):
// 6-digit GB/T 2260 admin code, 3-digit street, 3-digit community and a
// sequence whose width is configurable (2 digits usually, 3 in Beijing).
type GridCode struct {
	Admin     string `json:"admin"`
	Street    string `json:"street"`
	Community string `json:"community"`
	Seq       string `json:"seq"`
}

// String joins the parts into the full code.
func (c GridCode) String() string { return c.Admin + c.Street + c.Community + c.Seq }

// ParseGridCode splits a 14- or 15-digit unit-grid code. It reports false when
// the code is not all digits or has another length.
func ParseGridCode(s string) (GridCode, bool) {
	if len(s) != 14 && len(s) != 15 {
		return GridCode{}, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return GridCode{}, false
		}
	}
	return GridCode{Admin: s[:6], Street: s[6:9], Community: s[9:12], Seq: s[12:]}, true
}

// Grid is a unit grid (单元网格): an org unit of kind grid with a polygon.
// Geometry is GeoJSON (Polygon or MultiPolygon) in WGS-84, kept as text so
// the model does not depend on a geometry library.
type Grid struct {
	OrgID       int64    `json:"id"`
	Code        GridCode `json:"code"`
	Name        string   `json:"name"`
	CommunityID int64    `json:"community_id"`
	StreetID    int64    `json:"street_id"`
	WorkerID    int64    `json:"worker_id,omitempty"` // responsible grid worker (user id), 0 if none
	Geometry    string   `json:"geometry"`            // GeoJSON geometry object
	AreaM2      float64  `json:"area_m2"`
}
