package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// benchCases is how many cases the page benchmark puts in the store.
const benchCases = 100_000

// fillCases imports n cases spread over the demo district as a live system
// holds them: most closed, a few thousand open, some of those overdue.
// Each has the timeline its state implies.
func fillCases(b *testing.B, a *app.App, n int, now time.Time) (unitID int64) {
	ref := a.Service.Ref()
	var leaves []model.Category
	for _, c := range ref.CatList {
		if ref.IsLeaf(c.ID) && c.CaseType == "city_case" && c.DefaultUnitID != 0 {
			leaves = append(leaves, c)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range leaves {
		if ref.Org[c.DefaultUnitID].Code != "" && strings.Contains(ref.OrgName(c.DefaultUnitID), "城市管理") {
			unitID = c.DefaultUnitID
		}
	}
	batch := make([]store.CaseWithTimeline, 0, 2000)
	flush := func() {
		if err := a.Store.ImportCases(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	start := now.Add(-2 * 365 * 24 * time.Hour)
	for i := 0; i < n; i++ {
		cat := leaves[rng.IntN(len(leaves))]
		g := ref.GridList[rng.IntN(len(ref.GridList))]
		t := start.Add(now.Sub(start) / time.Duration(n) * time.Duration(i))
		c := model.Case{Receipt: service.NewReceipt(), Type: "city_case", DefVersion: 1, Channel: model.ChannelApp, CategoryID: cat.ID,
			Description: "井盖松动，车辆经过有响声，请尽快处理。", Lat: 27.73, Lng: 111.99, Address: "乐坪大道" + fmt.Sprint(i%300) + "号",
			GridID: g.OrgID, CommunityID: g.CommunityID, StreetID: g.StreetID, UnitID: cat.DefaultUnitID, Routing: "category",
			Reporter: model.Reporter{Name: "张三", Phone: "13800000000"}, CreatedAt: t, UpdatedAt: t}
		evs := []model.Event{{Seq: 1, At: t, ActorName: "群众", Role: model.RoleCitizen, Action: "create", ToState: model.StateReported}}
		step := func(action string, role model.Role, from, to model.State, d time.Duration) {
			t = t.Add(d)
			evs = append(evs, model.Event{Seq: len(evs) + 1, At: t, ActorName: string(role), Role: role, Action: action, FromState: from, ToState: to, UnitID: c.UnitID})
		}
		r := rng.IntN(100)
		age := now.Sub(c.CreatedAt)
		switch {
		case age < 30*24*time.Hour && r < 8:
			c.Status = model.StateReported
		case age < 30*24*time.Hour && r < 16:
			step("accept", model.RoleOperator, model.StateReported, model.StateRegistered, time.Hour)
			c.Status = model.StateRegistered
		case age < 30*24*time.Hour && r < 45:
			step("accept", model.RoleOperator, model.StateReported, model.StateRegistered, time.Hour)
			step("dispatch", model.RoleDispatcher, model.StateRegistered, model.StateDispatched, time.Hour)
			c.DueAt = t.Add(7 * 24 * time.Hour)
			step("sign", model.RoleUnit, model.StateDispatched, model.StateHandling, time.Hour)
			c.Status = model.StateHandling
		default:
			step("accept", model.RoleOperator, model.StateReported, model.StateRegistered, time.Hour)
			step("dispatch", model.RoleDispatcher, model.StateRegistered, model.StateDispatched, time.Hour)
			c.DueAt = t.Add(7 * 24 * time.Hour)
			step("sign", model.RoleUnit, model.StateDispatched, model.StateHandling, time.Hour)
			step("report_back", model.RoleUnit, model.StateHandling, model.StateAwaitingVerification, 24*time.Hour)
			step("verify", model.RoleSupervisor, model.StateAwaitingVerification, model.StateClosed, 5*time.Hour)
			c.Status, c.ClosedAt = model.StateClosed, t
		}
		c.Version, c.UpdatedAt = len(evs), t
		batch = append(batch, store.CaseWithTimeline{Case: c, Events: evs})
		if len(batch) == cap(batch) {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
	return unitID
}

// BenchmarkWebPages measures the server side of the inbox and case pages
// with 100,000 cases in the store (SQLite), as each role sees them. The
// figure is the median time of one page, reported as median-ms.
//
//	go test ./internal/app -run '^$' -bench WebPages -benchtime 200x
func BenchmarkWebPages(b *testing.B) {
	ctx := context.Background()
	a, err := app.Open(ctx, app.Config{DataDir: b.TempDir(), Demo: true, DemoCases: 60})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	t0 := time.Now()
	unitID := fillCases(b, a, benchCases, time.Now())
	total, _ := a.Store.CountCases(ctx, model.CaseFilter{})
	b.Logf("%d cases in the store (imported in %s)", total, time.Since(t0).Round(time.Second))
	var unitUser string
	users, _ := a.Store.ListUsers(ctx)
	for _, u := range users {
		if u.Role == model.RoleUnit && u.OrgID == unitID {
			unitUser = u.Username
		}
	}
	handling, err := a.Store.ListCases(ctx, model.CaseFilter{Status: []model.State{model.StateHandling}, UnitID: unitID, Limit: 1})
	if err != nil || len(handling) == 0 {
		b.Fatalf("no handling case: %v", err)
	}
	caseURL := fmt.Sprintf("/work/cases/%d", handling[0].ID)

	session := func(user string) *http.Cookie {
		token, _, err := a.Service.Login(ctx, "", user, "yiwang-demo")
		if err != nil {
			b.Fatal(err)
		}
		return &http.Cookie{Name: "yw_session", Value: token}
	}
	for _, bc := range []struct {
		name, user, path string
	}{
		{"inbox/operator/reported", "operator1", "/work/inbox?tab=reported"},
		{"inbox/dispatcher/registered", "dispatcher", "/work/inbox?tab=registered"},
		{"inbox/unit/handling", unitUser, "/work/inbox?tab=handling"},
		{"inbox/unit/handling/page2", unitUser, "/work/inbox?tab=handling&after=" + fmt.Sprint(handling[0].ID)},
		{"inbox/supervisor/late", "supervisor", "/work/inbox?tab=late"},
		{"inbox/leader/street-filter", "leader", "/work/inbox?tab=handling&street=" + url.QueryEscape(fmt.Sprint(handling[0].StreetID))},
		{"case/unit", unitUser, caseURL},
		{"case/supervisor", "supervisor", caseURL},
	} {
		cookie := session(bc.user)
		b.Run(bc.name, func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				req := httptest.NewRequest("GET", bc.path, nil)
				req.AddCookie(cookie)
				rec := httptest.NewRecorder()
				start := time.Now()
				a.Handler.ServeHTTP(rec, req)
				times = append(times, time.Since(start))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", bc.path, rec.Code)
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "median-ms")
		})
	}
}
