package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/yiwang-gov/yiwang/internal/demo"
	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/i18n"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

var admin = model.User{ID: 1, Username: "admin", Role: model.RoleAdmin}

// geoFixture is the demo district's reference data (no cases) in a fresh
// SQLite store, with a service over it.
type geoFixture struct {
	t   testing.TB
	st  store.Store
	svc *service.Service
	d   *demo.District
	now time.Time
}

func newGeoFixture(t testing.TB) *geoFixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "geo.db"), sqlstore.SQLiteOptions{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d := demo.Build()
	if err := st.LoadReference(ctx, store.Reference{Org: d.Org, Grids: d.Grids, Categories: d.Categories}); err != nil {
		t.Fatal(err)
	}
	f := &geoFixture{t: t, st: st, d: d, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	wf, err := workflow.Default()
	if err != nil {
		t.Fatal(err)
	}
	f.svc, err = service.New(ctx, service.Deps{Store: st, Workflows: wf, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// feature is one GeoJSON feature of an import file.
type feature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties map[string]any  `json:"properties"`
}

func gridFeature(g model.Grid, ref *service.Reference) feature {
	return feature{Type: "Feature", Geometry: json.RawMessage(g.Geometry), Properties: map[string]any{
		"code": g.Code.String(), "name": g.Name, "community": ref.OrgName(g.CommunityID), "street": ref.OrgName(g.StreetID)}}
}

func collection(fs []feature) []byte {
	b, _ := json.Marshal(map[string]any{"type": "FeatureCollection", "features": fs})
	return b
}

// communityGrids returns the demo grids of the community of grid k.
func (f *geoFixture) communityGrids(commID int64) []model.Grid {
	var out []model.Grid
	for _, g := range f.d.Grids {
		if g.CommunityID == commID {
			out = append(out, g)
		}
	}
	return out
}

func (f *geoFixture) features(gs []model.Grid) []feature {
	out := make([]feature, len(gs))
	for i, g := range gs {
		out[i] = gridFeature(g, f.svc.Ref())
	}
	return out
}

func (f *geoFixture) importGrids(data []byte, opt service.GridImportOptions) *service.ImportReport {
	f.t.Helper()
	rep, err := f.svc.ImportGrids(context.Background(), admin, data, opt)
	if err != nil {
		f.t.Fatalf("ImportGrids: %v", err)
	}
	cat, err := i18n.Load()
	if err != nil {
		f.t.Fatal(err)
	}
	rep.Localize(cat)
	return rep
}

func geom(mp orb.MultiPolygon) json.RawMessage {
	var coords any = mp
	typ := "MultiPolygon"
	if len(mp) == 1 {
		coords, typ = mp[0], "Polygon"
	}
	b, _ := json.Marshal(map[string]any{"type": typ, "coordinates": coords})
	return b
}

func parse(t testing.TB, g model.Grid) orb.MultiPolygon {
	mp, err := geo.ParseGeometry([]byte(g.Geometry))
	if err != nil {
		t.Fatal(err)
	}
	return mp
}

// shrink scales every ring towards the first ring's vertex mean.
func shrink(mp orb.MultiPolygon, k float64) orb.MultiPolygon {
	var cx, cy float64
	r0 := mp[0][0][:len(mp[0][0])-1]
	for _, p := range r0 {
		cx, cy = cx+p[0]/float64(len(r0)), cy+p[1]/float64(len(r0))
	}
	out := orb.MultiPolygon{}
	for _, poly := range mp {
		var np orb.Polygon
		for _, r := range poly {
			var nr orb.Ring
			for _, p := range r {
				nr = append(nr, orb.Point{cx + (p[0]-cx)*k, cy + (p[1]-cy)*k})
			}
			np = append(np, nr)
		}
		out = append(out, np)
	}
	return out
}

func shift(mp orb.MultiPolygon, dx, dy float64) orb.MultiPolygon {
	out := orb.MultiPolygon{}
	for _, poly := range mp {
		var np orb.Polygon
		for _, r := range poly {
			var nr orb.Ring
			for _, p := range r {
				nr = append(nr, orb.Point{p[0] + dx, p[1] + dy})
			}
			np = append(np, nr)
		}
		out = append(out, np)
	}
	return out
}

// interiorGrid finds a demo grid surrounded by grids of its own community.
func (f *geoFixture) interiorGrid() (model.Grid, []model.Grid) {
	f.t.Helper()
	for _, g := range f.d.Grids {
		comm := f.communityGrids(g.CommunityID)
		var parts []orb.MultiPolygon
		for _, o := range comm {
			if o.OrgID != g.OrgID {
				parts = append(parts, parse(f.t, o))
			}
		}
		if len(geo.Gaps(parts, 1)) == 1 {
			return g, comm
		}
	}
	f.t.Fatal("the demo district has no interior grid")
	return model.Grid{}, nil
}

func problemCodes(fr service.FeatureReport) []string {
	var out []string
	for _, p := range fr.Problems {
		out = append(out, p.Code)
	}
	return out
}

// checkMessages: every problem has both messages, formatted (no missing
// arguments, no raw catalogue key).
func checkMessages(t *testing.T, rep *service.ImportReport) {
	t.Helper()
	all := slices.Clone(rep.Problems)
	for _, f := range rep.Features {
		all = append(all, f.Problems...)
	}
	for _, p := range all {
		for _, m := range []string{p.Message, p.MessageEn} {
			if m == "" || strings.Contains(m, "%!") || strings.HasPrefix(m, "geo.problem.") {
				t.Errorf("problem %s: bad message %q", p.Code, m)
			}
		}
		if p.Message == p.MessageEn {
			t.Errorf("problem %s: the Chinese and English messages are the same: %q", p.Code, p.Message)
		}
	}
}

// TestImportGridErrors checks each validation error, its message in both
// languages, and that an invalid file writes nothing.
func TestImportGridErrors(t *testing.T) {
	f := newGeoFixture(t)
	ref := f.svc.Ref()
	base := f.d.Grids[0]                 // 乐坪街道 新星社区 第01网格
	other := f.d.Grids[len(f.d.Grids)-1] // a grid of another street
	ok := func() feature { return gridFeature(base, ref) }
	with := func(mut func(*feature)) feature { x := ok(); x.Properties = maps(x.Properties); mut(&x); return x }
	mp := parse(t, base)
	far := shift(mp, 0.5, 0) // nowhere near another grid

	cases := []struct {
		name   string
		feats  []feature
		raw    string // a whole file, instead of feats
		at     int    // feature index the problem is on (-1: file level)
		code   string
		zh, en string // substrings of the messages
	}{
		{name: "not a collection", raw: `{"type":"Feature"}`, at: -1, code: "not_feature_collection", zh: "FeatureCollection", en: "not a GeoJSON FeatureCollection"},
		{name: "not JSON", raw: `{"type":`, at: -1, code: "not_feature_collection", zh: "FeatureCollection", en: "FeatureCollection"},
		{name: "empty", raw: `{"type":"FeatureCollection","features":[]}`, at: -1, code: "no_features", zh: "没有任何要素", en: "no features"},
		{name: "not a feature", feats: []feature{{Type: "Point"}}, code: "not_feature", zh: "不是 Feature", en: "not Feature"},
		{name: "no geometry", feats: []feature{with(func(x *feature) { x.Geometry = json.RawMessage("null") })}, code: "geometry_missing", zh: "缺少几何", en: "geometry is missing"},
		{name: "point", feats: []feature{with(func(x *feature) { x.Geometry = json.RawMessage(`{"type":"Point","coordinates":[111.99,27.73]}`) })}, code: "geometry_type", zh: "Point", en: `"Point" is not supported`},
		{name: "bad position", feats: []feature{with(func(x *feature) { x.Geometry = json.RawMessage(`{"type":"Polygon","coordinates":[[["a",1]]]}`) })}, code: "invalid_position", zh: "坐标", en: "malformed coordinates"},
		{name: "unclosed ring", feats: []feature{with(func(x *feature) {
			r := mp[0][0]
			x.Geometry = geom(orb.MultiPolygon{{r[:len(r)-1]}})
		})}, code: geo.ProblemRingNotClosed, zh: "未闭合", en: "not closed"},
		{name: "self-intersection", feats: []feature{with(func(x *feature) {
			r := slices.Clone(mp[0][0])
			r[1], r[2] = r[2], r[1] // a bow tie
			x.Geometry = geom(orb.MultiPolygon{{r}})
		})}, code: geo.ProblemSelfIntersection, zh: "自相交", en: "intersects itself"},
		{name: "hole outside", feats: []feature{with(func(x *feature) {
			x.Geometry = geom(orb.MultiPolygon{{mp[0][0], shift(shrink(mp, 0.2), 0.1, 0)[0][0]}})
		})}, code: geo.ProblemHoleOutsideShell, zh: "不在外环", en: "not inside its outer ring"},
		{name: "no code", feats: []feature{with(func(x *feature) { delete(x.Properties, "code") })}, code: "code_missing", zh: "缺少编码", en: "code (properties.code) is missing"},
		{name: "13 digits", feats: []feature{with(func(x *feature) { x.Properties["code"] = "4313020010010" })}, code: "code_invalid", zh: "应为 14 位数字", en: "must be 14 digits"},
		{name: "15 digits", feats: []feature{with(func(x *feature) { x.Properties["code"] = "431302001001001" })}, code: "code_invalid", zh: "2 位序号", en: "2 sequence"},
		{name: "letters", feats: []feature{with(func(x *feature) { x.Properties["code"] = "43130200100A01" })}, code: "code_invalid", zh: "43130200100A01", en: "43130200100A01"},
		{name: "other county", feats: []feature{with(func(x *feature) { x.Properties["code"] = "43130300100101" })}, code: "code_admin_mismatch", zh: "431303", en: "not this county's 431302"},
		{name: "duplicate", feats: []feature{ok(), with(func(x *feature) { x.Geometry = geom(far) })}, at: 1, code: "code_duplicate", zh: "与第 1 个要素重复", en: "already appears in feature 1"},
		{name: "street part", feats: []feature{with(func(x *feature) { x.Properties["code"] = "43130209900101"; delete(x.Properties, "street") })}, code: "code_street_unknown", zh: "099", en: "street/township part 099"},
		{name: "community part", feats: []feature{with(func(x *feature) { x.Properties["code"] = "43130200109901"; delete(x.Properties, "community") })}, code: "code_community_unknown", zh: "099", en: "099 does not exist in 乐坪街道"},
		{name: "street name", feats: []feature{with(func(x *feature) { x.Properties["street"] = "幸福街道" })}, code: "street_unknown", zh: "幸福街道", en: `"幸福街道" does not exist`},
		{name: "street mismatch", feats: []feature{with(func(x *feature) { x.Properties["street"] = ref.OrgName(other.StreetID) })}, code: "street_mismatch", zh: "乐坪街道", en: "does not match the code's street"},
		{name: "community name", feats: []feature{with(func(x *feature) { x.Properties["community"] = "无名社区" })}, code: "community_unknown", zh: "无名社区", en: `"无名社区" does not exist`},
		{name: "community mismatch", feats: []feature{with(func(x *feature) { x.Properties["community"] = ref.OrgName(other.CommunityID) })}, code: "community_mismatch", zh: ref.OrgName(base.CommunityID), en: "does not match the code's community"},
		{name: "no name", feats: []feature{with(func(x *feature) { x.Properties["name"] = " " })}, code: "name_missing", zh: "缺少网格名称", en: "name (properties.name) is missing"},
		{name: "overlap with a kept grid", feats: []feature{with(func(x *feature) {
			x.Properties["code"] = "43130200100199"
			x.Geometry = geom(shift(mp, (mp.Bound().Max[0]-mp.Bound().Min[0])/2, 0))
		})}, code: "overlap", zh: "与网格 43130200100101 重叠", en: "Overlaps grid 43130200100101 by"},
	}
	before, _ := f.st.ListGrids(context.Background())
	gen0, _ := f.st.GeoGeneration(context.Background())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte(tc.raw)
			if tc.raw == "" {
				data = collection(tc.feats)
			}
			rep := f.importGrids(data, service.GridImportOptions{})
			if rep.Status != service.ImportInvalid || rep.Errors == 0 {
				t.Fatalf("status %s with %d errors, want invalid", rep.Status, rep.Errors)
			}
			checkMessages(t, rep)
			var ps []service.Problem
			if tc.at < 0 {
				ps = rep.Problems
			} else {
				ps = rep.Features[tc.at].Problems
				if rep.Features[tc.at].Status != service.ImportInvalid {
					t.Errorf("feature status %q", rep.Features[tc.at].Status)
				}
			}
			var found, matched bool
			for _, p := range ps {
				if p.Code != tc.code {
					continue
				}
				found = true
				matched = matched || strings.Contains(p.Message, tc.zh) && strings.Contains(p.MessageEn, tc.en)
				if p.Severity != service.SeverityError {
					t.Errorf("%s is a %s", tc.code, p.Severity)
				}
			}
			if !found || !matched {
				t.Errorf("no %s problem with messages containing %q / %q; got %+v", tc.code, tc.zh, tc.en, ps)
			}
		})
	}
	// A gap: an interior grid shrunk leaves a ring of nobody's land.
	t.Run("gap", func(t *testing.T) {
		g, comm := f.interiorGrid()
		fs := f.features(comm)
		k := slices.IndexFunc(comm, func(x model.Grid) bool { return x.OrgID == g.OrgID })
		fs[k].Geometry = geom(shrink(parse(t, g), 0.8))
		rep := f.importGrids(collection(fs), service.GridImportOptions{})
		checkMessages(t, rep)
		if rep.Status != service.ImportInvalid || !slices.Contains(problemCodes(rep.Features[k]), "gap") {
			t.Fatalf("status %s, feature problems %v\n%s", rep.Status, problemCodes(rep.Features[k]), rep.Text("en"))
		}
		p := rep.Features[k].Problems[0]
		name := ref.OrgName(g.CommunityID)
		if !strings.Contains(p.Message, name) || !strings.Contains(p.Message, "平方米的空隙") || !strings.Contains(p.MessageEn, "has a gap of") {
			t.Errorf("gap messages %q / %q", p.Message, p.MessageEn)
		}
		// Its neighbours bound the gap too.
		n := 0
		for _, fr := range rep.Features {
			if slices.Contains(problemCodes(fr), "gap") {
				n++
			}
		}
		if n < 3 {
			t.Errorf("gap reported on %d features, want the shrunk grid and its neighbours", n)
		}
		// Below the threshold it passes; allowed, it is a warning and the
		// import goes ahead.
		warn := f.importGrids(collection(fs), service.GridImportOptions{AllowGaps: true, DryRun: true})
		if warn.Status != service.ImportValid || warn.Warnings == 0 || warn.Errors != 0 {
			t.Errorf("allow_gaps: status %s, %d errors, %d warnings", warn.Status, warn.Errors, warn.Warnings)
		}
	})
	after, _ := f.st.ListGrids(context.Background())
	gen1, _ := f.st.GeoGeneration(context.Background())
	if !slices.EqualFunc(before, after, func(a, b model.Grid) bool { return a == b }) || gen0 != gen1 {
		t.Fatal("an invalid import wrote to the store")
	}
}

