package briefing

import (
	"fmt"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/stats"
)

// measureTable is the table of measures by street (or any rows).
func measureTable(rows []Row) ([]string, [][]string) {
	head := []string{"名称", "受理", "立案", "应结案", "结案", "结案率", "按期结案率", "返工率", "满意率", "综合得分"}
	var out [][]string
	for _, r := range rows {
		m := r.M
		out = append(out, []string{r.Name, fmt.Sprint(m.Received), fmt.Sprint(m.Registered), fmt.Sprint(m.DueToClose), fmt.Sprint(m.Closed),
			pct(m.ClosureRate), pct(m.OnTimeRate), pct(m.ReworkRate), pct(m.SatisfactionRate), score(m.Composite)})
	}
	return head, out
}

func rankTable(rk stats.Ranking) ([]string, [][]string) {
	head := []string{"名次", "单位", "综合得分", "响应率", "解决率", "满意率", "按期结案率", "样本（件）"}
	var out [][]string
	for _, r := range rk.All {
		out = append(out, []string{fmt.Sprint(r.Rank), r.Name, score(r.Score), pct(r.Response), pct(r.Resolution), pct(r.Satisfaction), pct(r.OnTimeRate), fmt.Sprint(r.Sample)})
	}
	return head, out
}

func mdEsc(s string) string { return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s) }

func mdTable(b *strings.Builder, head []string, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for range head {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, r := range rows {
		esc := make([]string, len(r))
		for i, c := range r {
			esc[i] = mdEsc(c)
		}
		b.WriteString("| " + strings.Join(esc, " | ") + " |\n")
	}
	b.WriteString("\n")
}

// Markdown writes the briefing as Markdown: the text, then the tables.
func Markdown(d Data) string {
	var b strings.Builder
	b.WriteString("# " + d.Title + "\n\n")
	if d.Issuer != "" {
		b.WriteString(d.Issuer + "　" + d.Now.In(calendar.Beijing()).Format("2006年1月2日") + "\n\n")
	}
	for _, s := range Sections(d) {
		b.WriteString("## " + s.Heading + "\n\n")
		for _, p := range s.Paragraphs {
			b.WriteString(p + "\n\n")
		}
	}
	if len(d.Streets) > 0 {
		b.WriteString("## 附表1　各乡镇街道情况\n\n")
		h, r := measureTable(d.Streets)
		mdTable(&b, h, r)
	}
	if len(d.Units.All) > 0 {
		b.WriteString("## 附表2　承办单位综合排名\n\n")
		h, r := rankTable(d.Units)
		mdTable(&b, h, r)
	}
	if d.Definitions != "" {
		b.WriteString("---\n\n" + d.Definitions + "\n")
	}
	return b.String()
}

// HTML writes the briefing as a standalone page: the text in the style of
// an official notice, SVG charts and tables, with print rules for A4.
func HTML(d Data) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">`)
	b.WriteString("<title>" + esc(d.Title) + "</title><style>" + css + "</style></head><body><main>")
	b.WriteString(`<h1>` + esc(d.Title) + `</h1>`)
	if d.Issuer != "" {
		b.WriteString(`<p class="issuer">` + esc(d.Issuer) + "　" + esc(d.Now.In(calendar.Beijing()).Format("2006年1月2日")) + `</p>`)
	}
	for i, s := range Sections(d) {
		b.WriteString("<h2>" + esc(s.Heading) + "</h2>")
		for _, p := range s.Paragraphs {
			b.WriteString("<p>" + esc(p) + "</p>")
		}
		if i == 0 && len(d.Trend) > 0 {
			labels := make([]string, len(d.Trend))
			rec, clo := make([]float64, len(d.Trend)), make([]float64, len(d.Trend))
			rate := make([]float64, len(d.Trend))
			for k, t := range d.Trend {
				labels[k], rec[k], clo[k] = t.Name, float64(t.M.Received), float64(t.M.Closed)
				rate[k] = t.M.ClosureRate.Percent()
			}
			b.WriteString(`<figure>` + BarChart("受理与结案趋势", labels, []Series{{Name: "受理", Values: rec}, {Name: "结案", Values: clo}, {Name: "结案率", Values: rate, Line: true}}, 720, 300) + `</figure>`)
		}
		if i == 0 && len(d.Streets) > 0 {
			labels := make([]string, len(d.Streets))
			rec, clo := make([]float64, len(d.Streets)), make([]float64, len(d.Streets))
			for k, t := range d.Streets {
				labels[k], rec[k], clo[k] = t.Name, float64(t.M.Received), float64(t.M.Closed)
			}
			b.WriteString(`<figure>` + BarChart("各乡镇街道受理与结案", labels, []Series{{Name: "受理", Values: rec}, {Name: "结案", Values: clo}}, 720, 320) + `</figure>`)
		}
	}
	if len(d.Units.All) > 0 {
		n := min(len(d.Units.All), 15)
		labels := make([]string, n)
		vals := make([]float64, n)
		for k := 0; k < n; k++ {
			labels[k] = d.Units.All[k].Name
			if s := d.Units.All[k].Score; s != nil {
				vals[k] = *s
			}
		}
		b.WriteString(`<figure>` + HBarChart("承办单位综合得分（前"+fmt.Sprint(n)+"名）", labels, vals, 100, "", 720) + `</figure>`)
	}
	table := func(title string, head []string, rows [][]string) {
		if len(rows) == 0 {
			return
		}
		b.WriteString(`<section class="table"><h3>` + esc(title) + `</h3><table><thead><tr>`)
		for _, h := range head {
			b.WriteString("<th>" + esc(h) + "</th>")
		}
		b.WriteString("</tr></thead><tbody>")
		for _, r := range rows {
			b.WriteString("<tr>")
			for i, c := range r {
				cls := ""
				if i > 0 {
					cls = ` class="num"`
				}
				b.WriteString("<td" + cls + ">" + esc(c) + "</td>")
			}
			b.WriteString("</tr>")
		}
		b.WriteString("</tbody></table></section>")
	}
	h, r := measureTable(d.Streets)
	table("附表1　各乡镇街道情况", h, r)
	h, r = rankTable(d.Units)
	table("附表2　承办单位综合排名", h, r)
	if d.Definitions != "" {
		b.WriteString(`<p class="defs">` + esc(d.Definitions) + `</p>`)
	}
	b.WriteString("</main></body></html>")
	return b.String()
}

