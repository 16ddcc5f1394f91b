// Package demo builds the static data of the demo district: an org tree,
// unit grids with polygons, the category tree and demo accounts. It is
// modelled on 娄星区 (娄底市, Hunan): real township and street names, invented
// communities, villages and geometry.
package demo

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/yiwang-gov/yiwang/internal/model"
)

// The demo district.
const (
	AdminCode    = "431302" // GB/T 2260 code of 娄星区
	DistrictName = "娄星区"
	SeatLat      = 27.73 // WGS-84, the district seat
	SeatLng      = 111.99
)

// Fixed seeds of the generator: Build always returns the same data.
const seed1, seed2 uint64 = 0x431302, 0x27731199

// DemoUser is a demo account. Passwords are the loader's business.
type DemoUser struct {
	Username, DisplayName string
	Role                  model.Role
	OrgID                 int64
}

// District is the demo district's static data.
type District struct {
	// Org is the org tree, IDs 1..n in this order: the district root, the
	// streets and townships (codes 001..013), the departments (D01..,
	// parent the root), the communities and villages, the unit grids.
	Org []model.OrgUnit
	// Grids has one entry per org unit of kind grid, in org ID order.
	Grids []model.Grid
	// Categories is the category tree, IDs 1..n, parents before children.
	Categories []model.Category
	// Users holds demo accounts for every role.
	Users []DemoUser
}

// Build generates the demo district. It is pure and deterministic.
func Build() *District {
	rng := rand.New(rand.NewPCG(seed1, seed2))
	lat := buildLattice(rng)
	d := &District{}
	add := func(parent int64, kind model.OrgKind, code, name string) int64 {
		id := int64(len(d.Org) + 1)
		d.Org = append(d.Org, model.OrgUnit{ID: id, ParentID: parent, Kind: kind, Code: code, Name: name})
		return id
	}
	root := add(0, model.OrgDistrict, AdminCode, DistrictName)

	// Streets and townships, and the cells of each.
	var urbanSeeds, ruralSeeds []int
	x0, x1 := float64(urbanI0)*coarseSize, float64(urbanI0+urbanW)*coarseSize
	y0, y1 := -0.5*coarseSize, 0.5*coarseSize
	const seedRadius = 8000.0 // metres from the seat for township seeds
	for _, s := range streetDefs {
		if s.kind == model.OrgStreet {
			p := pt{x0 + s.u*(x1-x0), y0 + s.v*(y1-y0)}
			urbanSeeds = append(urbanSeeds, nearest(lat.cells, lat.urban, p))
			continue
		}
		a := s.angle * math.Pi / 180
		p := pt{seedRadius * math.Cos(a), seedRadius * math.Sin(a)}
		ruralSeeds = append(ruralSeeds, nearest(lat.cells, lat.rural, p))
	}
	urbanParts := partition(lat.cells, lat.urban, urbanSeeds, rng)
	ruralParts := partition(lat.cells, lat.rural, ruralSeeds, rng)

	streetIDs := make([]int64, len(streetDefs))
	for k, s := range streetDefs {
		streetIDs[k] = add(root, s.kind, fmt.Sprintf("%03d", k+1), s.name)
	}
	deptIDs := map[string]int64{}
	for k, dd := range deptDefs {
		deptIDs[dd.key] = add(root, model.OrgDepartment, fmt.Sprintf("D%02d", k+1), dd.name)
	}

	// Communities and villages of each street, and their grid cells.
	type community struct {
		id, streetID int64
		kind         model.OrgKind
		street       string
		code, name   string
		cells        []int
	}
	var comms []community
	nextCommunity, nextVillage := 0, 0
	for k, s := range streetDefs {
		var nodes []int
		rowM := coarseSize / urbanKY
		kind, suffix := model.OrgCommunity, "社区"
		if s.kind == model.OrgStreet {
			nodes, urbanParts = urbanParts[0], urbanParts[1:]
		} else {
			nodes, ruralParts = ruralParts[0], ruralParts[1:]
			rowM, kind, suffix = coarseSize, model.OrgVillage, "村"
		}
		n := min(s.communities, len(nodes))
		parts := partition(lat.cells, nodes, spreadSeeds(lat.cells, nodes, n), rng)
		// Number the communities in reading order of their centres.
		centres := make([]cell, len(parts))
		for i, part := range parts {
			var m pt
			for _, c := range part {
				m.x += lat.cells[c].centre.x / float64(len(part))
				m.y += lat.cells[c].centre.y / float64(len(part))
			}
			centres[i].centre = m
		}
		order := make([]int, len(parts))
		for i := range order {
			order[i] = i
		}
		readingOrder(centres, order, 4*rowM)
		for seq, i := range order {
			var stem string
			if kind == model.OrgCommunity {
				stem, nextCommunity = communityStems[nextCommunity], nextCommunity+1
			} else {
				stem, nextVillage = villageStems[nextVillage], nextVillage+1
			}
			cells := slices.Clone(parts[i])
			readingOrder(lat.cells, cells, rowM)
			comms = append(comms, community{
				streetID: streetIDs[k], kind: kind, street: s.name,
				code: fmt.Sprintf("%03d", seq+1), name: stem + suffix, cells: cells,
			})
		}
	}
	for i := range comms {
		comms[i].id = add(comms[i].streetID, comms[i].kind, comms[i].code, comms[i].name)
	}
	streetCode := func(id int64) string { return d.Org[id-1].Code }
	for _, c := range comms {
		for seq, cl := range c.cells {
			code := model.GridCode{Admin: AdminCode, Street: streetCode(c.streetID), Community: c.code, Seq: fmt.Sprintf("%02d", seq+1)}
			name := fmt.Sprintf("%s%s第%s网格", c.street, c.name, code.Seq)
			id := add(c.id, model.OrgGrid, code.String(), name)
			geom, area := polygonGeoJSON(lat.cells[cl].ring)
			d.Grids = append(d.Grids, model.Grid{
				OrgID: id, Code: code, Name: name, CommunityID: c.id, StreetID: c.streetID,
				Geometry: geom, AreaM2: area,
			})
		}
	}

	d.Categories = buildCategories(deptIDs)
	d.Users = buildUsers(d, root, streetIDs, deptIDs)
	return d
}

