package demo

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/model"
)

var built = Build()

func TestDeterministic(t *testing.T) {
	if !reflect.DeepEqual(Build(), Build()) {
		t.Fatal("two Build() calls differ")
	}
	if !reflect.DeepEqual(Build(), built) {
		t.Fatal("Build() differs from the first call")
	}
}

func TestStreets(t *testing.T) {
	d := built
	want := []struct {
		name string
		kind model.OrgKind
	}{
		{"乐坪街道", model.OrgStreet}, {"花山街道", model.OrgStreet}, {"长青街道", model.OrgStreet},
		{"大科街道", model.OrgStreet}, {"黄泥塘街道", model.OrgStreet}, {"涟滨街道", model.OrgStreet},
		{"大埠桥街道", model.OrgStreet}, {"杉山镇", model.OrgTownship}, {"蛇形山镇", model.OrgTownship},
		{"水洞底镇", model.OrgTownship}, {"万宝镇", model.OrgTownship}, {"茶园镇", model.OrgTownship},
		{"双江乡", model.OrgTownship},
	}
	streets := d.Streets()
	if len(streets) != len(want) {
		t.Fatalf("%d streets, want %d", len(streets), len(want))
	}
	for i, s := range streets {
		if s.Name != want[i].name || s.Kind != want[i].kind || s.Code != fmt.Sprintf("%03d", i+1) || s.ParentID != d.Root().ID {
			t.Errorf("street %d = %+v, want %s %s code %03d", i, s, want[i].name, want[i].kind, i+1)
		}
		comms := d.Children(s.ID)
		if len(comms) < 3 || len(comms) > 8 {
			t.Errorf("%s has %d communities, want 3..8", s.Name, len(comms))
		}
		for j, c := range comms {
			wantKind, suffix := model.OrgCommunity, "社区"
			if s.Kind == model.OrgTownship {
				wantKind, suffix = model.OrgVillage, "村"
			}
			if c.Kind != wantKind || !strings.HasSuffix(c.Name, suffix) || c.Code != fmt.Sprintf("%03d", j+1) {
				t.Errorf("%s: community %+v, want kind %s, name …%s, code %03d", s.Name, c, wantKind, suffix, j+1)
			}
		}
	}
	if got := d.StreetNames(); len(got) != 13 || got[0] != "乐坪街道" || got[12] != "双江乡" {
		t.Errorf("StreetNames() = %v", got)
	}
	root := d.Root()
	if root.ID != 1 || root.ParentID != 0 || root.Kind != model.OrgDistrict || root.Code != "431302" || root.Name != "娄星区" {
		t.Errorf("Root() = %+v", root)
	}
}

func TestCounts(t *testing.T) {
	d := built
	if n := len(d.Grids); n < 300 || n > 450 {
		t.Errorf("%d grids, want 300..450", n)
	}
	if n := len(d.OfKind(model.OrgGrid)); n != len(d.Grids) {
		t.Errorf("%d grid org units, %d grids", n, len(d.Grids))
	}
	depts := d.Departments()
	if len(depts) < 14 || len(depts) > 20 {
		t.Errorf("%d departments, want about 15", len(depts))
	}
	if _, ok := d.OrgByName("区纪委监委"); !ok {
		t.Error("no 区纪委监委")
	}
	for i, dep := range depts {
		if dep.Code != fmt.Sprintf("D%02d", i+1) || dep.ParentID != d.Root().ID {
			t.Errorf("department %+v: want code D%02d under the root", dep, i+1)
		}
	}
}

