package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/yiwang-gov/yiwang/internal/geo"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/stats"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// bulkThreshold: a history longer than this is generated and written in
// batches (bulk) rather than built whole in memory first.
// YIWANG_DEMO_BULK_MIN lowers it (tests of the bulk path).
const bulkThreshold = 20000

func bulkMin() int {
	if v, err := strconv.Atoi(os.Getenv("YIWANG_DEMO_BULK_MIN")); err == nil && v > 0 {
		return v
	}
	return bulkThreshold
}

// bulkBatch is how many cases go in one transaction.
const bulkBatch = 10000

// bulk writes n historical cases — 数字城管 cases, 12345 orders,
// rectification items with their amounts and two-way referrals — created
// at an even pace between 2025-01-02 and now, each walked through the real
// workflow (service.Apply) to a state its age makes likely. One goroutine
// generates the next batch while the store writes the previous one with
// the cases' statistics facts (StatsBulkImport: many rows per statement,
// facts and aggregates in the same transaction).
func bulk(ctx context.Context, st store.Store, svc *service.Service, users []model.User, n int, now time.Time, cal service.Deadliner, log *slog.Logger, progress func(done, total int)) (int, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g, err := newGenerator(svc, users, now)
	if err != nil {
		return 0, err
	}
	// The load allocates a great deal that lives one batch: collect less
	// often (the demo tool's process, or a server's first start).
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	ev := model.Attachment{ID: g.evidence, Mime: "image/png", Size: 1, Name: "整改佐证（演示数据）.png", CreatedAt: now}
	if err := st.PutAttachment(ctx, ev); err != nil {
		return 0, err
	}
	cls := svc.StatsClassifier()
	derive := func(cw *store.CaseWithTimeline) stats.Fact {
		return service.DeriveFact(cls, cw.Case, cw.Events, stats.DefaultLimits, cal)
	}
	type batch struct {
		cases []store.CaseWithTimeline
		err   error
	}
	ch := make(chan batch, 2)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(ch)
		for i := 0; i < n; i += bulkBatch {
			b := batch{cases: make([]store.CaseWithTimeline, 0, min(bulkBatch, n-i))}
			for k := i; k < min(i+bulkBatch, n); k++ {
				cw, err := g.next(k, n)
				if err != nil {
					b.err = err
					break
				}
				b.cases = append(b.cases, cw)
			}
			select {
			case ch <- b:
			case <-ctx.Done():
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	written := 0
	start := time.Now()
	var importTime time.Duration
	defer func() { log.Info("bulk import time", "import", importTime, "total", time.Since(start)) }()
	for b := range ch {
		if b.err != nil {
			return written, b.err
		}
		t0 := time.Now()
		if err := st.StatsBulkImport(ctx, b.cases, derive); err != nil {
			return written, err
		}
		g.mu.Lock()
		for _, c := range b.cases {
			g.known = append(g.known, c.Case.ID)
		}
		g.mu.Unlock()
		written += len(b.cases)
		importTime += time.Since(t0)
		if progress != nil {
			progress(written, n)
		}
		if written%100000 < bulkBatch {
			log.Info("demo history", "cases", written, "of", n, "elapsed", time.Since(start).Round(time.Second))
		}
	}
	return written, ctx.Err()
}

// generator makes realistic cases one at a time.
type generator struct {
	svc         *service.Service
	ref         *service.Reference
	rng         *rand.Rand
	now, start  time.Time
	byRole      map[model.Role][]model.User
	byOrg       map[int64]model.User
	cityCats    []model.Category
	rectCats    []model.Category
	departments []int64
	health      int64 // the unit referrals are sent to
	centroids   [][2]float64
	evidence    string
	mu          sync.Mutex
	known       []int64 // ids of cases written, for merges (written by the writer)
}

func newGenerator(svc *service.Service, users []model.User, now time.Time) (*generator, error) {
	g := &generator{svc: svc, ref: svc.Ref(), rng: rand.New(rand.NewPCG(431302, 1_000_000)), now: now,
		start: time.Date(2025, 1, 2, 8, 0, 0, 0, now.Location()), byRole: map[model.Role][]model.User{}, byOrg: map[int64]model.User{}}
	for _, u := range users {
		g.byRole[u.Role] = append(g.byRole[u.Role], u)
		g.byOrg[u.OrgID] = u
	}
	for _, c := range g.ref.CatList {
		if !g.ref.IsLeaf(c.ID) {
			continue
		}
		switch c.CaseType {
		case "city_case":
			g.cityCats = append(g.cityCats, c)
		case "rectification":
			g.rectCats = append(g.rectCats, c)
		}
	}
	for _, o := range g.ref.OrgList() {
		if o.Kind == model.OrgDepartment && g.byOrg[o.ID].Role == model.RoleUnit {
			g.departments = append(g.departments, o.ID)
			if o.Name == "区卫生健康局" {
				g.health = o.ID
			}
		}
	}
	if len(g.cityCats) == 0 || len(g.ref.GridList) == 0 || len(g.departments) == 0 {
		return nil, fmt.Errorf("demo: reference data incomplete")
	}
	for _, gr := range g.ref.GridList {
		mp, err := geo.ParseGeometry([]byte(gr.Geometry))
		if err != nil || len(mp) == 0 || len(mp[0]) == 0 {
			return nil, fmt.Errorf("demo grid %s: %v", gr.Code.String(), err)
		}
		ring := mp[0][0]
		var x, y float64
		for _, p := range ring[:len(ring)-1] {
			x, y = x+p[0], y+p[1]
		}
		k := float64(len(ring) - 1)
		g.centroids = append(g.centroids, [2]float64{y / k, x / k})
	}
	sum := sha256.Sum256([]byte("yiwang demo evidence"))
	g.evidence = hex.EncodeToString(sum[:])
	return g, nil
}

func (g *generator) pick(us []model.User) model.User { return us[g.rng.IntN(len(us))] }

func (g *generator) dur(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)+1))
}

