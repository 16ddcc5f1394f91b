package demo

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/yiwang-gov/yiwang/internal/auth"
	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// DefaultPassword is the demo accounts' password unless told otherwise.
const DefaultPassword = "yiwang-demo"

// Options control what Load writes.
type Options struct {
	Password  string
	Cases     int       // historical cases; 0 means 2400
	Now       time.Time // the end of history
	Workflows *workflow.Registry
	Calendar  service.Deadliner
	Log       *slog.Logger
	// Progress, when set, is told after each batch of cases written how
	// many of the total are in the store.
	Progress func(done, total int)
}

// Load writes the demo district, its accounts and a history of cases into
// an empty store. It returns the number of cases written.
func Load(ctx context.Context, st store.Store, opt Options) (int, error) {
	if opt.Password == "" {
		opt.Password = DefaultPassword
	}
	if opt.Cases == 0 {
		opt.Cases = 2400
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	d := Build()
	if err := st.LoadReference(ctx, store.Reference{Org: d.Org, Grids: d.Grids, Categories: d.Categories}); err != nil {
		return 0, err
	}
	if err := loadPlaces(ctx, st, d, opt.Now); err != nil {
		return 0, err
	}
	users, err := createUsers(ctx, st, d.Users, opt.Password)
	if err != nil {
		return 0, err
	}
	svc, err := service.New(ctx, service.Deps{Store: st, Log: opt.Log, Workflows: opt.Workflows, Calendar: opt.Calendar, Now: func() time.Time { return opt.Now }})
	if err != nil {
		return 0, err
	}
	if opt.Cases > bulkMin() {
		return bulk(ctx, st, svc, users, opt.Cases, opt.Now, opt.Calendar, opt.Log, opt.Progress)
	}
	cases, err := history(svc, users, opt.Cases, opt.Now)
	if err != nil {
		return 0, err
	}
	for i := 0; i < len(cases); i += 500 {
		end := min(i+500, len(cases))
		if err := st.ImportCases(ctx, cases[i:end]); err != nil {
			return 0, err
		}
		if opt.Progress != nil {
			opt.Progress(end, len(cases))
		}
	}
	return len(cases), nil
}

// createUsers stores the demo accounts. They share one hash: the demo
// password is public, so per-account salts would protect nothing and cost
// a second of argon2 at every demo start.
func createUsers(ctx context.Context, st store.Store, demo []DemoUser, password string) ([]model.User, error) {
	h, err := auth.HashPassword(password, auth.DefaultParams)
	if err != nil {
		return nil, err
	}
	users := make([]model.User, len(demo))
	for i, u := range demo {
		users[i] = model.User{Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, OrgID: u.OrgID, PasswordHash: h}
		if err := st.CreateUser(ctx, &users[i]); err != nil {
			return nil, fmt.Errorf("demo user %s: %w", u.Username, err)
		}
	}
	return users, nil
}

// history generates n cases created between 2025-01-02 and now, each walked
// through the real workflow (service.Apply) to a state chosen by its age,
// so every timeline is one the engine itself would have written.
func history(svc *service.Service, users []model.User, n int, now time.Time) ([]store.CaseWithTimeline, error) {
	rng := rand.New(rand.NewPCG(431302, 2025))
	ref := svc.Ref()
	byRole := map[model.Role][]model.User{}
	byOrg := map[int64]model.User{}
	for _, u := range users {
		byRole[u.Role] = append(byRole[u.Role], u)
		byOrg[u.OrgID] = u
	}
	var leaves []model.Category
	for _, c := range ref.CatList {
		if ref.IsLeaf(c.ID) && c.CaseType == "city_case" {
			leaves = append(leaves, c)
		}
	}
	var departments []int64
	for _, o := range ref.OrgList() {
		if o.Kind == model.OrgDepartment && byOrg[o.ID].ID != 0 && byOrg[o.ID].Role == model.RoleUnit {
			departments = append(departments, o.ID)
		}
	}
	if len(leaves) == 0 || len(ref.GridList) == 0 || len(departments) == 0 {
		return nil, fmt.Errorf("demo: reference data incomplete")
	}
	centroids := make([][2]float64, len(ref.GridList))
	for i, g := range ref.GridList {
		mp, err := geo.ParseGeometry([]byte(g.Geometry))
		if err != nil || len(mp) == 0 || len(mp[0]) == 0 {
			return nil, fmt.Errorf("demo grid %s: %v", g.Code.String(), err)
		}
		ring := mp[0][0]
		var x, y float64
		for _, p := range ring[:len(ring)-1] {
			x, y = x+p[0], y+p[1]
		}
		k := float64(len(ring) - 1)
		centroids[i] = [2]float64{y / k, x / k}
	}
	start := time.Date(2025, 1, 2, 8, 0, 0, 0, now.Location())
	span := now.Sub(start) - 2*time.Hour
	created := make([]time.Time, n)
	for i := range created {
		created[i] = start.Add(time.Duration(rng.Int64N(int64(span))))
	}
	sort.Slice(created, func(i, j int) bool { return created[i].Before(created[j]) })

	pick := func(us []model.User) model.User { return us[rng.IntN(len(us))] }
	channels := []model.Channel{model.ChannelApp, model.ChannelApp, model.ChannelHotline, model.ChannelHotline, model.ChannelPatrol, model.ChannelPatrol, model.ChannelVideo}
	out := make([]store.CaseWithTimeline, 0, n)
	for i := 0; i < n; i++ {
		g := rng.IntN(len(ref.GridList))
		lat, lng := centroids[g][0]+(rng.Float64()-0.5)*0.0004, centroids[g][1]+(rng.Float64()-0.5)*0.0004
		if rng.IntN(50) == 0 { // a few points off every grid: 属地兜底
			lat += 0.02
		}
		cat := leaves[rng.IntN(len(leaves))]
		ch := channels[rng.IntN(len(channels))]
		t := created[i]
		place := ref.Place(lat, lng, cat.ID, 30)
		c := model.Case{
			Type: "city_case", DefVersion: 1, Channel: ch, CategoryID: cat.ID, Lat: lat, Lng: lng,
			Address:     fmt.Sprintf("%s%s%d号附近", ref.OrgName(place.StreetID), roads[rng.IntN(len(roads))], 1+rng.IntN(300)),
			Description: fmt.Sprintf(descriptions[rng.IntN(len(descriptions))], cat.Name),
			GridID:      place.GridID, CommunityID: place.CommunityID, StreetID: place.StreetID, UnitID: place.UnitID, Routing: place.How,
			Status: model.StateReported, Version: 1, CreatedAt: t, UpdatedAt: t, Receipt: service.NewReceipt(),
		}
		creator := model.User{}
		switch ch {
		case model.ChannelHotline:
			creator = pick(byRole[model.RoleOperator])
		case model.ChannelPatrol:
			if gw, ok := byOrg[place.GridID]; ok && gw.Role == model.RoleGridWorker {
				creator = gw
			} else {
				creator = pick(byRole[model.RoleGridWorker])
			}
		}
		if ch == model.ChannelApp || ch == model.ChannelHotline {
			c.Reporter = model.Reporter{Name: surnames[rng.IntN(len(surnames))] + givenNames[rng.IntN(len(givenNames))], Phone: fmt.Sprintf("1%d%09d", 3+rng.IntN(7), rng.IntN(1e9))}
			c.Anonymous = rng.IntN(7) == 0
		}
		c.CreatedBy = creator.ID
		role := creator.Role
		if role == "" {
			role = model.RoleCitizen
		}
		events := []model.Event{{Seq: 1, At: t, ActorID: creator.ID, ActorName: nameOf(creator), Role: role, Action: "create", ToState: model.StateReported}}

		age := now.Sub(t)
		steps := plan(rng, age)
		for _, st := range steps {
			t = t.Add(st.after(rng))
			if !t.Before(now) {
				break
			}
			in := service.ActionInput{Version: c.Version, Note: st.note, Result: st.result}
			var actor model.User
			switch st.role {
			case model.RoleUnit:
				actor = byOrg[c.UnitID]
			case model.RoleDispatcher:
				actor = pick(byRole[model.RoleDispatcher])
				if u := byOrg[c.UnitID]; u.Role != model.RoleUnit {
					in.UnitID = departments[rng.IntN(len(departments))]
				}
			default:
				actor = pick(byRole[st.role])
			}
			if st.action == "merge" {
				if i == 0 {
					break
				}
				in.MasterID = int64(1 + rng.IntN(i)) // ids follow creation order
			}
			next, ev, err := svc.Apply(actor, c, st.action, in, t, service.Lookups{MasterOK: func(int64) bool { return true }})
			if err != nil {
				return nil, fmt.Errorf("demo case %d %s: %w", i, st.action, err)
			}
			ev.Seq = next.Version
			c, events = next, append(events, ev)
		}
		// Open cases keep their running clocks' timers: those already past
		// fire when the server's timer loop first runs, so the demo shows
		// yellow and red cases and the automatic 督办单 they set off.
		out = append(out, store.CaseWithTimeline{Case: c, Events: events, Timers: svc.RunningTimers(c)})
	}
	return out, nil
}

type step struct {
	action, note, result string
	role                 model.Role
	min, max             time.Duration
}

func (s step) after(rng *rand.Rand) time.Duration {
	return s.min + time.Duration(rng.Int64N(int64(s.max-s.min)+1))
}

// plan picks the path a case takes: old cases are mostly closed, recent
// ones spread over every state, as in a live system.
func plan(rng *rand.Rand, age time.Duration) []step {
	accept := step{action: "accept", role: model.RoleOperator, min: 5 * time.Minute, max: 3 * time.Hour}
	dispatch := step{action: "dispatch", role: model.RoleDispatcher, min: 10 * time.Minute, max: 4 * time.Hour}
	sign := step{action: "sign", role: model.RoleUnit, min: 10 * time.Minute, max: 20 * time.Hour}
	ret := step{action: "return", role: model.RoleUnit, note: "非本单位职责，申请退回重新派遣", min: time.Hour, max: 30 * time.Hour}
	report := step{action: "report_back", role: model.RoleUnit, note: "已到现场处置完毕，附处置后照片。", min: 3 * time.Hour, max: 10 * 24 * time.Hour}
	pass := step{action: "verify", role: model.RoleSupervisor, result: "pass", note: "经核查已处置到位，同意结案。", min: time.Hour, max: 48 * time.Hour}
	fail := step{action: "verify", role: model.RoleSupervisor, result: "fail", note: "核查未处置到位，返工。", min: time.Hour, max: 48 * time.Hour}
	results := []string{"satisfied", "satisfied", "satisfied", "basically_satisfied", "dissatisfied"}
	follow := step{action: "follow_up", role: model.RoleOperator, result: results[rng.IntN(len(results))], note: "电话回访。", min: 24 * time.Hour, max: 72 * time.Hour}
	reject := step{action: "reject", role: model.RoleOperator, note: "不属于受理范围。", min: 10 * time.Minute, max: 3 * time.Hour}
	merge := step{action: "merge", role: model.RoleOperator, note: "重复上报，合并处理。", min: 10 * time.Minute, max: 3 * time.Hour}
	park := step{action: "park", role: model.RoleSupervisor, note: "涉及规划调整，短期内无法解决，挂账处理。", min: 2 * 24 * time.Hour, max: 10 * 24 * time.Hour}

	closed := []step{accept, dispatch, sign, report, pass}
	if rng.IntN(12) == 0 {
		closed = []step{accept, dispatch, sign, report, fail, report, pass}
	}
	if rng.IntN(15) == 0 {
		closed = append([]step{accept, dispatch, ret, dispatch}, closed[2:]...)
	}
	if rng.IntN(10) < 7 {
		closed = append(closed, follow)
	}
	r := rng.IntN(100)
	if age > 30*24*time.Hour {
		switch {
		case r < 86:
			return closed
		case r < 91:
			return []step{reject}
		case r < 94:
			return []step{merge}
		case r < 97:
			return []step{accept, dispatch, park}
		default:
			return closed[:4]
		}
	}
	switch {
	case r < 8:
		return nil
	case r < 16:
		return []step{accept}
	case r < 26:
		return []step{accept, dispatch}
	case r < 44:
		return []step{accept, dispatch, sign}
	case r < 56:
		return []step{accept, dispatch, sign, report}
	case r < 60:
		return []step{reject}
	case r < 62:
		return []step{merge}
	case r < 64:
		return []step{accept, park}
	}
	return closed
}

func nameOf(u model.User) string {
	if u.ID == 0 {
		return "群众"
	}
	return u.DisplayName
}

var (
	roads        = []string{"长青中街", "花山路", "乐坪大道", "春园路", "湘中大道", "大科街", "涟滨中路", "氐星路", "月塘路", "新星南路", "吉星路", "贤童街"}
	descriptions = []string{"%s问题，影响居民出行，请尽快处理。", "发现%s，已拍照上报。", "群众来电反映%s，希望相关部门处理。", "巡查发现%s，存在安全隐患。", "%s情况持续多日，周边居民意见较大。"}
)