func buildCategories(deptIDs map[string]int64) []model.Category {
	var out []model.Category
	unit := func(key string) int64 {
		if key == "" {
			return 0
		}
		id, ok := deptIDs[key]
		if !ok {
			panic("demo: unknown department " + key)
		}
		return id
	}
	for _, m := range categoryDefs {
		caseType, public := CaseTypeCity, true
		if m.kind == model.CategoryDomain {
			caseType, public = CaseTypeRectification, false
		}
		parent := int64(len(out) + 1)
		out = append(out, model.Category{
			ID: parent, Code: m.head.code, Kind: m.kind, Name: m.head.name, NameEn: m.head.en,
			CaseType: caseType, Deadline: m.head.dl, Public: public,
		})
		for _, l := range m.leaves {
			out = append(out, model.Category{
				ID: int64(len(out) + 1), ParentID: parent, Code: l.code, Kind: m.kind, Name: l.name, NameEn: l.en,
				CaseType: caseType, DefaultUnitID: unit(l.unit), Deadline: l.dl, Public: public,
			})
		}
	}
	return out
}

// gridWorkersPerStreet is how many communities of each street get a demo
// grid worker (on their first grid).
const gridWorkersPerStreet = 2

func buildUsers(d *District, root int64, streetIDs []int64, deptIDs map[string]int64) []DemoUser {
	users := []DemoUser{
		{"admin", "系统管理员", model.RoleAdmin, root},
		{"operator1", "12345受理员李娜", model.RoleOperator, root},
		{"operator2", "12345受理员王敏", model.RoleOperator, root},
		{"supervisor", "监督中心值班长陈静", model.RoleSupervisor, root},
		{"dispatcher", "指挥中心派遣员周强", model.RoleDispatcher, root},
		{"leader", "区领导赵建国", model.RoleLeader, root},
		{"discipline", "区纪委监委干部刘洋", model.RoleDiscipline, deptIDs[disciplineKey]},
		{"citizen", "市民体验账号", model.RoleCitizen, root},
	}
	for _, dd := range deptDefs {
		if dd.key == disciplineKey {
			continue // the commission works through the discipline account
		}
		users = append(users, DemoUser{dd.key, dd.name + "承办员", model.RoleUnit, deptIDs[dd.key]})
	}
	for k, s := range streetDefs {
		users = append(users, DemoUser{s.pinyin, s.name + "承办员", model.RoleUnit, streetIDs[k]})
	}
	n := 0
	for k := range streetDefs {
		taken := 0
		for _, c := range d.Org {
			if c.ParentID != streetIDs[k] || taken == gridWorkersPerStreet {
				continue
			}
			for _, g := range d.Grids {
				if g.CommunityID == c.ID {
					name := surnames[n%len(surnames)] + givenNames[(n*5+n/len(surnames))%len(givenNames)]
					n++
					users = append(users, DemoUser{fmt.Sprintf("wgy%03d", n), "网格员" + name, model.RoleGridWorker, g.OrgID})
					break
				}
			}
			taken++
		}
	}
	return users
}