func TestOrgTree(t *testing.T) {
	d := built
	byID := map[int64]model.OrgUnit{}
	names := map[string]bool{}
	siblingCodes := map[string]bool{}
	for i, o := range d.Org {
		if o.ID != int64(i+1) {
			t.Fatalf("org %d has ID %d", i, o.ID)
		}
		byID[o.ID] = o
		if !o.Kind.Valid() || o.Name == "" || o.Code == "" {
			t.Errorf("bad org unit %+v", o)
		}
		if names[o.Name] {
			t.Errorf("duplicate org name %s", o.Name)
		}
		names[o.Name] = true
		key := fmt.Sprint(o.ParentID, "/", o.Code)
		if siblingCodes[key] {
			t.Errorf("duplicate code %s under %d", o.Code, o.ParentID)
		}
		siblingCodes[key] = true
	}
	for _, o := range d.Org {
		if o.Kind == model.OrgDistrict {
			if o.ParentID != 0 || o.ID != 1 {
				t.Errorf("district %+v is not the root", o)
			}
			continue
		}
		p, ok := byID[o.ParentID]
		if !ok || p.ID >= o.ID {
			t.Errorf("%s: parent %d missing or after it", o.Name, o.ParentID)
			continue
		}
		if o.Kind == model.OrgDepartment {
			if p.Kind != model.OrgDistrict {
				t.Errorf("department %s under %s", o.Name, p.Kind)
			}
			continue
		}
		if p.Kind.Level() != o.Kind.Level()-1 {
			t.Errorf("%s (%s) under %s (%s)", o.Name, o.Kind, p.Name, p.Kind)
		}
		// Streets hold communities, townships villages.
		if (o.Kind == model.OrgCommunity) != (p.Kind == model.OrgStreet) && o.Kind.Level() == 3 {
			t.Errorf("%s (%s) under %s (%s)", o.Name, o.Kind, p.Name, p.Kind)
		}
	}
}

func TestGridCodes(t *testing.T) {
	d := built
	codes := map[string]bool{}
	gridOrgs := map[int64]bool{}
	for _, g := range d.Grids {
		o, ok := d.OrgUnit(g.OrgID)
		if !ok || o.Kind != model.OrgGrid {
			t.Fatalf("grid %s: org %d is %+v", g.Name, g.OrgID, o)
		}
		if gridOrgs[g.OrgID] {
			t.Errorf("two grids for org %d", g.OrgID)
		}
		gridOrgs[g.OrgID] = true
		comm, _ := d.OrgUnit(o.ParentID)
		street, _ := d.OrgUnit(comm.ParentID)
		if g.CommunityID != comm.ID || g.StreetID != street.ID {
			t.Errorf("grid %s: community %d street %d, tree says %d %d", g.Name, g.CommunityID, g.StreetID, comm.ID, street.ID)
		}
		s := g.Code.String()
		pc, ok := model.ParseGridCode(s)
		if !ok || len(s) != 14 || pc != g.Code {
			t.Errorf("grid code %q does not parse back (%+v)", s, pc)
		}
		if pc.Admin != AdminCode || pc.Street != street.Code || pc.Community != comm.Code || len(pc.Seq) != 2 || pc.Seq == "00" {
			t.Errorf("grid code %s does not match street %s community %s", s, street.Code, comm.Code)
		}
		if o.Code != s {
			t.Errorf("org code %s, grid code %s", o.Code, s)
		}
		if codes[s] {
			t.Errorf("duplicate grid code %s", s)
		}
		codes[s] = true
		if want := street.Name + comm.Name + "第" + pc.Seq + "网格"; g.Name != want || o.Name != want {
			t.Errorf("grid name %q / %q, want %q", g.Name, o.Name, want)
		}
		if g.WorkerID != 0 {
			t.Errorf("grid %s has worker %d", g.Name, g.WorkerID)
		}
	}
	// Sequences run 01..n within each community.
	seqs := map[int64][]string{}
	for _, g := range d.Grids {
		seqs[g.CommunityID] = append(seqs[g.CommunityID], g.Code.Seq)
	}
	for _, c := range d.OfKind(model.OrgCommunity, model.OrgVillage) {
		s := seqs[c.ID]
		if len(s) == 0 {
			t.Errorf("%s has no grids", c.Name)
		}
		for i, x := range s {
			if x != fmt.Sprintf("%02d", i+1) {
				t.Errorf("%s: grid seqs %v", c.Name, s)
				break
			}
		}
	}
}

// ring is a parsed exterior ring (closed) in lng/lat.
type ring [][2]float64

func parseRing(t *testing.T, g model.Grid) ring {
	t.Helper()
	var geo struct {
		Type        string         `json:"type"`
		Coordinates [][][2]float64 `json:"coordinates"`
	}
	if err := json.Unmarshal([]byte(g.Geometry), &geo); err != nil {
		t.Fatalf("grid %s: geometry: %v", g.Name, err)
	}
	if geo.Type != "Polygon" || len(geo.Coordinates) != 1 {
		t.Fatalf("grid %s: %s with %d rings", g.Name, geo.Type, len(geo.Coordinates))
	}
	return geo.Coordinates[0]
}

