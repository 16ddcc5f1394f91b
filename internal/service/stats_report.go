package service

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/stats"
	"github.com/yiwang-gov/yiwang/internal/stats/briefing"
	"github.com/yiwang-gov/yiwang/internal/stats/ledger"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// StatsDefinitions is the short statement of what the figures count,
// printed under tables and briefings (docs/STATISTICS.md has the long one).
const StatsDefinitions = "口径说明：受理数按受理时间统计；立案数按首次立案时间统计；派遣数按首次派遣时间统计，准确派遣指此后未被退单；" +
	"应结案数为处置时限或结案时间（取较早者）落在统计期内的案件（不含不予受理、合并、撤销和挂账案件），结案数、按期结案数为其中已结案、" +
	"在处置时限内完成处置的案件；结案率＝结案数÷应结案数，按期结案率＝按期结案数÷应结案数；整治成效数据按验收销号（办结）时间统计。" +
	"时间均为北京时间。"

// areaWord is how a briefing names its area: 全区, 全县, 全街道, 全镇 ...
func areaWord(o model.OrgUnit) string {
	name := []rune(o.Name)
	if len(name) == 0 {
		return "全区"
	}
	last := string(name[len(name)-1])
	switch o.Kind {
	case model.OrgDistrict, model.OrgStreet, model.OrgTownship:
		if last == "道" {
			return "全街道"
		}
		return "全" + last
	}
	return "本" + last
}

// StatsBriefing gathers a 成效通报's figures for a range and area.
func (s *Service) StatsBriefing(ctx context.Context, actor model.User, p StatsParams) (briefing.Data, error) {
	var d briefing.Data
	sum, err := s.StatsSummary(ctx, actor, p)
	if err != nil {
		return d, err
	}
	ref := s.Ref()
	area := ref.Root
	if p.Area != 0 {
		area = ref.Org[p.Area]
	}
	cfg, err := s.StatsConfig(ctx)
	if err != nil {
		return d, err
	}
	d = briefing.Data{
		Title:    area.Name + "一网统管工作成效通报",
		Issuer:   ref.Root.Name + "一网统管指挥中心",
		AreaName: area.Name, AreaWord: areaWord(area), Range: sum.Scope.Range, Now: s.now(),
		Summary: sum.Measures, YoY: sum.YoY, MoM: sum.MoM, Weights: cfg.Weights, Referrals: sum.Referrals,
		Projects: briefing.Projects{Projects: sum.Projects.Projects, Completed: sum.Projects.Completed, Beneficiaries: sum.Projects.Beneficiaries,
			AvgPercent: sum.Projects.AvgPercent, InvestmentFen: stats.ParseFen(sum.Projects.Investment)},
		Definitions: StatsDefinitions,
	}
	toRows := func(b StatsBreakdown) []briefing.Row {
		out := make([]briefing.Row, 0, len(b.Rows))
		for _, r := range b.Rows {
			out = append(out, briefing.Row{Name: r.Name, M: r.Measures})
		}
		return out
	}
	by := "month"
	if p.To.Sub(p.From) <= 62*24*time.Hour {
		by = "day"
	}
	trend, err := s.StatsBreakdown(ctx, actor, p, by)
	if err != nil {
		return d, err
	}
	d.Trend = toRows(trend)
	sub := "street"
	if area.Kind != model.OrgDistrict {
		sub = "community"
	}
	if area.Kind != model.OrgGrid {
		streets, err := s.StatsBreakdown(ctx, actor, p, sub)
		if err != nil {
			return d, err
		}
		for _, r := range streets.Rows {
			if r.Key != 0 {
				d.Streets = append(d.Streets, briefing.Row{Name: r.Name, M: r.Measures})
			}
		}
	}
	cats, err := s.StatsBreakdown(ctx, actor, p, "category")
	if err != nil {
		return d, err
	}
	for _, r := range cats.Rows {
		if r.Key != 0 && len(d.Categories) < 10 {
			d.Categories = append(d.Categories, briefing.Row{Name: r.Name, M: r.Measures})
		}
	}
	if def, ok := s.workflows.Latest("rectification"); ok && def.Visible(actor.Role) && (p.Type == "" || p.Type == "rectification") {
		q := p
		q.Type = "rectification"
		dom, err := s.StatsBreakdown(ctx, actor, q, "category")
		if err != nil {
			return d, err
		}
		slices.SortStableFunc(dom.Rows, func(a, b StatsRow) int {
			return cmp.Compare(b.Rectification.ProblemsRectified, a.Rectification.ProblemsRectified)
		})
		for _, r := range dom.Rows {
			d.Domains = append(d.Domains, briefing.Domain{Name: r.Name, M: r.Measures})
		}
	}
	if _, ok := s.workflows.Latest("hotline_order"); ok && (p.Type == "" || p.Type == "hotline_order") {
		q := p
		q.Type = "hotline_order"
		h, err := s.StatsSummary(ctx, actor, q)
		if err != nil {
			return d, err
		}
		d.Hotline = &h.Measures
	}
	units, err := s.StatsRanking(ctx, actor, p, "unit", nil)
	if err != nil {
		return d, err
	}
	d.Units = units.Ranking
	if area.Kind == model.OrgDistrict {
		sr, err := s.StatsRanking(ctx, actor, p, "street", nil)
		if err != nil {
			return d, err
		}
		d.StreetRank = sr.Ranking
	}
	// Hot spots are what keeps coming back lately: the last three calendar
	// months of the period (as for 每月一题), not the whole of a long one.
	hp := p
	if recent := stats.MonthRange(p.To.Add(-time.Millisecond)).From.AddDate(0, -2, 0); recent.After(hp.From) {
		hp.From = recent
	}
	hs, _, err := s.StatsHotSpots(ctx, actor, hp, 0, 10)
	if err != nil {
		return d, err
	}
	for _, h := range hs {
		d.HotSpots = append(d.HotSpots, briefing.Place{Street: h.StreetName, Grid: h.GridName, Category: h.CategoryName, Reports: h.Reports})
	}
	topics, _, err := s.StatsTopics(ctx, actor, p, 10)
	if err != nil {
		return d, err
	}
	for _, t := range topics {
		d.Topics = append(d.Topics, briefing.Topic{Street: t.StreetName, Category: t.CategoryName, Months: t.Months, Total: t.Total, Unclosed: t.Unclosed})
	}
	return d, nil
}

