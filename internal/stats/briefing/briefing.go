// Package briefing writes a 成效通报 — the progress briefing county
// offices publish — from statistics: Chinese text in the register of the
// seed articles ("截至目前，全区共处理…人，追缴退缴资金…万元，推动整改问题…
// 个"), as Markdown and as an HTML page with server-side SVG charts that
// prints cleanly to PDF (A4, no script).
package briefing

import (
	"fmt"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/stats"
)

// Row is one named line of measures (a street, a category, a month).
type Row struct {
	Name string
	M    stats.Measures
}

// Domain is one rectification domain's results (校园餐, 乡村振兴资金 ...).
type Domain struct {
	Name string
	M    stats.Measures
}

// Place is a hot spot: a grid where one category keeps being reported.
type Place struct {
	Street, Grid, Category string
	Reports                int64
}

// Topic is a 每月一题 candidate.
type Topic struct {
	Street, Category string
	Months           []int64
	Total, Unclosed  int64
}

// Projects is the progress of livelihood projects (民生实事).
type Projects struct {
	Projects, Completed, Beneficiaries int64
	AvgPercent                         *float64
	InvestmentFen                      int64
}

// Data is everything a briefing says.
type Data struct {
	Title    string // e.g. 娄星区一网统管工作成效通报
	Issuer   string // who issues it
	AreaName string // 娄星区, 乐坪街道 ...
	// AreaWord is how the text names the area: 全区, 全街道 ...
	AreaWord string
	Range    stats.Range
	Now      time.Time
	Summary  stats.Measures
	YoY, MoM stats.Changes
	// Hotline holds the 12345 measures when hotline orders are in scope.
	Hotline    *stats.Measures
	Trend      []Row // by month (or day), oldest first
	Streets    []Row
	Categories []Row // most reported first
	Domains    []Domain
	Units      stats.Ranking
	StreetRank stats.Ranking
	HotSpots   []Place
	Topics     []Topic
	Projects   Projects
	Referrals  stats.Referrals
	// Weights weigh the 12345 三率 in the composite score.
	Weights stats.Weights
	// Definitions is a short statement of what the figures count.
	Definitions string
}

// Section is a heading with paragraphs.
type Section struct {
	Heading    string
	Paragraphs []string
}

// Wan writes an amount of fen the way briefings do: 万元 above ten
// thousand yuan with up to two decimals (1479万元, 99.71万元), else 元.
func Wan(fen int64) string {
	if fen < 0 {
		return "-" + Wan(-fen)
	}
	if fen >= 1_000_000 { // 10 000 yuan
		return trimZeros(fmt.Sprintf("%d.%06d", fen/1_000_000, fen%1_000_000), 2) + "万元"
	}
	return trimZeros(fmt.Sprintf("%d.%02d", fen/100, fen%100), 2) + "元"
}

// trimZeros keeps at most places decimals (rounding half up) and drops
// trailing zeros.
func trimZeros(s string, places int) string {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > places {
		round := frac[places] >= '5'
		frac = frac[:places]
		if round {
			// Carry through the kept digits.
			digits := []byte(whole + frac)
			i := len(digits) - 1
			for ; i >= 0; i-- {
				if digits[i] == '9' {
					digits[i] = '0'
					continue
				}
				digits[i]++
				break
			}
			str := string(digits)
			if i < 0 {
				str = "1" + str
			}
			whole, frac = str[:len(str)-places], str[len(str)-places:]
		}
	}
	frac = strings.TrimRight(frac, "0")
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}

func pct(r stats.Rate) string {
	if r.Value == nil {
		return "—"
	}
	return trimNum(*r.Value) + "%"
}

func score(v *float64) string {
	if v == nil {
		return "—"
	}
	return trimNum(*v) + "分"
}

// Period names the range as briefings do: 2025年, 2025年第三季度,
// 2025年8月, or 2025年8月1日至8月20日.
func Period(r stats.Range) string {
	f, t := r.From.In(calendar.Beijing()), r.To.In(calendar.Beijing())
	midnight := func(x time.Time) bool {
		return x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0
	}
	if midnight(f) && midnight(t) && f.Day() == 1 && t.Day() == 1 {
		months := (t.Year()-f.Year())*12 + int(t.Month()) - int(f.Month())
		switch {
		case months == 12 && f.Month() == 1:
			return fmt.Sprintf("%d年", f.Year())
		case months == 3 && (f.Month()-1)%3 == 0:
			return fmt.Sprintf("%d年第%s季度", f.Year(), []string{"一", "二", "三", "四"}[(f.Month()-1)/3])
		case months == 1:
			return fmt.Sprintf("%d年%d月", f.Year(), f.Month())
		}
	}
	last := t.Add(-time.Millisecond)
	if last.Year() == f.Year() {
		return fmt.Sprintf("%d年%d月%d日至%d月%d日", f.Year(), f.Month(), f.Day(), last.Month(), last.Day())
	}
	return fmt.Sprintf("%d年%d月%d日至%d年%d月%d日", f.Year(), f.Month(), f.Day(), last.Year(), last.Month(), last.Day())
}