// next makes case i of n: created at an even pace with jitter, so cases
// come out in time order.
func (g *generator) next(i, n int) (store.CaseWithTimeline, error) {
	span := g.now.Sub(g.start) - 2*time.Hour
	t := g.start.Add(time.Duration((float64(i) + g.rng.Float64()) / float64(n) * float64(span)))
	switch r := g.rng.IntN(100); {
	case r < 70 || len(g.rectCats) == 0:
		return g.cityCase(t)
	case r < 92:
		return g.hotline(t)
	case r < 98:
		return g.rectification(t)
	default:
		if g.health == 0 {
			return g.cityCase(t)
		}
		return g.referral(t)
	}
}

// place picks a point in a random grid (a few off every grid: 属地兜底).
func (g *generator) place(catID int64) (float64, float64, service.Placement) {
	k := g.rng.IntN(len(g.centroids))
	lat, lng := g.centroids[k][0]+(g.rng.Float64()-0.5)*0.0004, g.centroids[k][1]+(g.rng.Float64()-0.5)*0.0004
	if g.rng.IntN(50) == 0 {
		lat += 0.02
	}
	return lat, lng, g.ref.Place(lat, lng, catID, 30)
}

func (g *generator) reporter() model.Reporter {
	return model.Reporter{Name: surnames[g.rng.IntN(len(surnames))] + givenNames[g.rng.IntN(len(givenNames))], Phone: fmt.Sprintf("1%d%09d", 3+g.rng.IntN(7), g.rng.IntN(1e9))}
}

// walk applies steps from t while they fall before now.
type walkStep struct {
	action string
	who    model.User
	in     service.ActionInput
	after  time.Duration
}

func (g *generator) walk(c model.Case, events []model.Event, t time.Time, steps []walkStep) (store.CaseWithTimeline, error) {
	look := service.Lookups{
		MasterOK:     func(int64) bool { return true },
		AttachmentOK: func(id string) bool { return id == g.evidence },
		UserOK:       func(id int64) (model.User, bool) { return model.User{ID: id, Role: model.RoleLeader}, true },
	}
	for _, s := range steps {
		t = t.Add(s.after)
		if !t.Before(g.now) {
			break
		}
		who := s.who
		if who.Role == model.RoleUnit {
			who = g.byOrg[c.UnitID]
			if who.Role != model.RoleUnit {
				break // no account for the unit: the case waits there
			}
		}
		in := s.in
		in.Version = c.Version
		next, ev, err := g.svc.Apply(who, c, s.action, in, t, look)
		if err != nil {
			return store.CaseWithTimeline{}, fmt.Errorf("demo %s %s: %w", c.Type, s.action, err)
		}
		ev.Seq = next.Version
		c, events = next, append(events, ev)
	}
	return store.CaseWithTimeline{Case: c, Events: events}, nil
}