func rateCell(r stats.Rate) any { return r.Value }

// measureHeaders and measureCells are the columns of a measure table.
var measureHeaders = []string{"受理数", "立案数", "立案率(%)", "按时立案率(%)", "派遣数", "准确派遣率(%)", "处置数", "按期处置率(%)", "返工率(%)", "延期率(%)",
	"应结案数", "结案数", "结案率(%)", "按期结案数", "按期结案率(%)", "办结数", "平均处置时长(小时)", "响应率(%)", "解决率(%)", "满意率(%)", "综合得分",
	"整改问题(个)", "追缴退缴资金(元)", "退还群众资金(元)", "处理人数", "移送线索(条)", "建章立制(项)"}

func measureCells(m stats.Measures) []any {
	return []any{m.Received, m.Registered, rateCell(m.RegistrationRate), rateCell(m.RegOnTimeRate), m.Dispatched, rateCell(m.AccurateDispatch),
		m.Handled, rateCell(m.HandledOnTimeRate), rateCell(m.ReworkRate), rateCell(m.ExtensionRate),
		m.DueToClose, m.Closed, rateCell(m.ClosureRate), m.ClosedOnTime, rateCell(m.OnTimeRate), m.ClosedInPeriod, m.AvgHandlingHours,
		rateCell(m.ResponseRate), rateCell(m.ResolutionRate), rateCell(m.SatisfactionRate), m.Composite,
		m.Rectification.ProblemsRectified, float64(m.Rectification.FundsRecoveredFen) / 100, float64(m.Rectification.FundsReturnedFen) / 100,
		m.Rectification.PeopleHandled, m.Rectification.CluesTransferred, m.Rectification.RulesMade}
}

func percentCols(offset int, headers []string) map[int]bool {
	out := map[int]bool{}
	for i, h := range headers {
		if strings.HasSuffix(h, "(%)") {
			out[offset+i] = true
		}
	}
	return out
}

func scopeTitle(sc StatsScope) string {
	t := sc.AreaName + " " + briefing.Period(sc.Range)
	if sc.UnitName != "" {
		t += " " + sc.UnitName
	}
	if sc.TypeName != "" {
		t += " " + sc.TypeName
	}
	return t
}

