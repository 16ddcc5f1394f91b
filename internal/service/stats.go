package service

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/stats"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// StatsConfig is the configurable part of the statistics (the
// definitions are fixed, docs/STATISTICS.md).
type StatsConfig struct {
	// Weights of the 12345 三率 in the composite score (default 30/35/35).
	Weights stats.Weights `json:"weights"`
	// Limits for registration and response on time where a case type
	// keeps no clock of its own. Changing them recomputes every fact.
	Limits stats.Limits `json:"limits"`
	// MinSample is the fewest cases a unit or street needs to be ranked.
	MinSample int64 `json:"min_sample"`
	// TopN is the length of the red and black lists.
	TopN int `json:"top_n"`
	// HotSpotMin is the fewest reports of one category in one grid that
	// make a hot spot.
	HotSpotMin int64 `json:"hot_spot_min"`
	// TopicMonths and TopicMin: a category recurs in an area (每月一题
	// candidate) when it had at least TopicMin reports in each of the last
	// TopicMonths months.
	TopicMonths int   `json:"topic_months"`
	TopicMin    int64 `json:"topic_min"`
}

// DefaultStatsConfig is used until an administrator changes it.
var DefaultStatsConfig = StatsConfig{
	Weights: stats.DefaultWeights, Limits: stats.DefaultLimits,
	MinSample: 5, TopN: 5, HotSpotMin: 3, TopicMonths: 3, TopicMin: 3,
}

const statsConfigKey = "stats.config"

// StatsConfig returns the statistics configuration.
func (s *Service) StatsConfig(ctx context.Context) (StatsConfig, error) {
	cfg := DefaultStatsConfig
	raw, err := s.store.Setting(ctx, statsConfigKey)
	if errors.Is(err, store.ErrNotFound) || raw == "" {
		return cfg, nil
	}
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		return DefaultStatsConfig, nil
	}
	return cfg, nil
}

// SetStatsConfig stores a new configuration (administrators only). When
// the limits change every fact is recomputed at the next refresh.
func (s *Service) SetStatsConfig(ctx context.Context, actor model.User, cfg StatsConfig) error {
	if actor.Role != model.RoleAdmin {
		return ErrForbidden
	}
	v := &ValidationError{}
	if cfg.Weights.Check() != nil {
		v.add("weights", "field.stats_weights")
	}
	for name, r := range map[string]model.DeadlineRule{"limits.register": cfg.Limits.Register, "limits.response": cfg.Limits.Response} {
		if r.Amount <= 0 || r.Amount > 1000 || !validDeadlineKind(r.Kind) {
			v.add(name, "field.stats_limit")
		}
	}
	if cfg.MinSample < 0 {
		v.add("min_sample", "field.min", "0")
	}
	if cfg.TopN < 1 || cfg.TopN > 100 {
		v.add("top_n", "field.stats_top_n")
	}
	if cfg.HotSpotMin < 2 {
		v.add("hot_spot_min", "field.min", "2")
	}
	if cfg.TopicMonths < 1 || cfg.TopicMonths > 24 {
		v.add("topic_months", "field.stats_topic_months")
	}
	if cfg.TopicMin < 1 {
		v.add("topic_min", "field.min", "1")
	}
	if err := v.err(); err != nil {
		return err
	}
	old, err := s.StatsConfig(ctx)
	if err != nil {
		return err
	}
	js, _ := json.Marshal(cfg)
	if err := s.store.SetSetting(ctx, statsConfigKey, string(js)); err != nil {
		return err
	}
	if old.Limits != cfg.Limits {
		return s.store.StatsMarkAll(ctx)
	}
	return nil
}

func validDeadlineKind(k model.DeadlineKind) bool {
	switch k {
	case model.DeadlineNaturalDays, model.DeadlineWorkingDays, model.DeadlineWorkingHours, model.DeadlineUrgentHours:
		return true
	}
	return false
}