// toMetres projects lng/lat to metres around the seat.
func toMetres(c [2]float64) (x, y float64) {
	k := 6371008.8 * math.Pi / 180
	return (c[0] - SeatLng) * k * math.Cos(SeatLat*math.Pi/180), (c[1] - SeatLat) * k
}

// signedArea is the ring's area in m² on a local projection at its mean
// latitude, positive when counter-clockwise.
func signedArea(r ring) float64 {
	var lat float64
	for _, c := range r[1:] {
		lat += c[1] / float64(len(r)-1)
	}
	k := 6371008.8 * math.Pi / 180
	kx := k * math.Cos(lat*math.Pi/180)
	var a float64
	for i := 0; i+1 < len(r); i++ {
		a += (r[i][0]-SeatLng)*kx*(r[i+1][1]-SeatLat)*k - (r[i+1][0]-SeatLng)*kx*(r[i][1]-SeatLat)*k
	}
	return a / 2
}

// inside reports whether p is inside r (even-odd ray casting) and its
// distance in metres to r's boundary.
func inside(r ring, p [2]float64) (bool, float64) {
	px, py := toMetres(p)
	in := false
	dist := math.Inf(1)
	for i := 0; i+1 < len(r); i++ {
		ax, ay := toMetres(r[i])
		bx, by := toMetres(r[i+1])
		if (ay > py) != (by > py) && px < ax+(py-ay)*(bx-ax)/(by-ay) {
			in = !in
		}
		dx, dy := bx-ax, by-ay
		u := ((px-ax)*dx + (py-ay)*dy) / (dx*dx + dy*dy)
		u = max(0, min(1, u))
		dist = min(dist, math.Hypot(ax+u*dx-px, ay+u*dy-py))
	}
	return in, dist
}

type bbox struct{ minLng, minLat, maxLng, maxLat float64 }