// cityCase is a 数字城管 case on the same paths as the small demo history.
func (g *generator) cityCase(t time.Time) (store.CaseWithTimeline, error) {
	cat := g.cityCats[g.rng.IntN(len(g.cityCats))]
	channels := []model.Channel{model.ChannelApp, model.ChannelApp, model.ChannelHotline, model.ChannelPatrol, model.ChannelPatrol, model.ChannelPatrol, model.ChannelVideo}
	ch := channels[g.rng.IntN(len(channels))]
	lat, lng, place := g.place(cat.ID)
	c := model.Case{
		Type: "city_case", DefVersion: 1, Channel: ch, CategoryID: cat.ID, Lat: lat, Lng: lng,
		Address:     fmt.Sprintf("%s%s%d号附近", g.ref.OrgName(place.StreetID), roads[g.rng.IntN(len(roads))], 1+g.rng.IntN(300)),
		Description: fmt.Sprintf(descriptions[g.rng.IntN(len(descriptions))], cat.Name),
		GridID:      place.GridID, CommunityID: place.CommunityID, StreetID: place.StreetID, UnitID: place.UnitID, Routing: place.How,
		Status: model.StateReported, Version: 1, CreatedAt: t, UpdatedAt: t, Receipt: service.NewReceipt(), Flow: model.Flow{OriginUnit: place.UnitID},
	}
	creator := model.User{}
	switch ch {
	case model.ChannelHotline:
		creator = g.pick(g.byRole[model.RoleOperator])
	case model.ChannelPatrol:
		if gw, ok := g.byOrg[place.GridID]; ok && gw.Role == model.RoleGridWorker {
			creator = gw
		} else {
			creator = g.pick(g.byRole[model.RoleGridWorker])
		}
	}
	if ch == model.ChannelApp || ch == model.ChannelHotline {
		c.Reporter = g.reporter()
		c.Anonymous = g.rng.IntN(7) == 0
	}
	c.CreatedBy = creator.ID
	role := creator.Role
	if role == "" {
		role = model.RoleCitizen
	}
	events := []model.Event{{Seq: 1, At: t, ActorID: creator.ID, ActorName: nameOf(creator), Role: role, Action: "create", ToState: model.StateReported, UnitID: c.UnitID}}
	var steps []walkStep
	for _, s := range plan(g.rng, g.now.Sub(t)) {
		ws := walkStep{action: s.action, in: service.ActionInput{Note: s.note, Result: s.result}, after: s.after(g.rng)}
		switch s.role {
		case model.RoleUnit:
			ws.who = model.User{Role: model.RoleUnit}
		default:
			ws.who = g.pick(g.byRole[s.role])
		}
		if s.action == "dispatch" && g.byOrg[c.UnitID].Role != model.RoleUnit {
			ws.in.UnitID = g.departments[g.rng.IntN(len(g.departments))]
		}
		if s.action == "merge" {
			g.mu.Lock()
			n := len(g.known)
			if n > 0 {
				ws.in.MasterID = g.known[g.rng.IntN(n)]
			}
			g.mu.Unlock()
			if n == 0 {
				break // the first batch has nothing to merge into yet
			}
		}
		steps = append(steps, ws)
	}
	return g.walk(c, events, t, steps)
}

// weighted picks a value by weight.
func (g *generator) weighted(vals []string, weights []int) string {
	total := 0
	for _, w := range weights {
		total += w
	}
	r := g.rng.IntN(total)
	for i, w := range weights {
		if r -= w; r < 0 {
			return vals[i]
		}
	}
	return vals[0]
}

