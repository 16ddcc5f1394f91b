package service_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

func (f *geoFixture) orgByName(name string) model.OrgUnit {
	f.t.Helper()
	for _, o := range f.d.Org {
		if o.Name == name {
			return o
		}
	}
	f.t.Fatalf("no org unit %s", name)
	return model.OrgUnit{}
}

func (f *geoFixture) centre(g model.Grid) (float64, float64) {
	lat, lng, ok := f.d.GridCenter(g.OrgID)
	if !ok {
		f.t.Fatalf("grid %s has no centre", g.Code)
	}
	return lat, lng
}

// TestPlaceOrder checks the order routing decides in: component
// maintainer, rule (area most specific first, then category), category
// default, 属地; and what RecordPlacement keeps for ExplainRouting.
func TestPlaceOrder(t *testing.T) {
	f := newGeoFixture(t)
	ctx := context.Background()
	g := f.d.Grids[0]
	lat, lng := f.centre(g)
	street, comm := f.orgByName("乐坪街道"), g.CommunityID
	cg, zj, jt := f.orgByName("区城市管理局"), f.orgByName("区住房和城乡建设局"), f.orgByName("区交通运输局")
	light, _ := f.d.Category("0105") // 路灯, default 城管
	lightParent, _ := f.d.Category("01")
	place := func() service.Placement { return f.svc.Ref().Place(lat, lng, light.ID, 30) }

	if p := place(); p.How != "category" || p.UnitID != cg.ID || p.GridID != g.OrgID || !p.Exact || p.Fallback {
		t.Fatalf("no rule: %+v", p)
	}
	// A rule on the parent category at district level.
	r1, err := f.svc.CreateRule(ctx, admin, service.RuleInput{Category: lightParent.Code, AreaID: f.d.Root().ID, UnitID: zj.ID})
	if err != nil {
		t.Fatal(err)
	}
	if p := place(); p.How != fmt.Sprintf("rule:%d", r1.ID) || p.UnitID != zj.ID {
		t.Fatalf("district rule on the parent: %+v", p)
	}
	// A street rule on the parent beats the district rule; a community
	// rule beats both, even on the parent category.
	r2, err := f.svc.CreateRule(ctx, admin, service.RuleInput{Category: lightParent.Code, AreaID: street.ID, UnitID: street.ID, CoUnitIDs: []int64{cg.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if p := place(); p.RuleID != r2.ID || p.UnitID != street.ID || len(p.CoUnitIDs) != 1 || p.CoUnitIDs[0] != cg.ID {
		t.Fatalf("street rule: %+v", p)
	}
	r3, err := f.svc.CreateRule(ctx, admin, service.RuleInput{CategoryID: lightParent.ID, AreaID: comm, UnitID: jt.ID})
	if err != nil {
		t.Fatal(err)
	}
	if p := place(); p.RuleID != r3.ID {
		t.Fatalf("community rule: %+v", p)
	}
	// Within the street's area a leaf rule beats the parent's.
	r4, err := f.svc.CreateRule(ctx, admin, service.RuleInput{Category: light.Code, AreaID: comm, UnitID: cg.ID})
	if err != nil {
		t.Fatal(err)
	}
	if p := place(); p.RuleID != r4.ID {
		t.Fatalf("leaf rule in the community: %+v", p)
	}
	// A street light's maintainer beats every rule.
	err = f.st.ApplyComponents(ctx, []store.Component{{Code: "4313020105999999", CategoryID: light.ID, MaintainerUnitID: jt.ID, Lat: lat + 0.00005, Lng: lng, UpdatedAt: f.now}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ReloadIfChanged(ctx); err != nil {
		t.Fatal(err)
	}
	p := place()
	if p.How != "component" || p.UnitID != jt.ID || p.ComponentCode != "4313020105999999" || p.ComponentM < 5 || p.ComponentM > 6 {
		t.Fatalf("component: %+v", p)
	}
	// Other categories do not attach to it.
	hydrant, _ := f.d.Category("0106")
	if p := f.svc.Ref().Place(lat, lng, hydrant.ID, 30); p.ComponentCode != "" {
		t.Fatalf("hydrant attached to a street light: %+v", p)
	}

	// A case routed by the street rule, its placement recorded.
	south := f.d.Grids[0]
	for _, x := range f.d.Grids {
		if x.StreetID == street.ID && x.CommunityID != comm {
			south = x
			break
		}
	}
	slat, slng := f.centre(south)
	op := model.User{ID: 2, Role: model.RoleOperator, DisplayName: "受理员"}
	c, _, err := f.svc.CreateCase(ctx, op, service.CreateCase{Category: light.Code, Description: "路灯不亮", Lat: &slat, Lng: &slng, Channel: model.ChannelHotline})
	if err != nil {
		t.Fatal(err)
	}
	if c.Routing != fmt.Sprintf("rule:%d", r2.ID) || c.UnitID != street.ID {
		t.Fatalf("case routed %s to %d", c.Routing, c.UnitID)
	}
	// CreateCase recorded the placement (rule version, co-units) itself.
	ex, err := f.svc.ExplainRouting(ctx, c)
	if err != nil || !ex.Recorded || ex.RuleID != r2.ID || ex.Rule == nil || len(ex.CoUnitIDs) != 1 {
		t.Fatalf("explanation after intake: %+v %v", ex, err)
	}
	f.now = f.now.Add(time.Minute)
	if _, err := f.svc.UpdateRule(ctx, admin, r2.ID, service.RuleInput{Category: lightParent.Code, AreaID: street.ID, UnitID: street.ID}); err != nil {
		t.Fatal(err)
	}
	ex, err = f.svc.ExplainRouting(ctx, c)
	if err != nil || !ex.Recorded || ex.Rule == nil || ex.Rule.Version != 1 || len(ex.CoUnitIDs) != 1 || ex.CoUnitIDs[0] != cg.ID {
		t.Fatalf("explanation after the rule changed: %+v %v", ex, err)
	}
	hist, err := f.svc.RuleHistory(ctx, admin, r2.ID)
	if err != nil || len(hist) != 2 || hist[1].Version != 2 || len(hist[1].CoUnitIDs) != 0 {
		t.Fatalf("history %+v %v", hist, err)
	}
	if _, err := f.svc.CreateRule(ctx, admin, service.RuleInput{Category: light.Code, AreaID: comm, UnitID: zj.ID}); err == nil {
		t.Fatal("a second rule for the same category and area")
	}
	if err := f.svc.DeleteRule(ctx, admin, 999); !errors.Is(err, service.ErrNotFound) {
		t.Fatalf("delete unknown: %v", err)
	}
}

// TestPlaceFallback: off every grid beyond the tolerance, the street whose
// area holds the point, else the district.
func TestPlaceFallback(t *testing.T) {
	f := newGeoFixture(t)
	ref := f.svc.Ref()
	p := ref.Place(27.0, 111.0, 0, 30) // far outside the district
	if !p.Fallback || p.GridID != 0 || p.UnitID != f.d.Root().ID || p.How != "territorial" {
		t.Fatalf("far away: %+v", p)
	}
	g := f.d.Grids[10]
	lat, lng := f.centre(g)
	if p := ref.Place(lat, lng, 0, 30); p.Fallback || p.UnitID != g.StreetID || p.GridID != g.OrgID {
		t.Fatalf("inside: %+v", p)
	}
}