func boxOf(r ring) bbox {
	b := bbox{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, c := range r {
		b.minLng, b.maxLng = min(b.minLng, c[0]), max(b.maxLng, c[0])
		b.minLat, b.maxLat = min(b.minLat, c[1]), max(b.maxLat, c[1])
	}
	return b
}

func (b bbox) has(p [2]float64) bool {
	return p[0] >= b.minLng && p[0] <= b.maxLng && p[1] >= b.minLat && p[1] <= b.maxLat
}

func TestGeometry(t *testing.T) {
	d := built
	rings := make([]ring, len(d.Grids))
	boxes := make([]bbox, len(d.Grids))
	var total float64
	maxUrban, minRural := 0.0, math.Inf(1)
	const halfBoxLat = 20000 / (6371008.8 * math.Pi / 180) // 40 km box
	halfBoxLng := halfBoxLat / math.Cos(SeatLat*math.Pi/180)
	for i, g := range d.Grids {
		r := parseRing(t, g)
		rings[i], boxes[i] = r, boxOf(r)
		if len(r) < 4 || r[0] != r[len(r)-1] {
			t.Fatalf("grid %s: ring not closed: %v", g.Name, r)
		}
		a := signedArea(r)
		if a <= 0 {
			t.Errorf("grid %s: exterior ring not counter-clockwise (area %.0f)", g.Name, a)
		}
		if math.Abs(a-g.AreaM2) > 0.001*a+1 {
			t.Errorf("grid %s: AreaM2 %.0f, ring area %.0f", g.Name, g.AreaM2, a)
		}
		total += g.AreaM2
		street, _ := d.OrgUnit(g.StreetID)
		if street.Kind == model.OrgStreet {
			maxUrban = max(maxUrban, g.AreaM2)
		} else {
			minRural = min(minRural, g.AreaM2)
		}
		for _, c := range r {
			if math.Abs(c[1]-SeatLat) > halfBoxLat || math.Abs(c[0]-SeatLng) > halfBoxLng {
				t.Fatalf("grid %s: vertex %v outside the 40 km box around the seat", g.Name, c)
			}
		}
		// Convex: every turn is to the left (collinear, up to rounding,
		// allowed).
		for k := 0; k+1 < len(r); k++ {
			a, b, c := r[k], r[k+1], r[(k+2)%(len(r)-1)]
			ax, ay := toMetres(a)
			bx, by := toMetres(b)
			cx, cy := toMetres(c)
			sin := ((bx-ax)*(cy-by) - (by-ay)*(cx-bx)) / (math.Hypot(bx-ax, by-ay) * math.Hypot(cx-bx, cy-by))
			if sin < -1e-3 {
				t.Errorf("grid %s: not convex at %v (sin %.4f)", g.Name, b, sin)
			}
		}
	}
	if total < 580e6 || total > 680e6 {
		t.Errorf("district area %.1f km², want about 630", total/1e6)
	}
	if maxUrban >= minRural || maxUrban > 300*300 {
		t.Errorf("largest urban grid %.0f m², smallest township grid %.0f m²", maxUrban, minRural)
	}
	t.Logf("%d grids, %.1f km², urban grids up to %.0f m², township grids from %.0f m²", len(d.Grids), total/1e6, maxUrban, minRural)

	// No grid vertex lies strictly inside another grid.
	for i, r := range rings {
		for _, c := range r[:len(r)-1] {
			for j, s := range rings {
				if j == i || !boxes[j].has(c) {
					continue
				}
				if in, dist := inside(s, c); in && dist > 0.05 {
					t.Errorf("vertex %v of %s lies inside %s", c, d.Grids[i].Name, d.Grids[j].Name)
				}
			}
		}
	}

	// Every directed edge belongs to at most one grid: neighbours share
	// edges in opposite directions.
	edges := map[[2][2]float64]string{}
	for i, r := range rings {
		for k := 0; k+1 < len(r); k++ {
			e := [2][2]float64{r[k], r[k+1]}
			if other, ok := edges[e]; ok {
				t.Errorf("edge %v in both %s and %s", e, other, d.Grids[i].Name)
			}
			edges[e] = d.Grids[i].Name
		}
	}

	// Random points fall in at most one grid; most points of the urban
	// block fall in exactly one.
	rng := rand.New(rand.NewPCG(1, 2))
	all := boxes[0]
	for _, b := range boxes {
		all.minLng, all.maxLng = min(all.minLng, b.minLng), max(all.maxLng, b.maxLng)
		all.minLat, all.maxLat = min(all.minLat, b.minLat), max(all.maxLat, b.maxLat)
	}
	covered := 0
	const samples = 20000
	for range samples {
		p := [2]float64{all.minLng + rng.Float64()*(all.maxLng-all.minLng), all.minLat + rng.Float64()*(all.maxLat-all.minLat)}
		var in []string
		for j, s := range rings {
			if boxes[j].has(p) {
				if ok, _ := inside(s, p); ok {
					in = append(in, d.Grids[j].Name)
				}
			}
		}
		if len(in) > 1 {
			t.Errorf("point %v in %d grids: %v", p, len(in), in)
		}
		if len(in) == 1 {
			covered++
		}
	}
	// The district fills a good part of its bounding box.
	if frac := float64(covered) / samples; frac < 0.4 {
		t.Errorf("only %.0f%% of the bounding box is covered", 100*frac)
	}
}

// TestContiguous checks that each community's grids, and each street's,
// form one piece connected through shared edges.
func TestContiguous(t *testing.T) {
	d := built
	type edge [2][2]float64
	owner := map[edge]int{} // undirected edge → grid index
	adj := make([][]int, len(d.Grids))
	for i, g := range d.Grids {
		r := parseRing(t, g)
		for k := 0; k+1 < len(r); k++ {
			e := edge{r[k], r[k+1]}
			if j, ok := owner[edge{r[k+1], r[k]}]; ok {
				adj[i] = append(adj[i], j)
				adj[j] = append(adj[j], i)
			}
			owner[e] = i
		}
	}
	connected := func(name string, member func(model.Grid) bool) {
		var first = -1
		n := 0
		for i, g := range d.Grids {
			if member(g) {
				n++
				if first < 0 {
					first = i
				}
			}
		}
		seen := map[int]bool{first: true}
		stack := []int{first}
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, j := range adj[i] {
				if !seen[j] && member(d.Grids[j]) {
					seen[j] = true
					stack = append(stack, j)
				}
			}
		}
		if len(seen) != n {
			t.Errorf("%s: %d of %d grids connected", name, len(seen), n)
		}
	}
	for _, c := range d.OfKind(model.OrgCommunity, model.OrgVillage) {
		connected(c.Name, func(g model.Grid) bool { return g.CommunityID == c.ID })
	}
	for _, s := range d.Streets() {
		connected(s.Name, func(g model.Grid) bool { return g.StreetID == s.ID })
	}
	connected("district", func(model.Grid) bool { return true })
}