// hotline is a 12345 order: accepted, dispatched, signed for, answered,
// followed up and closed; some answers fail the follow-up and go round
// again.
func (g *generator) hotline(t time.Time) (store.CaseWithTimeline, error) {
	op := g.pick(g.byRole[model.RoleOperator])
	var cat model.Category
	if g.rng.IntN(3) > 0 {
		cat = g.cityCats[g.rng.IntN(len(g.cityCats))]
	}
	lat, lng, place := g.place(cat.ID)
	kind := g.weighted([]string{"complaint", "help", "consult", "report", "suggestion", "praise"}, []int{40, 25, 20, 8, 5, 2})
	urgency := g.weighted([]string{"general", "complex", "utility", "emergency"}, []int{70, 12, 12, 6})
	fields := map[string]any{"appeal_kind": kind, "urgency": urgency}
	what := "群众诉求"
	if cat.ID != 0 {
		what = cat.Name
	}
	unit := place.UnitID
	if g.byOrg[unit].Role != model.RoleUnit {
		unit = g.departments[g.rng.IntN(len(g.departments))]
	}
	c := model.Case{
		Type: "hotline_order", DefVersion: 1, Channel: model.ChannelHotline, CategoryID: cat.ID, Lat: lat, Lng: lng,
		Address:     fmt.Sprintf("%s%s%d号", g.ref.OrgName(place.StreetID), roads[g.rng.IntN(len(roads))], 1+g.rng.IntN(300)),
		Description: "来电反映：" + what + "，请尽快处理。", GridID: place.GridID, CommunityID: place.CommunityID, StreetID: place.StreetID,
		UnitID: place.UnitID, Routing: place.How, Reporter: g.reporter(), Status: "received", Version: 1, Fields: fields,
		CreatedBy: op.ID, CreatedAt: t, UpdatedAt: t, Receipt: service.NewReceipt(), Flow: model.Flow{OriginUnit: place.UnitID},
	}
	events := []model.Event{{Seq: 1, At: t, ActorID: op.ID, ActorName: op.DisplayName, Role: op.Role, Action: "create", ToState: "received", UnitID: c.UnitID,
		Data: map[string]any{"fields": fields}}}
	unitStep := model.User{Role: model.RoleUnit}
	resolution := g.weighted([]string{"resolved", "partly_resolved", "explained", "unresolved"}, []int{78, 8, 10, 4})
	first := g.weighted([]string{"satisfied", "basically_satisfied", "dissatisfied", "unreachable"}, []int{68, 18, 9, 5})
	steps := []walkStep{
		{action: "accept", who: op, after: g.dur(3*time.Minute, 90*time.Minute)},
		{action: "dispatch", who: op, in: service.ActionInput{UnitID: unit}, after: g.dur(5*time.Minute, 3*time.Hour)},
		{action: "sign", who: unitStep, after: g.dur(5*time.Minute, 5*time.Hour)},
		{action: "reply", who: unitStep, in: service.ActionInput{Note: "已联系来电人并处理。", Fields: map[string]any{"resolution": resolution}}, after: g.dur(2*time.Hour, 7*24*time.Hour)},
		{action: "follow_up", who: op, in: service.ActionInput{Result: first, Note: "电话回访。"}, after: g.dur(time.Hour, 48*time.Hour)},
	}
	if first == "dissatisfied" {
		steps = append(steps,
			walkStep{action: "reply", who: unitStep, in: service.ActionInput{Note: "再次上门处理。", Fields: map[string]any{"resolution": "resolved"}}, after: g.dur(time.Hour, 5*24*time.Hour)},
			walkStep{action: "follow_up", who: op, in: service.ActionInput{Result: "basically_satisfied", Note: "再次回访。"}, after: g.dur(time.Hour, 48*time.Hour)})
	}
	steps = append(steps, walkStep{action: "close", who: op, after: g.dur(5*time.Minute, 24*time.Hour)})
	return g.walk(c, events, t, steps)
}

