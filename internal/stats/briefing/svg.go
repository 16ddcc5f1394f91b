package briefing

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// Series is one set of bars (or a line) of a chart.
type Series struct {
	Name   string
	Color  string
	Values []float64
	Line   bool // drawn as a line on the right axis (a rate in percent)
}

// palette is a print-safe set of colours (distinct in grey too).
var palette = []string{"#1f5fa8", "#e07b24", "#3a9d5d", "#b8322a", "#7a4fa0"}

// BarChart draws grouped vertical bars for labels, one bar per series that
// is not a line; line series are drawn over them on a 0–100 % axis. The SVG
// scales to its container and needs no script or font download.
func BarChart(title string, labels []string, series []Series, width, height int) string {
	if width <= 0 {
		width = 720
	}
	if height <= 0 {
		height = 300
	}
	const left, right, top = 56, 48, 36
	bottom := 56
	rotate := len(labels) > 8
	if rotate {
		bottom = 96
	}
	pw, ph := float64(width-left-right), float64(height-top-bottom)
	var bars []Series
	var lines []Series
	for i, s := range series {
		if s.Color == "" {
			s.Color = palette[i%len(palette)]
		}
		if s.Line {
			lines = append(lines, s)
		} else {
			bars = append(bars, s)
		}
	}
	maxV := 0.0
	for _, s := range bars {
		for _, v := range s.Values {
			maxV = math.Max(maxV, v)
		}
	}
	top5 := niceMax(maxV)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s" font-family="SimHei, 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif" font-size="12">`, width, height, esc(title))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(title))
	fmt.Fprintf(&b, `<text x="%d" y="20" text-anchor="middle" font-size="15" font-weight="bold">%s</text>`, width/2, esc(title))
	// Grid and left axis.
	for i := 0; i <= 5; i++ {
		y := float64(top) + ph - ph*float64(i)/5
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`, left, y, width-right, y)
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end" fill="#444">%s</text>`, left-6, y+4, trimNum(top5*float64(i)/5))
		if len(lines) > 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%.1f" fill="#444">%d%%</text>`, width-right+6, y+4, i*20)
		}
	}
	n := len(labels)
	if n == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="#888">（无数据）</text></svg>`, width/2, height/2)
		return b.String()
	}
	slot := pw / float64(n)
	bw := slot * 0.8 / float64(max(len(bars), 1))
	for i, l := range labels {
		x0 := float64(left) + slot*float64(i)
		for j, s := range bars {
			if i >= len(s.Values) {
				continue
			}
			v := s.Values[i]
			h := 0.0
			if top5 > 0 {
				h = ph * v / top5
			}
			x := x0 + slot*0.1 + bw*float64(j)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s：%s</title></rect>`,
				x, float64(top)+ph-h, math.Max(bw-1, 1), h, s.Color, esc(l), esc(s.Name), trimNum(v))
			if n <= 16 && len(bars) <= 2 && v > 0 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="10" fill="#222">%s</text>`, x+bw/2, float64(top)+ph-h-3, trimNum(v))
			}
		}
		lx, ly := x0+slot/2, float64(top)+ph+16
		if rotate {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" transform="rotate(-40 %.1f %.1f)">%s</text>`, lx, ly, lx, ly, esc(l))
		} else {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, lx, ly, esc(l))
		}
	}
	for k, s := range lines {
		var pts []string
		for i, v := range s.Values {
			if math.IsNaN(v) || i >= n {
				continue
			}
			x := float64(left) + slot*(float64(i)+0.5)
			y := float64(top) + ph - ph*math.Min(math.Max(v, 0), 100)/100
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s %s：%s%%</title></circle>`, x, y, s.Color, esc(labels[i]), esc(s.Name), trimNum(v))
		}
		dash := ""
		if k > 0 {
			dash = ` stroke-dasharray="5 3"`
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`, strings.Join(pts, " "), s.Color, dash)
	}
	// Legend.
	x := left
	for _, s := range append(bars, lines...) {
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`, x, height-14, s.Color, x+16, height-4, esc(s.Name))
		x += 28 + int(textWidth(s.Name)*7)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// HBarChart draws one horizontal bar per label (rankings).
func HBarChart(title string, labels []string, values []float64, maxV float64, color string, width int) string {
	if width <= 0 {
		width = 720
	}
	const rowH, top, left = 24, 32, 150
	height := top + rowH*len(labels) + 12
	if maxV <= 0 {
		for _, v := range values {
			maxV = math.Max(maxV, v)
		}
	}
	if color == "" {
		color = palette[0]
	}
	pw := float64(width - left - 60)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s" font-family="SimHei, 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif" font-size="12">`, width, height, esc(title))
	fmt.Fprintf(&b, `<title>%s</title><text x="%d" y="18" text-anchor="middle" font-size="15" font-weight="bold">%s</text>`, esc(title), width/2, esc(title))
	for i, l := range labels {
		y := top + rowH*i
		w := 0.0
		if maxV > 0 && i < len(values) {
			w = pw * values[i] / maxV
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-8, y+15, esc(l))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="16" fill="%s"/>`, left, y+3, w, color)
		if i < len(values) {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%s</text>`, float64(left)+w+4, y+15, trimNum(values[i]))
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceMax rounds a maximum up to 1, 2 or 5 × 10^k so the axis reads well.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 5
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func trimNum(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%d", int64(v))
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

func esc(s string) string { return html.EscapeString(s) }

func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		if r > 0x2E80 {
			w += 2
		} else {
			w++
		}
	}
	return w
}