func maps(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestImportGridsRoundTripAndHistory: export → import is a no-op; a change
// keeps the grid's org id and its history; a case keeps its grid.
func TestImportGridsRoundTripAndHistory(t *testing.T) {
	f := newGeoFixture(t)
	ctx := context.Background()
	all := f.features(f.d.Grids)
	rep := f.importGrids(collection(all), service.GridImportOptions{RetireMissing: true})
	if rep.Status != service.ImportUnchanged || rep.Unchanged != len(all) || rep.Errors+rep.Warnings != 0 {
		t.Fatalf("re-import of the loaded grids: %s, %d unchanged, %d errors, %d warnings\n%s", rep.Status, rep.Unchanged, rep.Errors, rep.Warnings, rep.Text("en"))
	}
	gen0 := f.svc.Ref().Generation()

	// Change one grid: move a shared vertex? No — rename and reshape a
	// grid at the edge of the district so no neighbour is affected.
	g := f.d.Grids[5]
	orig := parse(t, g)
	changed := shrink(orig, 0.999) // a slightly smaller grid: a thin gap, under the threshold
	k := 5
	all[k].Geometry = geom(changed)
	all[k].Properties["name"] = g.Name + "（调整）"
	f.now = f.now.Add(time.Hour)
	rep = f.importGrids(collection(all), service.GridImportOptions{Source: "2026年调整.geojson"})
	if rep.Status != service.ImportImported || rep.Updated != 1 || rep.Unchanged != len(all)-1 {
		t.Fatalf("change: %s, %d updated, %d unchanged\n%s", rep.Status, rep.Updated, rep.Unchanged, rep.Text("en"))
	}
	if rep.Features[k].ID != g.OrgID || rep.Features[k].Status != "updated" {
		t.Errorf("changed grid reported as %+v", rep.Features[k])
	}
	ref := f.svc.Ref()
	if ref.Generation() == gen0 {
		t.Error("generation did not move")
	}
	if ref.Grids[g.OrgID].Name != g.Name+"（调整）" || ref.OrgName(g.OrgID) != g.Name+"（调整）" {
		t.Errorf("snapshot not rebuilt: %q", ref.Grids[g.OrgID].Name)
	}
	vs, err := f.svc.GridHistory(ctx, g.OrgID)
	if err != nil || len(vs) != 2 {
		t.Fatalf("history: %v %+v", err, vs)
	}
	if vs[0].Change != "initial" || vs[0].Geometry != g.Geometry || !vs[0].ValidTo.Equal(f.now) || vs[1].Change != "updated" ||
		!vs[1].ValidFrom.Equal(f.now) || !vs[1].ValidTo.IsZero() || vs[1].Source != "2026年调整.geojson" {
		t.Errorf("versions: %+v", vs)
	}
	// The same file again: nothing to do.
	rep = f.importGrids(collection(all), service.GridImportOptions{})
	if rep.Status != service.ImportUnchanged {
		t.Errorf("second import of the changed file: %s", rep.Status)
	}

	// Retire a grid, then bring it back: same org id.
	short := slices.Delete(slices.Clone(all), 3, 4)
	gone := f.d.Grids[3]
	rep = f.importGrids(collection(short), service.GridImportOptions{RetireMissing: true, AllowGaps: true})
	if rep.Status != service.ImportImported || rep.Removed != 1 || !slices.Equal(rep.RemovedCodes, []string{gone.Code.String()}) {
		t.Fatalf("retire: %s removed %v\n%s", rep.Status, rep.RemovedCodes, rep.Text("en"))
	}
	if _, ok := f.svc.Ref().Grids[gone.OrgID]; ok {
		t.Error("retired grid still routes")
	}
	if f.svc.Ref().OrgName(gone.OrgID) != gone.Name {
		t.Error("retired grid's org unit is gone (cases would lose their grid)")
	}
	rep = f.importGrids(collection(all), service.GridImportOptions{})
	if rep.Status != service.ImportImported || rep.Created != 1 || rep.Features[3].ID != gone.OrgID {
		t.Fatalf("revive: %s created %d id %d want %d", rep.Status, rep.Created, rep.Features[3].ID, gone.OrgID)
	}
	vs, _ = f.svc.GridHistory(ctx, gone.OrgID)
	if len(vs) != 2 || vs[1].Change != "revived" || vs[0].ValidTo.IsZero() {
		t.Errorf("revived history: %+v", vs)
	}
}

// TestImportGridsSeqWidth: Beijing's 15-digit codes once the sequence width is 3.
func TestImportGridsSeqWidth(t *testing.T) {
	f := newGeoFixture(t)
	g := f.d.Grids[0]
	x := gridFeature(g, f.svc.Ref())
	x.Properties["code"] = g.Code.String()[:12] + "901"
	x.Properties["name"] = "北京式编码网格"
	x.Geometry = geom(shift(parse(t, g), 0.5, 0))
	rep := f.importGrids(collection([]feature{x}), service.GridImportOptions{DryRun: true})
	if rep.Status != service.ImportInvalid || problemCodes(rep.Features[0])[0] != "code_invalid" {
		t.Fatalf("15 digits at width 2: %s %v", rep.Status, problemCodes(rep.Features[0]))
	}
	if _, err := f.svc.SetGeoConfig(context.Background(), admin, service.GeoConfig{SeqWidth: 3}); err != nil {
		t.Fatal(err)
	}
	rep = f.importGrids(collection([]feature{x}), service.GridImportOptions{})
	if rep.Status != service.ImportImported || rep.Created != 1 || rep.Kept != len(f.d.Grids) {
		t.Fatalf("15 digits at width 3: %s\n%s", rep.Status, rep.Text("en"))
	}
	ng := f.svc.Ref().Grids[rep.Features[0].ID]
	if ng.Code.Seq != "901" || ng.Code.Community != g.Code.Community {
		t.Errorf("code parts %+v", ng.Code)
	}
	if _, err := f.svc.SetGeoConfig(context.Background(), admin, service.GeoConfig{SeqWidth: 4}); err == nil {
		t.Error("sequence width 4 accepted")
	}
	if _, err := f.svc.SetGeoConfig(context.Background(), model.User{ID: 9, Role: model.RoleOperator}, service.GeoConfig{}); err != service.ErrForbidden {
		t.Errorf("an operator changed the settings: %v", err)
	}
}

func TestImportGridsAdminOnly(t *testing.T) {
	f := newGeoFixture(t)
	_, err := f.svc.ImportGrids(context.Background(), model.User{ID: 3, Role: model.RoleDispatcher}, []byte(`{}`), service.GridImportOptions{})
	if err != service.ErrForbidden {
		t.Fatalf("dispatcher import: %v", err)
	}
}

// TestReloadWhileLocating: lookups run on whatever snapshot is current
// while imports rebuild it (run with -race).
func TestReloadWhileLocating(t *testing.T) {
	f := newGeoFixture(t)
	g := f.d.Grids[20]
	lat, lng := f.centre(g)
	done := make(chan struct{})
	errs := make(chan string, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-done:
					errs <- ""
					return
				default:
				}
				if p := f.svc.Locate(lat, lng, 0); p.GridID != g.OrgID {
					errs <- fmt.Sprintf("located to %d", p.GridID)
					return
				}
				f.svc.Ref().SearchAddresses("乐坪大道", 5)
			}
		}()
	}
	fs := f.features(f.d.Grids)
	for i := range 5 {
		fs[0].Properties["name"] = fmt.Sprintf("并发改名%d", i)
		if rep := f.importGrids(collection(fs), service.GridImportOptions{}); rep.Status != service.ImportImported {
			t.Fatalf("import %d: %s", i, rep.Status)
		}
	}
	close(done)
	for range 4 {
		if e := <-errs; e != "" {
			t.Fatal(e)
		}
	}
}