func TestCategories(t *testing.T) {
	d := built
	byID := map[int64]model.Category{}
	codes := map[string]bool{}
	children := map[int64][]model.Category{}
	for i, c := range d.Categories {
		if c.ID != int64(i+1) {
			t.Fatalf("category %d has ID %d", i, c.ID)
		}
		if codes[c.Code] {
			t.Errorf("duplicate category code %s", c.Code)
		}
		codes[c.Code] = true
		if c.ParentID != 0 {
			if _, ok := byID[c.ParentID]; !ok {
				t.Errorf("%s: parent %d missing or after it", c.Name, c.ParentID)
			}
			children[c.ParentID] = append(children[c.ParentID], c)
		}
		byID[c.ID] = c
	}
	kinds := map[model.CategoryKind]int{}
	for _, c := range d.Categories {
		if c.Deadline.Amount <= 0 || !slices.Contains([]model.DeadlineKind{model.DeadlineNaturalDays, model.DeadlineWorkingDays, model.DeadlineWorkingHours, model.DeadlineUrgentHours}, c.Deadline.Kind) {
			t.Errorf("%s: deadline %+v", c.Name, c.Deadline)
		}
		wantType, wantPublic := CaseTypeCity, true
		if c.Kind == model.CategoryDomain {
			wantType, wantPublic = CaseTypeRectification, false
		}
		if c.CaseType != wantType || c.Public != wantPublic || c.Name == "" || c.NameEn == "" {
			t.Errorf("category %+v", c)
		}
		kids := children[c.ID]
		if len(kids) > 0 {
			if c.DefaultUnitID != 0 {
				t.Errorf("parent %s has default unit %d", c.Name, c.DefaultUnitID)
			}
			for _, k := range kids {
				if k.Kind != c.Kind || k.CaseType != c.CaseType || !strings.HasPrefix(k.Code, c.Code) {
					t.Errorf("%s (%s %s) under %s (%s %s)", k.Name, k.Kind, k.Code, c.Name, c.Kind, c.Code)
				}
			}
			continue
		}
		kinds[c.Kind]++
		if c.DefaultUnitID != 0 {
			if u, ok := d.OrgUnit(c.DefaultUnitID); !ok || u.Kind != model.OrgDepartment {
				t.Errorf("%s: default unit %d is not a department", c.Name, c.DefaultUnitID)
			}
		}
	}
	if kinds[model.CategoryComponent] < 15 || kinds[model.CategoryEvent] < 20 || kinds[model.CategoryDomain] != 14 {
		t.Errorf("leaves by kind: %v", kinds)
	}
	if len(d.Leaves()) != kinds[model.CategoryComponent]+kinds[model.CategoryEvent]+kinds[model.CategoryDomain] {
		t.Errorf("Leaves() = %d", len(d.Leaves()))
	}
	for _, name := range []string{"校园餐", "乡村振兴资金", "农村供水", "农村集体三资", "殡葬", "医保基金", "养老服务", "涉企执法", "工程项目建设", "物业", "欠薪", "不动产登记", "社会救助", "充电桩"} {
		found := false
		for _, c := range d.Categories {
			if c.Name == name && c.Kind == model.CategoryDomain {
				found = true
			}
		}
		if !found {
			t.Errorf("no domain %s", name)
		}
	}
	unitOf := func(code string) string {
		c, ok := d.Category(code)
		if !ok {
			t.Fatalf("no category %s", code)
		}
		if c.DefaultUnitID == 0 {
			return "属地"
		}
		u, _ := d.OrgUnit(c.DefaultUnitID)
		return u.Name
	}
	for code, want := range map[string]string{"0105": "区城市管理局", "Z11": "区人力资源和社会保障局", "Z06": "区医疗保障局", "Z01": "区教育局", "E0501": "属地"} {
		if got := unitOf(code); got != want {
			t.Errorf("category %s routes to %s, want %s", code, got, want)
		}
	}
	if c, _ := d.Category("E0401"); c.Deadline != (model.DeadlineRule{Kind: model.DeadlineUrgentHours, Amount: 2}) {
		t.Errorf("路面塌陷 deadline %+v", c.Deadline)
	}
	if c, _ := d.Category("E0404"); c.Name != "路面积水" || c.Deadline != (model.DeadlineRule{Kind: model.DeadlineWorkingHours, Amount: 24}) {
		t.Errorf("路面积水 %+v", c)
	}
}

