package service_test

import (
	"context"
	"errors"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// TestAdminSetUserOrg: every demo account's org fits its role by the
// rule a move is checked against; a move writes the new org, refuses an
// org of the wrong kind or an unknown one and writes nothing then; only
// administrators move accounts.
func TestAdminSetUserOrg(t *testing.T) {
	f := newGeoFixture(t)
	ctx := context.Background()
	ref := f.svc.Ref()
	for _, u := range f.d.Users {
		if !ref.OrgFitsRole(u.Role, u.OrgID) {
			t.Errorf("demo account %s (%s) in org %d (%s) does not fit its role", u.Username, u.Role, u.OrgID, ref.Org[u.OrgID].Kind)
		}
	}
	var grids, depts []int64
	for _, o := range ref.OrgList() {
		switch o.Kind {
		case model.OrgGrid:
			grids = append(grids, o.ID)
		case model.OrgDepartment:
			depts = append(depts, o.ID)
		}
	}
	// A new account is held to the same rule.
	for _, bad := range []struct {
		role model.Role
		org  int64
	}{{model.RoleGridWorker, depts[0]}, {model.RoleUnit, grids[0]}, {model.RoleOperator, grids[0]}} {
		_, err := f.svc.AddUser(ctx, service.NewUser{Username: "bad-" + string(bad.role), Role: bad.role, OrgID: bad.org, Password: "long-enough-1"})
		var ve *service.ValidationError
		if !errors.As(err, &ve) || ve.Fields["org"].Key != "field.org_wrong_kind" {
			t.Errorf("new %s in org %d: %v", bad.role, bad.org, err)
		}
	}
	add := func(name string, role model.Role, org int64) model.User {
		t.Helper()
		u, err := f.svc.AddUser(ctx, service.NewUser{Username: name, Role: role, OrgID: org, Password: "long-enough-1"})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	gw := add("gw", model.RoleGridWorker, grids[0])
	unit := add("unit", model.RoleUnit, depts[0])
	op := add("op", model.RoleOperator, ref.Root.ID)

	orgOf := func(id int64) int64 {
		t.Helper()
		u, err := f.st.UserByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return u.OrgID
	}
	fieldKey := func(err error) string {
		var ve *service.ValidationError
		if !errors.As(err, &ve) {
			return ""
		}
		return ve.Fields["org"].Key
	}
	if u, err := f.svc.AdminSetUserOrg(ctx, admin, gw.ID, grids[1]); err != nil || u.OrgID != grids[1] || orgOf(gw.ID) != grids[1] || u.PasswordHash != "" {
		t.Fatalf("move a grid worker: %+v %v", u, err)
	}
	if u, err := f.svc.AdminSetUserOrg(ctx, admin, gw.ID, grids[1]); err != nil || u.OrgID != grids[1] {
		t.Fatalf("move to the same grid: %v", err)
	}
	if u, err := f.svc.AdminSetUserOrg(ctx, admin, unit.ID, depts[1]); err != nil || orgOf(unit.ID) != depts[1] || u.OrgID != depts[1] {
		t.Fatalf("move a unit account: %v", err)
	}
	if _, err := f.svc.AdminSetUserOrg(ctx, admin, op.ID, depts[0]); err != nil || orgOf(op.ID) != depts[0] {
		t.Fatalf("move an operator to a department: %v", err)
	}
	for _, tc := range []struct {
		name    string
		user    model.User
		org     int64
		key     string
		wantOrg int64
	}{
		{"grid worker to a department", gw, depts[0], "field.org_wrong_kind", grids[1]},
		{"grid worker to the district", gw, ref.Root.ID, "field.org_wrong_kind", grids[1]},
		{"unit to a grid", unit, grids[0], "field.org_wrong_kind", depts[1]},
		{"operator to a grid", op, grids[0], "field.org_wrong_kind", depts[0]},
		{"unknown org", gw, 987654321, "field.unknown_unit", grids[1]},
	} {
		if _, err := f.svc.AdminSetUserOrg(ctx, admin, tc.user.ID, tc.org); fieldKey(err) != tc.key {
			t.Errorf("%s: %v, want %s on org", tc.name, err, tc.key)
		}
		if got := orgOf(tc.user.ID); got != tc.wantOrg {
			t.Errorf("%s: org now %d, want %d", tc.name, got, tc.wantOrg)
		}
	}
	if _, err := f.svc.AdminSetUserOrg(ctx, admin, 987654321, grids[0]); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	for _, actor := range []model.User{op, unit, gw, {}} {
		if _, err := f.svc.AdminSetUserOrg(ctx, actor, gw.ID, grids[2]); !errors.Is(err, service.ErrForbidden) {
			t.Errorf("%q moved an account: %v", actor.Role, err)
		}
	}
	if orgOf(gw.ID) != grids[1] {
		t.Errorf("a refused move wrote")
	}
}