// StatsTable renders a statistics answer as a table for export: what is
// summary, breakdown (by), ranking (of), hotspots, topics or cases (the
// cases counted on axis, the drill-down list).
func (s *Service) StatsTable(ctx context.Context, actor model.User, p StatsParams, what, by string, axis stats.Axis) (ledger.Table, error) {
	note := StatsDefinitions + " 导出时间：" + s.now().In(calendar.Beijing()).Format("2006-01-02 15:04")
	switch what {
	case "summary", "":
		sum, err := s.StatsSummary(ctx, actor, p)
		if err != nil {
			return ledger.Table{}, err
		}
		t := ledger.Table{Title: "统计汇总 " + scopeTitle(sum.Scope), Sheet: "统计汇总", Note: note, Headers: []string{"指标", "数值", "分子", "分母", "同比", "环比"}}
		rate := func(name string, r stats.Rate) {
			t.Rows = append(t.Rows, []any{name, r.Value, r.Numerator, r.Denominator, nil, nil})
		}
		count := func(name string, v int64, yoy, mom stats.Change) {
			t.Rows = append(t.Rows, []any{name, v, nil, nil, yoy.Percent, mom.Percent})
		}
		m := sum.Measures
		count("受理数", m.Received, sum.YoY.Received, sum.MoM.Received)
		count("立案数", m.Registered, sum.YoY.Registered, sum.MoM.Registered)
		rate("立案率(%)", m.RegistrationRate)
		rate("按时立案率(%)", m.RegOnTimeRate)
		count("派遣数", m.Dispatched, stats.Change{}, stats.Change{})
		rate("准确派遣率(%)", m.AccurateDispatch)
		rate("按期处置率(%)", m.HandledOnTimeRate)
		rate("返工率(%)", m.ReworkRate)
		rate("延期率(%)", m.ExtensionRate)
		count("应结案数", m.DueToClose, sum.YoY.DueToClose, sum.MoM.DueToClose)
		count("结案数", m.Closed, sum.YoY.Closed, sum.MoM.Closed)
		rate("结案率(%)", m.ClosureRate)
		count("按期结案数", m.ClosedOnTime, stats.Change{}, stats.Change{})
		rate("按期结案率(%)", m.OnTimeRate)
		count("办结数", m.ClosedInPeriod, stats.Change{}, stats.Change{})
		t.Rows = append(t.Rows, []any{"平均处置时长(小时)", m.AvgHandlingHours, nil, nil, nil, nil})
		rate("响应率(%)", m.ResponseRate)
		rate("解决率(%)", m.ResolutionRate)
		rate("满意率(%)", m.SatisfactionRate)
		t.Rows = append(t.Rows, []any{"综合得分", m.Composite, nil, nil, nil, nil})
		r := m.Rectification
		for _, x := range []struct {
			n string
			v any
		}{{"整改问题(个)", r.ProblemsRectified}, {"追缴退缴资金(元)", float64(r.FundsRecoveredFen) / 100}, {"退还群众资金(元)", float64(r.FundsReturnedFen) / 100},
			{"退还群众人数", r.PeopleRefunded}, {"处理人数", r.PeopleHandled}, {"移送问题线索(条)", r.CluesTransferred}, {"建章立制(项)", r.RulesMade},
			{"向上转诊(人次)", m.Referrals.Up}, {"向下转诊(人次)", m.Referrals.Down}} {
			t.Rows = append(t.Rows, []any{x.n, x.v, nil, nil, nil, nil})
		}
		return t, nil
	case "breakdown":
		b, err := s.StatsBreakdown(ctx, actor, p, by)
		if err != nil {
			return ledger.Table{}, err
		}
		t := ledger.Table{Title: "分项统计（按" + groupLabel(by) + "） " + scopeTitle(b.Scope), Sheet: "按" + groupLabel(by), Note: note,
			Headers: append([]string{groupLabel(by)}, measureHeaders...), Percent: percentCols(1, measureHeaders)}
		for _, r := range append(b.Rows, b.Total) {
			t.Rows = append(t.Rows, append([]any{r.Name}, measureCells(r.Measures)...))
		}
		return t, nil
	case "ranking":
		rk, err := s.StatsRanking(ctx, actor, p, by, nil)
		if err != nil {
			return ledger.Table{}, err
		}
		head := []string{"名次", "名称", "综合得分", "响应率(%)", "解决率(%)", "满意率(%)", "结案率(%)", "按期结案率(%)", "派遣数", "办结数", "榜单"}
		t := ledger.Table{Title: "红黑榜 " + scopeTitle(rk.Scope), Sheet: "红黑榜", Headers: head, Percent: percentCols(0, head),
			Note: fmt.Sprintf("综合得分＝响应率×%g%%＋解决率×%g%%＋满意率×%g%%（缺项按其余权重折算）；样本不足%d件的不参与排名。", rk.Weights.Response, rk.Weights.Resolution, rk.Weights.Satisfaction, rk.MinSample)}
		red, black := map[int64]bool{}, map[int64]bool{}
		for _, r := range rk.Red {
			red[r.ID] = true
		}
		for _, r := range rk.Black {
			black[r.ID] = true
		}
		for _, r := range append(rk.All, rk.Unranked...) {
			list := ""
			switch {
			case red[r.ID]:
				list = "红榜"
			case black[r.ID]:
				list = "黑榜"
			case r.Rank == 0:
				list = "样本不足"
			}
			var rank any
			if r.Rank > 0 {
				rank = r.Rank
			}
			t.Rows = append(t.Rows, []any{rank, r.Name, r.Score, r.Response.Value, r.Resolution.Value, r.Satisfaction.Value, r.ClosureRate.Value, r.OnTimeRate.Value, r.Dispatched, r.Closed, list})
		}
		return t, nil
	case "hotspots":
		hs, sc, err := s.StatsHotSpots(ctx, actor, p, 0, 500)
		if err != nil {
			return ledger.Table{}, err
		}
		t := ledger.Table{Title: "高发点位 " + scopeTitle(sc), Sheet: "高发点位", Note: note, Headers: []string{"街道（乡镇）", "网格", "网格编码", "问题类别", "上报次数", "重复次数", "合并件数"}}
		for _, h := range hs {
			t.Rows = append(t.Rows, []any{h.StreetName, h.GridName, h.GridCode, h.CategoryName, h.Reports, h.Repeats, h.Merged})
		}
		return t, nil
	case "topics":
		ts, sc, err := s.StatsTopics(ctx, actor, p, 200)
		if err != nil {
			return ledger.Table{}, err
		}
		t := ledger.Table{Title: "每月一题候选 " + scopeTitle(sc), Sheet: "每月一题候选", Note: note, Headers: []string{"街道（乡镇）", "问题类别", "各月件数", "合计", "未结"}}
		for _, x := range ts {
			var ms []string
			for _, n := range x.Months {
				ms = append(ms, fmt.Sprint(n))
			}
			t.Rows = append(t.Rows, []any{x.StreetName, x.CategoryName, strings.Join(ms, "、"), x.Total, x.Unclosed})
		}
		return t, nil
	case "cases":
		return s.statsCaseTable(ctx, actor, p, axis, note)
	}
	return ledger.Table{}, Invalid("table", "field.unknown_table")
}