func TestUsers(t *testing.T) {
	d := built
	names := map[string]bool{}
	display := map[string]bool{}
	roles := map[model.Role]int{}
	unitOrgs := map[int64]bool{}
	for _, u := range d.Users {
		if names[u.Username] || display[u.DisplayName] {
			t.Errorf("duplicate user %+v", u)
		}
		names[u.Username], display[u.DisplayName] = true, true
		if !u.Role.Valid() || u.DisplayName == "" {
			t.Errorf("user %+v", u)
		}
		roles[u.Role]++
		o, ok := d.OrgUnit(u.OrgID)
		if !ok {
			t.Errorf("user %s: no org %d", u.Username, u.OrgID)
			continue
		}
		switch u.Role {
		case model.RoleGridWorker:
			if o.Kind != model.OrgGrid {
				t.Errorf("grid worker %s in %s", u.Username, o.Kind)
			}
		case model.RoleUnit:
			if o.Kind != model.OrgDepartment && o.Kind != model.OrgStreet && o.Kind != model.OrgTownship {
				t.Errorf("unit user %s in %s", u.Username, o.Kind)
			}
			unitOrgs[o.ID] = true
		case model.RoleDiscipline:
			if o.Name != "区纪委监委" {
				t.Errorf("discipline user %s in %s", u.Username, o.Name)
			}
		default:
			if o.Kind != model.OrgDistrict {
				t.Errorf("%s user %s in %s", u.Role, u.Username, o.Kind)
			}
		}
	}
	for _, r := range model.Roles {
		if roles[r] == 0 {
			t.Errorf("no user with role %s", r)
		}
	}
	if roles[model.RoleGridWorker] < 20 {
		t.Errorf("%d grid workers, want ≥ 20", roles[model.RoleGridWorker])
	}
	for _, o := range append(d.Streets(), d.Departments()...) {
		if !unitOrgs[o.ID] && o.Name != "区纪委监委" {
			t.Errorf("%s has no unit user", o.Name)
		}
	}
	for _, name := range []string{"admin", "operator1", "operator2", "supervisor", "dispatcher", "leader", "discipline", "chengguan", "leping", "wgy001"} {
		if _, ok := d.User(name); !ok {
			t.Errorf("no user %s", name)
		}
	}
	if u, _ := d.User("chengguan"); u.OrgID != mustOrg(t, d, "区城市管理局").ID {
		t.Errorf("chengguan in org %d", u.OrgID)
	}
	if u, _ := d.User("leping"); u.OrgID != mustOrg(t, d, "乐坪街道").ID {
		t.Errorf("leping in org %d", u.OrgID)
	}
}

func mustOrg(t *testing.T, d *District, name string) model.OrgUnit {
	t.Helper()
	o, ok := d.OrgByName(name)
	if !ok {
		t.Fatalf("no org %s", name)
	}
	return o
}

func TestGridCenter(t *testing.T) {
	d := built
	for _, g := range d.Grids {
		lat, lng, ok := d.GridCenter(g.OrgID)
		if !ok {
			t.Fatalf("GridCenter(%d) failed", g.OrgID)
		}
		if in, _ := inside(parseRing(t, g), [2]float64{lng, lat}); !in {
			t.Errorf("centre %.6f,%.6f of %s is not inside it", lat, lng, g.Name)
		}
	}
	if _, _, ok := d.GridCenter(1); ok {
		t.Error("GridCenter of the district root succeeded")
	}
}
