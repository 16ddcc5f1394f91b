package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"net/http/httptest"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/client"
)

func startServer(t *testing.T) (*app.App, string) {
	t.Helper()
	a, err := app.Open(context.Background(), app.Config{DataDir: t.TempDir(), Demo: true, DemoCases: 40})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(func() { srv.Close(); a.Close() })
	return a, srv.URL
}

func login(t *testing.T, url, user string) *client.Client {
	t.Helper()
	c := client.New(url)
	if _, err := c.Login(context.Background(), user, "yiwang-demo"); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return c
}

func centre(t *testing.T, g client.Grid) (lat, lng float64) {
	var rings [][][2]float64
	if err := json.Unmarshal(g.Geometry, &rings); err != nil {
		var gj struct{ Coordinates [][][2]float64 }
		if err := json.Unmarshal(g.Geometry, &gj); err != nil {
			t.Fatal(err)
		}
		rings = gj.Coordinates
	}
	ring := rings[0][:len(rings[0])-1]
	for _, p := range ring {
		lng += p[0] / float64(len(ring))
		lat += p[1] / float64(len(ring))
	}
	return lat, lng
}

// TestClientClosedLoop drives a case through the whole loop with the Go
// client only, as an integrator would.
func TestClientClosedLoop(t *testing.T) {
	a, url := startServer(t)
	ctx := context.Background()
	citizen := client.New(url)
	cats, err := citizen.Categories(ctx)
	if err != nil || len(cats) == 0 {
		t.Fatalf("categories: %d %v", len(cats), err)
	}
	var cat client.Category
	for _, c := range cats {
		if c.Leaf && c.Public && c.DefaultUnit != nil && c.CaseType == "city_case" {
			cat = c
			break
		}
	}
	if cat.ID == 0 {
		t.Fatal("no public leaf category with a department")
	}
	grids, err := citizen.Grids(ctx)
	if err != nil || len(grids) < 100 {
		t.Fatalf("grids: %d %v", len(grids), err)
	}
	units, err := citizen.Units(ctx)
	if err != nil || len(units) < 10 {
		t.Fatalf("units: %d %v", len(units), err)
	}
	lat, lng := centre(t, grids[5])

	in := client.NewCase{Category: cat.Code, Description: "路灯不亮，晚上很黑", Lat: &lat, Lng: &lng, Address: "乐坪大道",
		Reporter: &client.Reporter{Name: "王芳", Phone: "13900001111"}}
	c1, replayed, err := citizen.CreateCase(ctx, in, "client-test-1")
	if err != nil || replayed || c1.Status != "reported" || c1.Unit == nil || c1.Unit.ID != cat.DefaultUnit.ID {
		t.Fatalf("create: %+v replayed=%v err=%v", c1, replayed, err)
	}
	c2, replayed, err := citizen.CreateCase(ctx, in, "client-test-1")
	if err != nil || !replayed || c2.ID != c1.ID {
		t.Fatalf("retry: id %d replayed=%v err=%v, want %d replayed", c2.ID, replayed, err, c1.ID)
	}
	if tr, err := citizen.Track(ctx, c1.Receipt); err != nil || tr.ID != c1.ID || tr.Reporter != nil {
		t.Fatalf("track: %+v %v", tr, err)
	}
	// Validation errors come back typed.
	_, _, err = citizen.CreateCase(ctx, client.NewCase{Category: cat.Code}, "")
	var apiErr *client.Error
	if !client.IsStatus(err, 422) || !asErr(err, &apiErr) || apiErr.Fields["description"] == "" {
		t.Fatalf("invalid create: %v", err)
	}

	operator, dispatcher, supervisor := login(t, url, "operator1"), login(t, url, "dispatcher"), login(t, url, "supervisor")
	var unitUser string
	users, _ := a.Store.ListUsers(ctx)
	for _, u := range users {
		if string(u.Role) == "unit" && u.OrgID == cat.DefaultUnit.ID {
			unitUser = u.Username
		}
	}
	unit := login(t, url, unitUser)
	if me, err := unit.Me(ctx); err != nil || me.OrgID != cat.DefaultUnit.ID {
		t.Fatalf("me: %+v %v", me, err)
	}

	cs, err := operator.Act(ctx, c1.ID, "accept", client.Action{Version: 1, Note: "属实"})
	if err != nil || cs.Status != "registered" {
		t.Fatalf("accept: %v %v", cs.Status, err)
	}
	if _, err := operator.Act(ctx, c1.ID, "accept", client.Action{Version: 1}); !client.IsStatus(err, 409) && !client.IsStatus(err, 422) {
		t.Fatalf("stale accept: %v, want 409", err)
	}
	if cs, err = dispatcher.Act(ctx, c1.ID, "dispatch", client.Action{Version: cs.Version}); err != nil || cs.Status != "dispatched" {
		t.Fatalf("dispatch: %v", err)
	}
	if cs, err = unit.Act(ctx, c1.ID, "sign", client.Action{Version: cs.Version}); err != nil {
		t.Fatalf("sign: %v", err)
	}
	var img bytes.Buffer
	png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 4, 4)))
	att, err := unit.UploadAttachment(ctx, "fixed.png", &img)
	if err != nil || att.Mime != "image/png" || len(att.ID) != 64 {
		t.Fatalf("upload: %+v %v", att, err)
	}
	if cs, err = unit.Act(ctx, c1.ID, "report_back", client.Action{Version: cs.Version, Note: "已更换灯泡", Evidence: []string{att.ID}}); err != nil {
		t.Fatalf("report_back: %v", err)
	}
	if cs, err = supervisor.Act(ctx, c1.ID, "verify", client.Action{Version: cs.Version, Result: "pass", Note: "核查合格"}); err != nil || cs.Status != "closed" {
		t.Fatalf("verify: %v %v", cs.Status, err)
	}
	got, err := operator.Case(ctx, c1.ID)
	if err != nil || got.Status != "closed" || len(got.Timeline) < 6 || got.Reporter == nil || got.Reporter.Phone != "139****1111" {
		t.Fatalf("case: %+v %v", got, err)
	}

	// Paging: walking pages of 7 yields every case once, the same as one
	// big page.
	all, err := operator.ListCases(ctx, client.ListOptions{Limit: 500})
	if err != nil || all.NextPageToken != "" {
		t.Fatalf("list: %v next=%q", err, all.NextPageToken)
	}
	seen := map[int64]bool{}
	var order []int64
	for c, err := range operator.AllCases(ctx, client.ListOptions{Limit: 7}) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[c.ID] {
			t.Fatalf("case %d twice", c.ID)
		}
		seen[c.ID] = true
		order = append(order, c.ID)
	}
	if len(order) != len(all.Cases) {
		t.Fatalf("paged %d cases, one page has %d", len(order), len(all.Cases))
	}
	for i := range order {
		if order[i] != all.Cases[i].ID {
			t.Fatalf("page order differs at %d", i)
		}
	}
	if err := operator.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := operator.Me(ctx); err == nil {
		t.Fatal("me after logout succeeded")
	}
}

func asErr(err error, target **client.Error) bool {
	e, ok := err.(*client.Error)
	if ok {
		*target = e
	}
	return ok
}