func groupLabel(by string) string {
	switch by {
	case "type":
		return "案件类型"
	case "street":
		return "街道（乡镇）"
	case "community":
		return "社区（村）"
	case "grid":
		return "网格"
	case "unit":
		return "责任单位"
	case "category":
		return "问题类别"
	case "channel":
		return "来源渠道"
	case "subtype":
		return "细分类型"
	case "user", "post":
		return "岗位人员"
	case "month":
		return "月份"
	case "day":
		return "日期"
	}
	return by
}

// statsCaseTable lists the cases behind a figure (at most 100 000).
func (s *Service) statsCaseTable(ctx context.Context, actor model.User, p StatsParams, axis stats.Axis, note string) (ledger.Table, error) {
	ref := s.Ref()
	t := ledger.Table{Title: "案件清单", Sheet: "案件清单", Note: note, Headers: []string{"案件编号", "案件类型", "来源渠道", "问题类别", "街道（乡镇）", "社区（村）", "网格",
		"责任单位", "状态", "受理时间", "立案时间", "首次派遣时间", "处置反馈时间", "处置时限", "结案时间", "是否按期", "满意度"}}
	types := map[string]string{}
	for _, d := range s.workflows.All() {
		types[d.Type] = d.Name
	}
	states := func(typ, st string) string {
		if d, ok := s.workflows.Latest(typ); ok {
			if sd, ok := d.State(st); ok {
				return sd.Label
			}
		}
		return st
	}
	tm := func(ms int64) any {
		if ms == 0 {
			return nil
		}
		return time.UnixMilli(ms).In(calendar.Beijing())
	}
	sat := []string{"", "满意", "基本满意", "不满意"}
	var after int64
	for len(t.Rows) < 100000 {
		facts, err := s.StatsCaseList(ctx, actor, p, axis, after, 5000)
		if err != nil {
			return t, err
		}
		for _, f := range facts {
			onTime := ""
			if f.Closed {
				onTime = map[bool]string{true: "是", false: "否"}[f.ClosedOnTime]
			}
			t.Rows = append(t.Rows, []any{f.CaseID, types[f.Type], channelNames[f.Channel], ref.Categories[f.CategoryID].Name, ref.OrgName(f.StreetID),
				ref.OrgName(f.CommunityID), ref.OrgName(f.GridID), ref.OrgName(f.UnitID), states(f.Type, f.Status), tm(f.ReceivedAt), tm(f.RegisteredAt),
				tm(f.DispatchedAt), tm(f.HandledAt), tm(f.DueAt), tm(f.ClosedAt), onTime, sat[min(max(f.Satisfaction, 0), 3)]})
			after = f.CaseID
		}
		if len(facts) < 5000 {
			break
		}
	}
	return t, nil
}