// rectification is an item of the county's campaign ledger: assigned to
// its domain's unit, rectified, reported with evidence and amounts, and
// reviewed by the commission.
func (g *generator) rectification(t time.Time) (store.CaseWithTimeline, error) {
	disc := g.pick(g.byRole[model.RoleDiscipline])
	cat := g.rectCats[g.rng.IntN(len(g.rectCats))]
	src := g.weighted([]string{"inspection", "patrol", "petition", "audit", "self_check", "public"}, []int{35, 15, 20, 10, 12, 8})
	fields := map[string]any{"problem_source": src}
	unit := cat.DefaultUnitID
	if g.byOrg[unit].Role != model.RoleUnit {
		unit = g.departments[g.rng.IntN(len(g.departments))]
	}
	c := model.Case{
		Type: "rectification", DefVersion: 1, Channel: model.ChannelSupervisor, CategoryID: cat.ID,
		Description: cat.Name + "领域突出问题：" + []string{"资金使用不规范", "监管责任落实不到位", "群众反映强烈的收费问题", "制度执行不严", "台账资料不全"}[g.rng.IntN(5)],
		UnitID:      unit, Routing: "category", Status: "registered", Version: 1, Fields: fields,
		CreatedBy: disc.ID, CreatedAt: t, UpdatedAt: t, Receipt: service.NewReceipt(), Flow: model.Flow{OriginUnit: unit},
	}
	events := []model.Event{{Seq: 1, At: t, ActorID: disc.ID, ActorName: disc.DisplayName, Role: disc.Role, Action: "create", ToState: "registered", UnitID: unit,
		Data: map[string]any{"fields": fields}}}
	done := map[string]any{"measures": "已完成整改，建立长效机制。"}
	if g.rng.IntN(10) < 3 {
		done["funds_recovered"] = json.Number(fmt.Sprintf("%d.%02d", 1000+g.rng.IntN(200000), g.rng.IntN(100)))
	}
	if g.rng.IntN(10) < 2 {
		done["funds_returned"] = json.Number(fmt.Sprintf("%d.%02d", 500+g.rng.IntN(50000), g.rng.IntN(100)))
		done["funds_returned_people"] = json.Number(fmt.Sprint(1 + g.rng.IntN(40)))
	}
	if g.rng.IntN(10) < 2 {
		done["people_handled"] = json.Number(fmt.Sprint(1 + g.rng.IntN(3)))
	}
	if g.rng.IntN(100) < 3 {
		done["clues_transferred"] = json.Number("1")
	}
	if g.rng.IntN(100) < 2 {
		done["rules_made"] = json.Number("1")
	}
	unitStep := model.User{Role: model.RoleUnit}
	steps := []walkStep{
		{action: "assign", who: disc, in: service.ActionInput{UnitID: unit}, after: g.dur(time.Hour, 48*time.Hour)},
		{action: "sign", who: unitStep, after: g.dur(time.Hour, 48*time.Hour)},
		{action: "report_back", who: unitStep, in: service.ActionInput{Note: "整改完成，附佐证材料。", Evidence: []string{g.evidence}, Fields: done}, after: g.dur(3*24*time.Hour, 25*24*time.Hour)},
	}
	if g.rng.IntN(100) < 8 {
		steps = append(steps,
			walkStep{action: "review", who: disc, in: service.ActionInput{Result: "fail", Note: "整改不到位，退回继续整改。"}, after: g.dur(24*time.Hour, 5*24*time.Hour)},
			walkStep{action: "report_back", who: unitStep, in: service.ActionInput{Note: "补充整改完成。", Evidence: []string{g.evidence}}, after: g.dur(2*24*time.Hour, 10*24*time.Hour)})
	}
	steps = append(steps, walkStep{action: "review", who: disc, in: service.ActionInput{Result: "pass", Note: "验收合格，予以销号。"}, after: g.dur(24*time.Hour, 5*24*time.Hour)})
	return g.walk(c, events, t, steps)
}

// referral is a two-way referral between hospitals, sent to the health
// bureau's unit in the demo.
func (g *generator) referral(t time.Time) (store.CaseWithTimeline, error) {
	sup := g.pick(g.byRole[model.RoleSupervisor])
	dir := g.weighted([]string{"up", "down"}, []int{22, 78})
	from, to := "娄星区人民医院", "娄底市中心医院"
	if dir == "down" {
		from, to = to, []string{"乐坪街道社区卫生服务中心", "花山街道社区卫生服务中心", "杉山镇卫生院", "万宝镇卫生院"}[g.rng.IntN(4)]
	}
	fields := map[string]any{"direction": dir, "from_institution": from, "to_institution": to, "patient_ref": fmt.Sprintf("BA%08d", g.rng.IntN(1e8)),
		"diagnosis": []string{"肺部肿瘤术后康复", "脑卒中恢复期", "2型糖尿病", "冠心病", "骨折术后"}[g.rng.IntN(5)], "urgency": g.weighted([]string{"routine", "urgent"}, []int{85, 15})}
	c := model.Case{
		Type: "referral", DefVersion: 1, Channel: model.ChannelWeb, Description: "双向转诊：" + from + "→" + to,
		UnitID: sup.OrgID, Routing: "creator", Status: "requested", Version: 1, Fields: fields,
		CreatedBy: sup.ID, CreatedAt: t, UpdatedAt: t, Receipt: service.NewReceipt(), Flow: model.Flow{OriginUnit: sup.OrgID},
	}
	events := []model.Event{{Seq: 1, At: t, ActorID: sup.ID, ActorName: sup.DisplayName, Role: sup.Role, Action: "create", ToState: "requested", UnitID: c.UnitID,
		Data: map[string]any{"fields": fields}}}
	unitStep := model.User{Role: model.RoleUnit}
	steps := []walkStep{
		{action: "send", who: sup, in: service.ActionInput{UnitID: g.health}, after: g.dur(10*time.Minute, 4*time.Hour)},
		{action: "accept", who: unitStep, after: g.dur(10*time.Minute, 20*time.Hour)},
		{action: "complete", who: unitStep, in: service.ActionInput{Note: "转诊完成。", Fields: map[string]any{"outcome": g.weighted([]string{"improved", "referred_back", "inpatient"}, []int{60, 30, 10})}}, after: g.dur(24*time.Hour, 15*24*time.Hour)},
	}
	return g.walk(c, events, t, steps)
}