const css = `
body{margin:0;background:#f4f4f4;color:#111;font-family:FangSong,"仿宋",STFangsong,"Noto Serif CJK SC",serif;font-size:16px;line-height:1.9}
main{max-width:794px;margin:0 auto;background:#fff;padding:48px 64px}
h1{font-family:"FZXiaoBiaoSong-B05S","方正小标宋简体",SimHei,"Noto Sans CJK SC",sans-serif;text-align:center;font-size:26px;color:#b8322a;margin:0 0 8px}
.issuer{text-align:center;color:#444;margin:0 0 24px;border-bottom:2px solid #b8322a;padding-bottom:12px}
h2{font-family:SimHei,"黑体","Noto Sans CJK SC",sans-serif;font-size:18px;margin:24px 0 8px}
h3{font-family:SimHei,"Noto Sans CJK SC",sans-serif;font-size:16px;margin:16px 0 6px}
p{text-indent:2em;margin:0 0 8px;text-align:justify}
figure{margin:12px 0;page-break-inside:avoid;break-inside:avoid}
table{border-collapse:collapse;width:100%;font-size:13px;line-height:1.5;font-family:SimSun,"宋体","Noto Serif CJK SC",serif}
th,td{border:1px solid #888;padding:3px 6px}
th{background:#eef2f7}
td.num{text-align:right}
tr{page-break-inside:avoid;break-inside:avoid}
thead{display:table-header-group}
.defs{font-size:12px;color:#555;text-indent:0;margin-top:24px;border-top:1px solid #ccc;padding-top:8px}
@page{size:A4;margin:20mm 18mm}
@media print{body{background:#fff}main{max-width:none;padding:0}a{color:inherit;text-decoration:none}}
`