// StatsRefresh brings the facts and aggregates up to date with the cases
// changed since the last refresh, for at most budget (0: until done). It
// returns how many cases are still behind. Every statistics read calls it
// first, so figures include every committed change unless a large backlog
// (a bulk import) is still being worked through.
func (s *Service) StatsRefresh(ctx context.Context, budget time.Duration) (int, error) {
	_, total, err := s.store.StatsDirtyCases(ctx, 1)
	if err != nil || total == 0 {
		return 0, err
	}
	cfg, err := s.StatsConfig(ctx)
	if err != nil {
		return total, err
	}
	start := time.Now()
	pending := total
	err = s.store.Exclusive(ctx, "stats-refresh", func(ctx context.Context) error {
		cls := stats.NewClassifier(s.workflows)
		for {
			dirty, n, err := s.store.StatsDirtyCases(ctx, 1000)
			pending = n
			if err != nil || len(dirty) == 0 {
				return err
			}
			facts, done, err := s.deriveFacts(ctx, cls, cfg.Limits, dirty)
			if err != nil {
				return err
			}
			if err := s.store.StatsApply(ctx, facts, done); err != nil {
				return err
			}
			pending = n - len(dirty)
			if budget > 0 && time.Since(start) > budget {
				return nil
			}
		}
	})
	return pending, err
}