// Root returns the district org unit.
func (d *District) Root() model.OrgUnit { return d.Org[0] }

// OrgUnit returns the org unit with the given ID.
func (d *District) OrgUnit(id int64) (model.OrgUnit, bool) {
	if id < 1 || id > int64(len(d.Org)) {
		return model.OrgUnit{}, false
	}
	return d.Org[id-1], true
}

// OrgByName returns the first org unit with the given name (names of
// streets, departments, communities and grids are unique).
func (d *District) OrgByName(name string) (model.OrgUnit, bool) {
	for _, o := range d.Org {
		if o.Name == name {
			return o, true
		}
	}
	return model.OrgUnit{}, false
}

// Children returns the org units whose parent is id, in ID order.
func (d *District) Children(id int64) []model.OrgUnit {
	var out []model.OrgUnit
	for _, o := range d.Org {
		if o.ParentID == id {
			out = append(out, o)
		}
	}
	return out
}

// OfKind returns the org units of the given kinds, in ID order.
func (d *District) OfKind(kinds ...model.OrgKind) []model.OrgUnit {
	var out []model.OrgUnit
	for _, o := range d.Org {
		if slices.Contains(kinds, o.Kind) {
			out = append(out, o)
		}
	}
	return out
}

// Streets returns the streets and townships in code order.
func (d *District) Streets() []model.OrgUnit { return d.OfKind(model.OrgStreet, model.OrgTownship) }

// StreetNames returns the names of the streets and townships in code order.
func (d *District) StreetNames() []string {
	var out []string
	for _, s := range d.Streets() {
		out = append(out, s.Name)
	}
	return out
}

// Departments returns the departments (区直单位), the discipline commission
// included, in code order.
func (d *District) Departments() []model.OrgUnit { return d.OfKind(model.OrgDepartment) }

// Grid returns the grid of the org unit orgID.
func (d *District) Grid(orgID int64) (model.Grid, bool) {
	for _, g := range d.Grids {
		if g.OrgID == orgID {
			return g, true
		}
	}
	return model.Grid{}, false
}

// GridCenter returns a point inside the grid (its polygon's centroid; the
// demo's grids are convex), for placing demo cases.
func (d *District) GridCenter(orgID int64) (lat, lng float64, ok bool) {
	g, ok := d.Grid(orgID)
	if !ok {
		return 0, 0, false
	}
	ring, err := polygonRing(g.Geometry)
	if err != nil || len(ring) < 4 {
		return 0, 0, false
	}
	pts := make([]pt, len(ring)-1)
	for i, c := range ring[:len(ring)-1] {
		pts[i] = pt{c[0], c[1]}
	}
	c := centroid(pts)
	return c.y, c.x, true
}

// polygonRing returns the exterior ring of a GeoJSON Polygon.
func polygonRing(geometry string) ([][2]float64, error) {
	var g struct {
		Type        string
		Coordinates [][][2]float64
	}
	if err := json.Unmarshal([]byte(geometry), &g); err != nil {
		return nil, err
	}
	if g.Type != "Polygon" || len(g.Coordinates) == 0 {
		return nil, fmt.Errorf("demo: not a polygon: %s", g.Type)
	}
	return g.Coordinates[0], nil
}

// Category returns the category with the given code.
func (d *District) Category(code string) (model.Category, bool) {
	for _, c := range d.Categories {
		if c.Code == code {
			return c, true
		}
	}
	return model.Category{}, false
}

// Leaves returns the categories cases are filed under (those without
// children), in ID order.
func (d *District) Leaves() []model.Category {
	parent := map[int64]bool{}
	for _, c := range d.Categories {
		parent[c.ParentID] = true
	}
	var out []model.Category
	for _, c := range d.Categories {
		if !parent[c.ID] {
			out = append(out, c)
		}
	}
	return out
}

// User returns the demo account with the given username.
func (d *District) User(username string) (DemoUser, bool) {
	for _, u := range d.Users {
		if u.Username == username {
			return u, true
		}
	}
	return DemoUser{}, false
}