// upDown words a percentage change: 上升12.5% / 下降48% / 持平.
func upDown(ch stats.Change) string {
	if ch.Percent == nil {
		return ""
	}
	switch v := *ch.Percent; {
	case v > 0:
		return "上升" + trimNum(v) + "%"
	case v < 0:
		return "下降" + trimNum(-v) + "%"
	}
	return "持平"
}

func points(ch stats.RateChange) string {
	if ch.Points == nil {
		return ""
	}
	switch v := *ch.Points; {
	case v > 0:
		return "提高" + trimNum(v) + "个百分点"
	case v < 0:
		return "下降" + trimNum(-v) + "个百分点"
	}
	return "持平"
}

// asOf is "截至目前" when the range ends about now, else "截至X月X日".
func asOf(d Data) string {
	end := d.Range.To
	if !d.Now.IsZero() && !end.Before(d.Now.Add(-24*time.Hour)) {
		return "截至目前"
	}
	last := end.Add(-time.Millisecond).In(calendar.Beijing())
	return fmt.Sprintf("截至%d年%d月%d日", last.Year(), last.Month(), last.Day())
}

// Sections writes the briefing's text.
func Sections(d Data) []Section {
	m := d.Summary
	area := d.AreaWord
	if area == "" {
		area = d.AreaName
	}
	var out []Section

	// 一、总体情况
	var p []string
	s := fmt.Sprintf("%s，%s共受理各类案件%d件，其中立案%d件，应结案%d件，结案%d件，结案率%s；按期结案%d件，按期结案率%s。",
		Period(d.Range), area, m.Received, m.Registered, m.DueToClose, m.Closed, pct(m.ClosureRate), m.ClosedOnTime, pct(m.OnTimeRate))
	p = append(p, s)
	var extra []string
	if m.Dispatched > 0 {
		extra = append(extra, fmt.Sprintf("派遣%d件，准确派遣率%s", m.Dispatched, pct(m.AccurateDispatch)))
	}
	if m.Handled > 0 {
		extra = append(extra, fmt.Sprintf("处置反馈%d件，按期处置率%s，返工率%s", m.Handled, pct(m.HandledOnTimeRate), pct(m.ReworkRate)))
	}
	if m.Extended > 0 || m.Dispatched > 0 {
		extra = append(extra, fmt.Sprintf("延期%d件，延期率%s", m.Extended, pct(m.ExtensionRate)))
	}
	if m.AvgHandlingHours != nil {
		extra = append(extra, fmt.Sprintf("平均处置时长%s小时", trimNum(*m.AvgHandlingHours)))
	}
	if len(extra) > 0 {
		p = append(p, strings.Join(extra, "；")+"。")
	}
	var cmp []string
	if w := upDown(d.YoY.Received); w != "" {
		cmp = append(cmp, "受理量同比"+w)
	}
	if w := upDown(d.MoM.Received); w != "" {
		cmp = append(cmp, "环比"+w)
	}
	if w := points(d.YoY.ClosureRate); w != "" {
		cmp = append(cmp, "结案率同比"+w)
	}
	if w := points(d.MoM.OnTimeRate); w != "" {
		cmp = append(cmp, "按期结案率环比"+w)
	}
	if len(cmp) > 0 {
		p = append(p, strings.Join(cmp, "，")+"。")
	}
	out = append(out, Section{"一、总体情况", p})

	// 二、整治成效
	r := m.Rectification
	if r.ProblemsRectified+r.PeopleHandled+r.FundsRecoveredFen+r.FundsReturnedFen+r.CluesTransferred+r.RulesMade > 0 {
		var parts []string
		if r.PeopleHandled > 0 {
			parts = append(parts, fmt.Sprintf("共处理%d人", r.PeopleHandled))
		}
		if r.FundsRecoveredFen > 0 {
			parts = append(parts, "追缴退缴资金"+Wan(r.FundsRecoveredFen))
		}
		if r.FundsReturnedFen > 0 {
			s := "退还群众资金" + Wan(r.FundsReturnedFen)
			if r.PeopleRefunded > 0 {
				s += fmt.Sprintf("（涉及群众%d人）", r.PeopleRefunded)
			}
			parts = append(parts, s)
		}
		if r.ProblemsRectified > 0 {
			parts = append(parts, fmt.Sprintf("推动整改问题%d个", r.ProblemsRectified))
		}
		if r.CluesTransferred > 0 {
			parts = append(parts, fmt.Sprintf("移送问题线索%d条", r.CluesTransferred))
		}
		if r.RulesMade > 0 {
			parts = append(parts, fmt.Sprintf("建章立制%d项", r.RulesMade))
		}
		p := []string{fmt.Sprintf("%s，%s%s。", asOf(d), area, strings.Join(parts, "，"))}
		var dom []string
		for _, x := range d.Domains {
			xr := x.M.Rectification
			if xr.ProblemsRectified == 0 && xr.FundsRecoveredFen == 0 && xr.PeopleHandled == 0 {
				continue
			}
			var bits []string
			if xr.ProblemsRectified > 0 {
				bits = append(bits, fmt.Sprintf("整改问题%d个", xr.ProblemsRectified))
			}
			if xr.CluesTransferred > 0 {
				bits = append(bits, fmt.Sprintf("移送线索%d条", xr.CluesTransferred))
			}
			if xr.PeopleHandled > 0 {
				bits = append(bits, fmt.Sprintf("处理处分%d人", xr.PeopleHandled))
			}
			if xr.FundsRecoveredFen > 0 {
				bits = append(bits, "追回资金"+Wan(xr.FundsRecoveredFen))
			}
			dom = append(dom, "“"+x.Name+"”"+strings.Join(bits, "，"))
			if len(dom) == 6 {
				break
			}
		}
		if len(dom) > 0 {
			p = append(p, "其中，"+strings.Join(dom, "；")+"。")
		}
		out = append(out, Section{"二、整治成效", p})
	}

	// 三、12345热线
	if h := d.Hotline; h != nil && h.Received > 0 {
		s := fmt.Sprintf("%s共受理12345热线工单%d件，派单%d件，办结%d件；响应率%s，解决率%s，满意率%s，综合得分%s（响应率、解决率、满意率按%s、%s、%s加权）。",
			Period(d.Range), h.Received, h.Dispatched, h.ClosedInPeriod, pct(h.ResponseRate), pct(h.ResolutionRate), pct(h.SatisfactionRate), score(h.Composite),
			trimNum(d.Weights.Response)+"%", trimNum(d.Weights.Resolution)+"%", trimNum(d.Weights.Satisfaction)+"%")
		out = append(out, Section{"三、12345热线办理", []string{s}})
	}

	// 四、民生实事与医疗协作
	var lp []string
	if pr := d.Projects; pr.Projects > 0 {
		s := fmt.Sprintf("推进民生实事项目%d个，已完成%d个", pr.Projects, pr.Completed)
		if pr.AvgPercent != nil {
			s += fmt.Sprintf("，平均完成进度%s%%", trimNum(*pr.AvgPercent))
		}
		if pr.InvestmentFen > 0 {
			s += "，计划总投资" + Wan(pr.InvestmentFen)
		}
		if pr.Beneficiaries > 0 {
			s += fmt.Sprintf("，惠及群众%d人", pr.Beneficiaries)
		}
		lp = append(lp, s+"。")
	}
	if rf := d.Referrals; rf.Up+rf.Down > 0 {
		lp = append(lp, fmt.Sprintf("双向转诊中，向上转诊%d人次，向下回转%d人次。", rf.Up, rf.Down))
	}
	if len(lp) > 0 {
		out = append(out, Section{"四、民生实事与医疗协作", lp})
	}

	// 五、红黑榜
	var rp []string
	rank := func(what string, rk stats.Ranking) {
		if len(rk.Red) == 0 {
			return
		}
		names := func(rs []stats.Ranked) string {
			var n []string
			for _, x := range rs {
				n = append(n, fmt.Sprintf("%s（%s）", x.Name, score(x.Score)))
			}
			return strings.Join(n, "、")
		}
		s := fmt.Sprintf("%s综合得分较高的是：%s", what, names(rk.Red))
		if len(rk.Black) > 0 {
			s += fmt.Sprintf("；排名靠后的是：%s", names(rk.Black))
		}
		rp = append(rp, s+"。")
	}
	rank("承办单位中，", d.Units)
	rank("乡镇街道中，", d.StreetRank)
	if len(rp) > 0 {
		out = append(out, Section{"五、红黑榜", rp})
	}

	// 六、高发问题
	var hp []string
	if len(d.Categories) > 0 {
		var n []string
		for i, c := range d.Categories {
			if i == 3 || c.M.Received == 0 {
				break
			}
			n = append(n, fmt.Sprintf("%s（%d件）", c.Name, c.M.Received))
		}
		if len(n) > 0 {
			hp = append(hp, "问题数量排列前"+[]string{"", "1", "2", "3"}[len(n)]+"位的依次是："+strings.Join(n, "；")+"。")
		}
	}
	if len(d.HotSpots) > 0 {
		var n []string
		for i, h := range d.HotSpots {
			if i == 5 {
				break
			}
			n = append(n, fmt.Sprintf("%s%s的%s（%d次）", h.Street, h.Grid, h.Category, h.Reports))
		}
		hp = append(hp, "近三个月反复上报的高发点位有："+strings.Join(n, "，")+"。")
	}
	if len(d.Topics) > 0 {
		var n []string
		for i, t := range d.Topics {
			if i == 3 {
				break
			}
			n = append(n, fmt.Sprintf("%s的%s（近%d个月共%d件）", t.Street, t.Category, len(t.Months), t.Total))
		}
		hp = append(hp, "建议列入“每月一题”的有："+strings.Join(n, "，")+"。")
	}
	if len(hp) > 0 {
		out = append(out, Section{"六、高发问题与每月一题", hp})
	}
	return out
}

// Text is the whole briefing as plain text.
func Text(d Data) string {
	var b strings.Builder
	b.WriteString(d.Title + "\n\n")
	for _, s := range Sections(d) {
		b.WriteString(s.Heading + "\n")
		for _, p := range s.Paragraphs {
			b.WriteString("　　" + p + "\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}