// deriveFacts loads the dirty cases and derives their facts. A dirty mark
// is cleared with the version of the case row read, so a change committed
// meanwhile stays marked.
func (s *Service) deriveFacts(ctx context.Context, cls *stats.Classifier, lim stats.Limits, dirty []store.StatsDirty) ([]stats.Fact, []store.StatsDirty, error) {
	ids := make([]int64, len(dirty))
	for i, d := range dirty {
		ids[i] = d.CaseID
	}
	loaded, err := s.store.StatsLoad(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	found := map[int64]bool{}
	facts := make([]stats.Fact, 0, len(loaded))
	done := make([]store.StatsDirty, 0, len(dirty))
	for _, cw := range loaded {
		facts = append(facts, DeriveFact(cls, cw.Case, cw.Events, lim, s.calendar))
		done = append(done, store.StatsDirty{CaseID: cw.Case.ID, Version: cw.Case.Version})
		found[cw.Case.ID] = true
	}
	for _, d := range dirty {
		if !found[d.CaseID] {
			done = append(done, d) // the case is gone: nothing to count
		}
	}
	return facts, done, nil
}

// DeriveFact derives one case's fact with its type's statistical roles.
// The demo bulk loader uses it to write facts together with the cases.
func DeriveFact(cls *stats.Classifier, c model.Case, events []model.Event, lim stats.Limits, cal stats.Deadliner) stats.Fact {
	roles, _, ok := cls.Roles(c.Type, c.DefVersion)
	if !ok {
		roles = stats.Roles{Type: c.Type}
	}
	return stats.Derive(roles, c, events, lim, cal)
}

// StatsClassifier returns the statistical roles of the loaded case types.
func (s *Service) StatsClassifier() *stats.Classifier { return stats.NewClassifier(s.workflows) }

// StatsParams is a statistics request: a range and optional filters.
type StatsParams struct {
	From, To time.Time
	// Area is a territorial org unit: the district (or 0) for everything,
	// a street or township, a community or village, or a unit grid.
	Area int64
	// Unit is the responsible unit.
	Unit int64
	// Type is a case type.
	Type string
	// Category counts the category and its sub-categories.
	Category int64
	Channel  string
	// Engine forces the facts or the aggregates (benchmarks, tests).
	Engine store.StatsEngine
}

// StatsScope is the filter a request resolved to, with names.
type StatsScope struct {
	Range        stats.Range `json:"range"`
	Area         int64       `json:"area,omitempty"`
	AreaName     string      `json:"area_name"`
	Unit         int64       `json:"unit,omitempty"`
	UnitName     string      `json:"unit_name,omitempty"`
	Type         string      `json:"type,omitempty"`
	TypeName     string      `json:"type_name,omitempty"`
	Category     int64       `json:"category,omitempty"`
	CategoryName string      `json:"category_name,omitempty"`
	Channel      string      `json:"channel,omitempty"`
	// Pending is how many changed cases were not yet counted when the
	// figures were read (0 normally).
	Pending int `json:"pending"`
}

// MaxStatsSpan is the longest range a statistics request may cover.
const MaxStatsSpan = 20 * 366 * 24 * time.Hour

// refreshBudget bounds the catch-up a read does before answering.
const refreshBudget = 3 * time.Second

// statsQuery checks a request and the actor's right to it and returns the
// store filter. Units see only their own cases; grid workers and citizens
// see no statistics; types restricted to some roles are left out for
// everyone else.
func (s *Service) statsQuery(ctx context.Context, actor model.User, p StatsParams) (store.StatsFilter, StatsScope, error) {
	var f store.StatsFilter
	sc := StatsScope{Range: stats.Range{From: p.From, To: p.To}}
	switch actor.Role {
	case model.RoleAdmin, model.RoleSupervisor, model.RoleOperator, model.RoleDispatcher, model.RoleLeader, model.RoleDiscipline:
	case model.RoleUnit:
		if p.Unit != 0 && p.Unit != actor.OrgID {
			return f, sc, ErrForbidden
		}
		p.Unit = actor.OrgID
	default:
		return f, sc, ErrForbidden
	}
	ref := s.Ref()
	v := &ValidationError{}
	switch {
	case p.From.IsZero():
		v.add("from", "field.required")
	case p.To.IsZero():
		v.add("to", "field.required")
	case !p.To.After(p.From):
		v.add("to", "field.stats_range")
	case p.To.Sub(p.From) > MaxStatsSpan:
		v.add("to", "field.stats_span", 20)
	}
	sc.AreaName = ref.Root.Name
	if p.Area != 0 {
		o, ok := ref.Org[p.Area]
		switch {
		case !ok:
			v.add("area", "field.unknown_area")
		case o.Kind == model.OrgDistrict:
		case o.Kind == model.OrgStreet || o.Kind == model.OrgTownship:
			f.StreetID = o.ID
		case o.Kind == model.OrgCommunity || o.Kind == model.OrgVillage:
			f.CommunityID = o.ID
		case o.Kind == model.OrgGrid:
			f.GridID = o.ID
		default:
			v.add("area", "field.unknown_area")
		}
		if ok {
			sc.Area, sc.AreaName = o.ID, o.Name
		}
	}
	if p.Unit != 0 {
		o, ok := ref.Org[p.Unit]
		if !ok {
			v.add("unit", "field.unknown_unit")
		}
		f.UnitID, sc.Unit, sc.UnitName = p.Unit, p.Unit, o.Name
	}
	if p.Type != "" {
		def, ok := s.workflows.Latest(p.Type)
		if !ok || !def.Visible(actor.Role) {
			v.add("type", "field.unknown_type")
		} else {
			f.Types, sc.Type, sc.TypeName = []string{p.Type}, p.Type, def.Name
		}
	}
	if p.Category != 0 {
		c, ok := ref.Categories[p.Category]
		if !ok {
			v.add("category", "field.unknown_category")
		}
		f.CategoryIDs = categoryTree(ref, p.Category)
		sc.Category, sc.CategoryName = p.Category, c.Name
	}
	if p.Channel != "" {
		if !model.ValidChannel(model.Channel(p.Channel)) {
			v.add("channel", "field.unknown_channel")
		}
		f.Channel, sc.Channel = p.Channel, p.Channel
	}
	if err := v.err(); err != nil {
		return f, sc, err
	}
	f.HideTypes = s.hiddenTypes(actor.Role)
	pending, err := s.StatsRefresh(ctx, refreshBudget)
	if err != nil {
		return f, sc, err
	}
	sc.Pending = pending
	return f, sc, nil
}

// categoryTree returns a category and all its descendants.
func categoryTree(ref *Reference, id int64) []int64 {
	out := []int64{id}
	for i := 0; i < len(out); i++ {
		for _, c := range ref.CatList {
			if c.ParentID == out[i] {
				out = append(out, c.ID)
			}
		}
	}
	return out
}

// StatsSummary is the answer of GET /api/v1/stats/summary: the measures of
// a range, year-on-year and month-on-month changes, project progress.
type StatsSummary struct {
	Scope StatsScope `json:"scope"`
	stats.Measures
	Projects ProjectSummary `json:"projects"`
	YoY      stats.Changes  `json:"yoy"` // 同比: the same range a year earlier
	MoM      stats.Changes  `json:"mom"` // 环比: the previous period
	Weights  stats.Weights  `json:"weights"`
}

// ProjectSummary is the progress of the livelihood projects created
// before the end of the range (cancelled ones left out).
type ProjectSummary struct {
	Projects       int64      `json:"projects"`
	Completed      int64      `json:"completed"`
	Active         int64      `json:"active"`
	AvgPercent     *float64   `json:"avg_percent"`
	Investment     string     `json:"investment"`
	FundsSpent     string     `json:"funds_spent"`
	Beneficiaries  int64      `json:"beneficiaries"`
	CompletionRate stats.Rate `json:"completion_rate"`
}

// StatsSummary computes the measures of a range for actor.
func (s *Service) StatsSummary(ctx context.Context, actor model.User, p StatsParams) (StatsSummary, error) {
	f, sc, err := s.statsQuery(ctx, actor, p)
	if err != nil {
		return StatsSummary{}, err
	}
	cfg, err := s.StatsConfig(ctx)
	if err != nil {
		return StatsSummary{}, err
	}
	out := StatsSummary{Scope: sc, Weights: cfg.Weights}
	count := func(r stats.Range) (stats.Counts, error) {
		rows, err := s.store.StatsCounts(ctx, store.StatsQuery{Range: r, Filter: f, Engine: p.Engine})
		if errors.Is(err, store.ErrNotAggregatable) {
			return stats.Counts{}, Invalid("engine", "field.stats_engine")
		}
		if err != nil || len(rows) == 0 {
			return stats.Counts{}, err
		}
		return rows[0].Counts, nil
	}
	cur, err := count(sc.Range)
	if err != nil {
		return out, err
	}
	out.Measures = stats.Measure(cur, cfg.Weights)
	yr := stats.YearEarlier(sc.Range)
	prevY, err := count(yr)
	if err != nil {
		return out, err
	}
	out.YoY = stats.CompareMeasures(yr, stats.Measure(prevY, cfg.Weights), out.Measures)
	pr := stats.PreviousPeriod(sc.Range)
	prevM, err := count(pr)
	if err != nil {
		return out, err
	}
	out.MoM = stats.CompareMeasures(pr, stats.Measure(prevM, cfg.Weights), out.Measures)
	pp, err := s.store.StatsProjects(ctx, sc.Range.To, f)
	if err != nil {
		return out, err
	}
	out.Projects = ProjectSummary{Projects: pp.Projects, Completed: pp.Closed, Active: pp.Active,
		Investment: stats.FormatFen(pp.Investment), FundsSpent: stats.FormatFen(pp.FundsSpent), Beneficiaries: pp.Beneficiaries,
		CompletionRate: stats.Ratio(pp.Closed, pp.Projects)}
	if pp.Projects > 0 {
		v := stats.Round2(float64(pp.PercentSum) / float64(pp.Projects))
		out.Projects.AvgPercent = &v
	}
	return out, nil
}

// StatsRow is one row of a breakdown: a group and its measures.
type StatsRow struct {
	Key  int64  `json:"key,omitempty"`
	Code string `json:"code,omitempty"` // string groups: type, channel, subtype
	Name string `json:"name"`
	stats.Measures
	Counts stats.Counts `json:"-"`
}

// StatsBreakdown is a measure table split by one dimension.
type StatsBreakdown struct {
	Scope StatsScope `json:"scope"`
	By    string     `json:"by"`
	Rows  []StatsRow `json:"rows"`
	Total StatsRow   `json:"total"`
}

// Breakdown dimensions.
var statsGroups = map[string]store.StatsGroup{
	"type": store.GroupType, "street": store.GroupStreet, "community": store.GroupCommunity, "grid": store.GroupGrid,
	"unit": store.GroupUnit, "category": store.GroupCategory, "channel": store.GroupChannel, "subtype": store.GroupSubtype,
	"user": store.GroupUser, "post": store.GroupUser, "month": store.GroupMonth, "day": store.GroupDay,
}

// StatsGroups lists the dimensions a breakdown may use.
func StatsGroups() []string {
	out := make([]string, 0, len(statsGroups))
	for k := range statsGroups {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// StatsBreakdown splits the measures of a range by a dimension: type,
// street, community, grid, unit, category, channel, subtype, user (post:
// each step counted for the person who did it), month or day.
func (s *Service) StatsBreakdown(ctx context.Context, actor model.User, p StatsParams, by string) (StatsBreakdown, error) {
	// Who may ask comes before what was asked: a refused role learns
	// nothing from validation messages.
	f, sc, err := s.statsQuery(ctx, actor, p)
	if err != nil {
		return StatsBreakdown{}, err
	}
	g, ok := statsGroups[by]
	if !ok {
		return StatsBreakdown{}, Invalid("by", "field.unknown_group")
	}
	if g == store.GroupDay && p.To.Sub(p.From) > 400*24*time.Hour {
		return StatsBreakdown{}, Invalid("to", "field.stats_span_days", 400)
	}
	cfg, err := s.StatsConfig(ctx)
	if err != nil {
		return StatsBreakdown{}, err
	}
	rows, err := s.store.StatsCounts(ctx, store.StatsQuery{Range: sc.Range, Filter: f, Group: g, Engine: p.Engine})
	if errors.Is(err, store.ErrNotAggregatable) {
		return StatsBreakdown{}, Invalid("engine", "field.stats_engine")
	}
	if err != nil {
		return StatsBreakdown{}, err
	}
	names := s.groupNames(ctx, g)
	out := StatsBreakdown{Scope: sc, By: by, Rows: make([]StatsRow, 0, len(rows))}
	var total stats.Counts
	for _, r := range rows {
		total.Add(r.Counts)
		out.Rows = append(out.Rows, StatsRow{Key: r.Key, Code: r.Name, Name: names(r.Key, r.Name), Measures: stats.Measure(r.Counts, cfg.Weights), Counts: r.Counts})
	}
	if g != store.GroupMonth && g != store.GroupDay {
		slices.SortStableFunc(out.Rows, func(a, b StatsRow) int { return cmp.Compare(b.Received+b.DueToClose, a.Received+a.DueToClose) })
	}
	out.Total = StatsRow{Name: "合计", Measures: stats.Measure(total, cfg.Weights), Counts: total}
	return out, nil
}

// channelNames are the Chinese names of the channels.
var channelNames = map[string]string{
	"app": "随手拍", "hotline": "12345热线", "patrol": "网格员巡查", "video": "视频感知", "inspection": "查房检查",
	"supervision": "督查交办", "web": "网站", "open311": "Open311接口", "": "未注明",
}

// groupNames returns a function naming a group's key.
func (s *Service) groupNames(ctx context.Context, g store.StatsGroup) func(int64, string) string {
	ref := s.Ref()
	switch g {
	case store.GroupStreet, store.GroupCommunity, store.GroupGrid, store.GroupUnit:
		return func(k int64, _ string) string {
			if k == 0 {
				return "未定位/未派遣"
			}
			if n := ref.OrgName(k); n != "" {
				return n
			}
			return fmt.Sprintf("#%d", k)
		}
	case store.GroupCategory:
		return func(k int64, _ string) string {
			if c, ok := ref.Categories[k]; ok {
				return c.Name
			}
			return "未分类"
		}
	case store.GroupType:
		return func(_ int64, t string) string {
			if d, ok := s.workflows.Latest(t); ok {
				return d.Name
			}
			return t
		}
	case store.GroupChannel:
		return func(_ int64, c string) string {
			if n, ok := channelNames[c]; ok {
				return n
			}
			return c
		}
	case store.GroupSubtype:
		return func(_ int64, v string) string {
			for _, d := range s.workflows.All() {
				r := stats.Classify(d)
				if fd, ok := d.Field(r.Subtype); ok && r.Subtype != "" {
					if e, ok := fd.Value(v); ok {
						return e.Label
					}
				}
			}
			if v == "" {
				return "未注明"
			}
			return v
		}
	case store.GroupUser:
		users, _ := s.store.ListUsers(ctx)
		byID := map[int64]string{}
		for _, u := range users {
			byID[u.ID] = u.DisplayName
		}
		return func(k int64, _ string) string {
			if k == 0 {
				return "群众/系统"
			}
			if n := byID[k]; n != "" {
				return n
			}
			return fmt.Sprintf("#%d", k)
		}
	case store.GroupMonth:
		return func(k int64, _ string) string { return fmt.Sprintf("%d年%d月", k/12, k%12+1) }
	case store.GroupDay:
		return func(k int64, _ string) string {
			return time.UnixMilli(stats.DayStart(k)).In(calendar.Beijing()).Format("2006-01-02")
		}
	}
	return func(k int64, n string) string { return n }
}

// StatsRanking ranks units ("unit") or streets ("street") by composite
// score (红黑榜). weights nil uses the configured weights.
func (s *Service) StatsRanking(ctx context.Context, actor model.User, p StatsParams, of string, weights *stats.Weights) (StatsRankingResult, error) {
	var g store.StatsGroup
	switch of {
	case "unit", "":
		g, of = store.GroupUnit, "unit"
	case "street":
		g = store.GroupStreet
	default:
		return StatsRankingResult{}, Invalid("of", "field.unknown_group")
	}
	if weights != nil && weights.Check() != nil {
		return StatsRankingResult{}, Invalid("weights", "field.stats_weights")
	}
	f, sc, err := s.statsQuery(ctx, actor, p)
	if err != nil {
		return StatsRankingResult{}, err
	}
	cfg, err := s.StatsConfig(ctx)
	if err != nil {
		return StatsRankingResult{}, err
	}
	w := cfg.Weights
	if weights != nil {
		w = *weights
	}
	rows, err := s.store.StatsCounts(ctx, store.StatsQuery{Range: sc.Range, Filter: f, Group: g, Engine: p.Engine})
	if errors.Is(err, store.ErrNotAggregatable) {
		return StatsRankingResult{}, Invalid("engine", "field.stats_engine")
	}
	if err != nil {
		return StatsRankingResult{}, err
	}
	ref := s.Ref()
	var ents []stats.Entity
	for _, r := range rows {
		if r.Key == 0 {
			continue // cases with no unit or no street
		}
		o, ok := ref.Org[r.Key]
		if g == store.GroupStreet && ok && o.Kind != model.OrgStreet && o.Kind != model.OrgTownship {
			continue
		}
		ents = append(ents, stats.Entity{ID: r.Key, Name: o.Name, Counts: r.Counts})
	}
	return StatsRankingResult{Scope: sc, Of: of, Ranking: stats.Rank(ents, w, cfg.MinSample, cfg.TopN)}, nil
}

// StatsRankingResult is a 红黑榜 with its scope.
type StatsRankingResult struct {
	Scope StatsScope `json:"scope"`
	Of    string     `json:"of"`
	stats.Ranking
}

// HotSpot is a grid where one category was reported again and again.
type HotSpot struct {
	GridID       int64  `json:"grid_id"`
	GridName     string `json:"grid_name"`
	GridCode     string `json:"grid_code"`
	StreetID     int64  `json:"street_id"`
	StreetName   string `json:"street_name"`
	CategoryID   int64  `json:"category_id"`
	CategoryName string `json:"category_name"`
	Reports      int64  `json:"reports"`
	Repeats      int64  `json:"repeats"` // reports beyond the first
	Merged       int64  `json:"merged"`  // reports merged as duplicates
}

// StatsHotSpots lists the grids and categories with most repeat reports
// in the range: at least min reports (0: the configured minimum).
func (s *Service) StatsHotSpots(ctx context.Context, actor model.User, p StatsParams, minReports int64, limit int) ([]HotSpot, StatsScope, error) {
	f, sc, err := s.statsQuery(ctx, actor, p)
	if err != nil {
		return nil, sc, err
	}
	cfg, err := s.StatsConfig(ctx)
	if err != nil {
		return nil, sc, err
	}
	if minReports < 2 {
		minReports = cfg.HotSpotMin
	}
	if limit <= 0 || limit > 500 {
		limit = 20
	}
	hs, err := s.store.StatsHotSpots(ctx, sc.Range, f, minReports, limit)
	if err != nil {
		return nil, sc, err
	}
	ref := s.Ref()
	out := make([]HotSpot, 0, len(hs))
	for _, h := range hs {
		g := ref.Grids[h.GridID]
		out = append(out, HotSpot{GridID: h.GridID, GridName: ref.OrgName(h.GridID), GridCode: g.Code.String(), StreetID: h.StreetID,
			StreetName: ref.OrgName(h.StreetID), CategoryID: h.CategoryID, CategoryName: ref.Categories[h.CategoryID].Name,
			Reports: h.Reports, Repeats: h.Reports - 1, Merged: h.Merged})
	}
	return out, sc, nil
}

// TopicCandidate is a category that keeps recurring in a street: a
// candidate for 每月一题 (one problem taken on each month).
type TopicCandidate struct {
	StreetID     int64   `json:"street_id"`
	StreetName   string  `json:"street_name"`
	CategoryID   int64   `json:"category_id"`
	CategoryName string  `json:"category_name"`
	Months       []int64 `json:"months"` // reports per month, oldest first
	Total        int64   `json:"total"`
	Unclosed     int64   `json:"unclosed"` // of the due cases, not closed
}

// StatsTopics lists 每月一题 candidates: categories reported in a street at
// least TopicMin times in each of the TopicMonths calendar months ending
// with the month that contains the end of the range (p.From is ignored).
func (s *Service) StatsTopics(ctx context.Context, actor model.User, p StatsParams, limit int) ([]TopicCandidate, StatsScope, error) {
	cfg, err := s.StatsConfig(ctx)
	if err != nil {
		return nil, StatsScope{}, err
	}
	end := stats.MonthRange(p.To.Add(-time.Millisecond))
	p.From = end.From.AddDate(0, -(cfg.TopicMonths - 1), 0)
	p.To = end.To
	f, sc, err := s.statsQuery(ctx, actor, p)
	if err != nil {
		return nil, sc, err
	}
	if limit <= 0 || limit > 200 {
		limit = 20
	}
	rows, err := s.store.StatsCategoryDays(ctx, sc.Range, f)
	if err != nil {
		return nil, sc, err
	}
	first := stats.MonthOf(stats.DayOf(sc.Range.FromMs()))
	type key struct{ street, cat int64 }
	acc := map[key]*TopicCandidate{}
	for _, r := range rows {
		k := key{r.StreetID, r.CategoryID}
		t := acc[k]
		if t == nil {
			t = &TopicCandidate{StreetID: r.StreetID, CategoryID: r.CategoryID, Months: make([]int64, cfg.TopicMonths)}
			acc[k] = t
		}
		m := int(stats.MonthOf(r.Day) - first)
		if m >= 0 && m < len(t.Months) {
			t.Months[m] += r.Reports
			t.Total += r.Reports
			t.Unclosed += r.Unclosed
		}
	}
	ref := s.Ref()
	out := []TopicCandidate{} // never null in JSON
	for _, t := range acc {
		if slices.ContainsFunc(t.Months, func(n int64) bool { return n < cfg.TopicMin }) {
			continue
		}
		t.StreetName, t.CategoryName = ref.OrgName(t.StreetID), ref.Categories[t.CategoryID].Name
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b TopicCandidate) int {
		if c := cmp.Compare(b.Total, a.Total); c != 0 {
			return c
		}
		if c := cmp.Compare(a.StreetID, b.StreetID); c != 0 {
			return c
		}
		return cmp.Compare(a.CategoryID, b.CategoryID)
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, sc, nil
}

// StatsCaseList lists the cases counted on one axis of a range (the
// drill-down behind a figure), by case id after afterID.
func (s *Service) StatsCaseList(ctx context.Context, actor model.User, p StatsParams, axis stats.Axis, afterID int64, limit int) ([]stats.Fact, error) {
	f, _, err := s.statsQuery(ctx, actor, p)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	return s.store.StatsFacts(ctx, axis, stats.Range{From: p.From, To: p.To}, f, afterID, limit)
}

// StatsDashboard is everything a leader's dashboard shows for a range, in
// one call: the summary, the monthly trend, both rankings, hot spots and
// 每月一题 candidates. The web UI shows these; the figures are the API's.
type StatsDashboard struct {
	Summary  StatsSummary       `json:"summary"`
	Trend    StatsBreakdown     `json:"trend"`
	Streets  StatsBreakdown     `json:"streets"`
	Units    StatsRankingResult `json:"units"`
	StreetRk StatsRankingResult `json:"street_ranking"`
	HotSpots []HotSpot          `json:"hot_spots"`
	Topics   []TopicCandidate   `json:"topics"`
}

// StatsDashboard gathers the dashboard's figures.
func (s *Service) StatsDashboard(ctx context.Context, actor model.User, p StatsParams) (StatsDashboard, error) {
	var d StatsDashboard
	var err error
	if d.Summary, err = s.StatsSummary(ctx, actor, p); err != nil {
		return d, err
	}
	by := "month"
	if p.To.Sub(p.From) <= 62*24*time.Hour {
		by = "day"
	}
	if d.Trend, err = s.StatsBreakdown(ctx, actor, p, by); err != nil {
		return d, err
	}
	if d.Streets, err = s.StatsBreakdown(ctx, actor, p, "street"); err != nil {
		return d, err
	}
	if d.Units, err = s.StatsRanking(ctx, actor, p, "unit", nil); err != nil {
		return d, err
	}
	if d.StreetRk, err = s.StatsRanking(ctx, actor, p, "street", nil); err != nil {
		return d, err
	}
	if d.HotSpots, _, err = s.StatsHotSpots(ctx, actor, p, 0, 10); err != nil {
		return d, err
	}
	if d.Topics, _, err = s.StatsTopics(ctx, actor, p, 10); err != nil {
		return d, err
	}
	return d, nil
}