// LedgerTable exports a ledger (问题整改台账 or 问题线索台账) in its usual
// layout: the cases of the kind taken in within the range.
func (s *Service) LedgerTable(ctx context.Context, actor model.User, kind string, p StatsParams) (ledger.Table, error) {
	layout, ok := ledger.Layouts[kind]
	if !ok {
		return ledger.Table{}, ErrNotFound
	}
	p.Type = kind
	f, sc, err := s.statsQuery(ctx, actor, p)
	if err != nil {
		return ledger.Table{}, err
	}
	def, _ := s.workflows.Latest(kind)
	ref := s.Ref()
	// No note under the rows: the file must import back as it is.
	t := ledger.Table{Title: sc.AreaName + layout.Title + "（" + briefing.Period(sc.Range) + "，导出于" + s.now().In(calendar.Beijing()).Format("2006-01-02 15:04") + "，金额单位：元）",
		Sheet: layout.Title, Headers: layout.Headers(), Widths: layout.Widths()}
	label := func(field string, v any) string {
		str := fmt.Sprint(v)
		if v == nil {
			return ""
		}
		if fd, ok := def.Field(field); ok {
			if e, ok := fd.Value(str); ok {
				return e.Label
			}
		}
		return str
	}
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(calendar.Beijing()).Format("2006-01-02")
	}
	var after int64
	seq := 0
	for {
		facts, err := s.store.StatsFacts(ctx, stats.AxisReceived, sc.Range, f, after, 2000)
		if err != nil {
			return t, err
		}
		if len(facts) == 0 {
			break
		}
		ids := make([]int64, len(facts))
		for i, fa := range facts {
			ids[i] = fa.CaseID
		}
		after = ids[len(ids)-1]
		loaded, err := s.store.StatsLoad(ctx, ids)
		if err != nil {
			return t, err
		}
		nos, err := s.store.LedgerNumbers(ctx, kind, ids)
		if err != nil {
			return t, err
		}
		slices.SortFunc(loaded, func(a, b store.CaseWithTimeline) int { return cmp.Compare(a.Case.ID, b.Case.ID) })
		for _, cw := range loaded {
			c := cw.Case
			seq++
			no := nos[c.ID]
			if no == "" {
				no = c.Receipt
			}
			var done time.Time
			for _, ev := range cw.Events {
				if ev.Action == "report_back" || ev.Action == "conclude" || string(ev.ToState) == stats.Closed {
					done = ev.At
				}
			}
			if c.Status != stats.Closed {
				done = time.Time{}
			}
			state := string(c.Status)
			if sd, ok := def.State(state); ok {
				state = sd.Label
			}
			fv := func(k string) any {
				v, ok := c.Fields[k]
				if !ok {
					return nil
				}
				return fmt.Sprint(v)
			}
			num := func(k string) any {
				if v, ok := c.Fields[k]; ok {
					if x, err := strconv.ParseFloat(fmt.Sprint(v), 64); err == nil {
						return x
					}
				}
				return nil
			}
			row := map[string]any{
				"seq": seq, "ledger_no": no, "description": c.Description, "status": state, "done_on": date(done), "note": "",
				"funds_recovered": num("funds_recovered"), "funds_returned": num("funds_returned"), "funds_returned_people": num("funds_returned_people"),
				"people_handled": num("people_handled"), "clues_transferred": num("clues_transferred"), "rules_made": num("rules_made"),
				"measures": fv("measures"), "cooperating_units": fv("cooperating_units"),
			}
			switch kind {
			case ledger.Rectification:
				row["domain"] = ref.Categories[c.CategoryID].Name
				row["problem_source"] = label("problem_source", c.Fields["problem_source"])
				row["unit"] = ref.OrgName(c.UnitID)
				row["found_on"] = date(c.CreatedAt)
			case ledger.Clue:
				row["source"] = label("source", c.Fields["source"])
				row["received_on"] = date(c.CreatedAt)
				row["subject_name"] = fv("subject_name")
				row["subject_unit"] = fv("subject_unit")
				row["subject_level"] = label("subject_level", c.Fields["subject_level"])
				row["disposition"] = label("disposition", c.Fields["disposition"])
				row["outcome"] = label("outcome", c.Fields["outcome"])
			}
			cells := make([]any, len(layout.Columns))
			for i, col := range layout.Columns {
				cells[i] = row[col.Key]
			}
			t.Rows = append(t.Rows, cells)
		}
	}
	return t, nil
}
