package sqlstore_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// testGeo runs the geography store methods on one store: grid versions
// (create, update, retire, revive), rules with history, components,
// addresses, case placement and the generation counter.
func testGeo(t *testing.T, st store.Store) {
	ctx := context.Background()
	if err := st.LoadReference(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	gen := func() int64 {
		g, err := st.GeoGeneration(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	if gen() != 0 {
		t.Fatalf("fresh store at generation %d", gen())
	}
	t0 := time.UnixMilli(1_780_000_000_000)
	geom := func(x float64) string {
		return `{"type":"Polygon","coordinates":[[[` + ftoa(x) + `,27.73],[111.99,27.73],[111.99,27.74],[` + ftoa(x) + `,27.74],[` + ftoa(x) + `,27.73]]]}`
	}

	// Update the fixture's grid: its initial state becomes version 1.
	g := storetest.Fixture().Grids[0]
	g.Name, g.Geometry = "新星社区第01网格（调整）", geom(111.981)
	if _, err := st.ApplyGridChanges(ctx, store.GridChanges{At: t0, By: 0, Source: "a.geojson", Update: []model.Grid{g}}); err != nil {
		t.Fatal(err)
	}
	// Create a new grid.
	ng := model.Grid{Code: model.GridCode{Admin: "431302", Street: "001", Community: "001", Seq: "02"}, Name: "新网格", CommunityID: 3, StreetID: 2, Geometry: geom(111.97), AreaM2: 5}
	ids, err := st.ApplyGridChanges(ctx, store.GridChanges{At: t0.Add(time.Hour), Create: []model.Grid{ng}})
	if err != nil || len(ids) != 1 || ids[0] == 0 {
		t.Fatalf("create: %v %v", ids, err)
	}
	newID := ids[0]
	grids, _ := st.ListGrids(ctx)
	if len(grids) != 2 || grids[0].Name != g.Name || grids[0].Geometry != g.Geometry || grids[1].OrgID != newID {
		t.Fatalf("grids after update and create: %+v", grids)
	}
	orgs, _ := st.ListOrgUnits(ctx)
	if o := orgs[slices.IndexFunc(orgs, func(o model.OrgUnit) bool { return o.ID == newID })]; o.Kind != model.OrgGrid || o.ParentID != 3 || o.Code != ng.Code.String() {
		t.Fatalf("new grid's org unit: %+v", o)
	}
	vs, err := st.GridVersions(ctx, g.OrgID)
	if err != nil || len(vs) != 2 || vs[0].Change != "initial" || !vs[0].ValidFrom.IsZero() || !vs[0].ValidTo.Equal(t0) ||
		vs[1].Change != "updated" || !vs[1].ValidFrom.Equal(t0) || !vs[1].ValidTo.IsZero() || vs[1].Source != "a.geojson" {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	// Retire the new grid, then revive it under the same org id.
	t2 := t0.Add(2 * time.Hour)
	if _, err := st.ApplyGridChanges(ctx, store.GridChanges{At: t2, Retire: []int64{newID}}); err != nil {
		t.Fatal(err)
	}
	if grids, _ := st.ListGrids(ctx); len(grids) != 1 {
		t.Fatalf("retired grid still listed: %d", len(grids))
	}
	ng.OrgID = newID
	ids, err = st.ApplyGridChanges(ctx, store.GridChanges{At: t2.Add(time.Hour), Create: []model.Grid{ng}})
	if err != nil || ids[0] != newID {
		t.Fatalf("revive: %v %v", ids, err)
	}
	vs, _ = st.GridVersions(ctx, newID)
	if len(vs) != 2 || vs[0].Change != "created" || !vs[0].ValidTo.Equal(t2) || vs[1].Change != "revived" {
		t.Fatalf("revived versions: %+v", vs)
	}
	// A code taken twice is a conflict and writes nothing.
	dup := ng
	dup.OrgID = 0
	if _, err := st.ApplyGridChanges(ctx, store.GridChanges{At: t2, Create: []model.Grid{dup}}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate code: %v", err)
	}
	if gen() != 4 {
		t.Fatalf("generation %d after four writes", gen())
	}

	// Rules: the fixture's rule gets history on its first change.
	rules, err := st.ListRules(ctx)
	if err != nil || len(rules) != 1 || rules[0].UnitID != 5 || len(rules[0].CoUnitIDs) != 0 {
		t.Fatalf("rules: %+v %v", rules, err)
	}
	r := rules[0]
	r.CoUnitIDs, r.Note, r.UpdatedAt = []int64{2}, "加协办", t0
	if err := st.UpdateRule(ctx, r, 7); err != nil {
		t.Fatal(err)
	}
	nr := store.Rule{RoutingRule: model.RoutingRule{CategoryID: 2, AreaID: 3, UnitID: 2}, CoUnitIDs: []int64{5, 1}, UpdatedAt: t0}
	if err := st.CreateRule(ctx, &nr, 7); err != nil || nr.ID == 0 {
		t.Fatalf("create rule: %v", err)
	}
	clash := store.Rule{RoutingRule: model.RoutingRule{CategoryID: 2, AreaID: 3, UnitID: 5}, UpdatedAt: t0}
	if err := st.CreateRule(ctx, &clash, 7); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second rule for the same category and area: %v", err)
	}
	if err := st.DeleteRule(ctx, nr.ID, t0.Add(time.Minute), 8); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteRule(ctx, nr.ID, t0, 8); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if err := st.UpdateRule(ctx, store.Rule{RoutingRule: model.RoutingRule{ID: 999, CategoryID: 2, AreaID: 2, UnitID: 5}}, 7); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	rv, _ := st.RuleVersions(ctx, r.ID)
	if len(rv) != 2 || rv[0].Version != 1 || !rv[0].ValidFrom.IsZero() || !rv[0].ValidTo.Equal(t0) || !slices.Equal(rv[1].CoUnitIDs, []int64{2}) || rv[1].ChangedBy != 7 {
		t.Fatalf("rule versions: %+v", rv)
	}
	rv, _ = st.RuleVersions(ctx, nr.ID)
	if len(rv) != 1 || !rv[0].Deleted || !slices.Equal(rv[0].CoUnitIDs, []int64{5, 1}) {
		t.Fatalf("deleted rule's versions: %+v", rv)
	}
	if rules, _ := st.ListRules(ctx); len(rules) != 1 || rules[0].Note != "加协办" || !slices.Equal(rules[0].CoUnitIDs, []int64{2}) {
		t.Fatalf("rules now: %+v", rules)
	}

	// Components: upsert by code, remove.
	c1 := store.Component{Code: "4313020101000001", CategoryID: 2, Name: "井盖1", MaintainerUnitID: 5, OwnerName: "某水务公司", Lat: 27.735, Lng: 111.985, UpdatedAt: t0}
	c2 := store.Component{Code: "4313020101000002", CategoryID: 2, Lat: 27.736, Lng: 111.986, UpdatedAt: t0}
	if err := st.ApplyComponents(ctx, []store.Component{c1, c2}, nil); err != nil {
		t.Fatal(err)
	}
	c1.Name, c1.Status = "井盖一号", "破损"
	if err := st.ApplyComponents(ctx, []store.Component{c1}, []string{c2.Code}); err != nil {
		t.Fatal(err)
	}
	cs, _ := st.ListComponents(ctx)
	if len(cs) != 1 || cs[0].Name != "井盖一号" || cs[0].Status != "破损" || cs[0].MaintainerUnitID != 5 || cs[0].OwnerName != "某水务公司" || cs[0].Lat != 27.735 || !cs[0].UpdatedAt.Equal(t0) {
		t.Fatalf("components: %+v", cs)
	}

	// Addresses: upsert by text, remove by id.
	a1 := store.Address{Text: "乐坪大道1号", Lat: 27.735, Lng: 111.985, StreetID: 2, CommunityID: 3, GridID: 4}
	a2 := store.Address{Text: "乐坪大道3号", Alias: "新星小区", Lat: 27.7351, Lng: 111.9851}
	if err := st.ApplyAddresses(ctx, []store.Address{a1, a2}, nil); err != nil {
		t.Fatal(err)
	}
	as, _ := st.ListAddresses(ctx)
	if len(as) != 2 || as[0].Text != a1.Text || as[0].GridID != 4 || as[1].Alias != "新星小区" {
		t.Fatalf("addresses: %+v", as)
	}
	a1.Lat = 27.7355
	if err := st.ApplyAddresses(ctx, []store.Address{a1}, []int64{as[1].ID}); err != nil {
		t.Fatal(err)
	}
	if as, _ = st.ListAddresses(ctx); len(as) != 1 || as[0].Lat != 27.7355 || as[0].ID == 0 {
		t.Fatalf("addresses after update: %+v", as)
	}

	// Case placement.
	cs0, ev := storetest.NewCase(1, t0)
	if err := st.CreateCase(ctx, &cs0, &ev, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CasePlace(ctx, cs0.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unrecorded placement: %v", err)
	}
	p := store.CasePlace{CaseID: cs0.ID, GridVersion: 2, RuleID: r.ID, RuleVersion: 2, CoUnitIDs: []int64{2}, ComponentCode: c1.Code, ComponentM: 4.5, Exact: true}
	if err := st.PutCasePlace(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got, err := st.CasePlace(ctx, cs0.ID); err != nil || got.ComponentCode != c1.Code || !slices.Equal(got.CoUnitIDs, []int64{2}) || got.ComponentM != 4.5 || !got.Exact || got.Fallback {
		t.Fatalf("placement: %+v %v", got, err)
	}
	before := gen()
	if err := st.BumpGeoGeneration(ctx); err != nil || gen() != before+1 {
		t.Fatalf("bump: %v, %d → %d", err, before, gen())
	}
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func TestGeoSQLite(t *testing.T) { testGeo(t, openSQLite(t)) }

func TestGeoPostgres(t *testing.T) { testGeo(t, openPostgres(t)) }
