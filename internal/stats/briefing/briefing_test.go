package briefing

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/stats"
)

func TestWan(t *testing.T) {
	for fen, want := range map[int64]string{
		1479_0000_00: "1479万元", 99_7100: "9971元", 99_7100_00: "99.71万元", 38_9500_00: "38.95万元", 25_2600_00: "25.26万元",
		192_0000_00: "192万元", 3326_5700_00: "3326.57万元", 12345: "123.45元", 0: "0元", 1_000_000: "1万元", 1_234_567: "1.23万元", 1_235_000: "1.24万元",
		9_999_999: "10万元",
	} {
		if got := Wan(fen); got != want {
			t.Errorf("Wan(%d) = %s, want %s", fen, got, want)
		}
	}
}

func TestPeriod(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time {
		return time.Date(y, m, day, 0, 0, 0, 0, calendar.Beijing())
	}
	for _, c := range []struct {
		r    stats.Range
		want string
	}{
		{stats.Range{From: d(2025, 1, 1), To: d(2026, 1, 1)}, "2025年"},
		{stats.Range{From: d(2025, 7, 1), To: d(2025, 10, 1)}, "2025年第三季度"},
		{stats.Range{From: d(2025, 8, 1), To: d(2025, 9, 1)}, "2025年8月"},
		{stats.Range{From: d(2025, 8, 1), To: d(2025, 8, 21)}, "2025年8月1日至8月20日"},
		{stats.Range{From: d(2024, 12, 1), To: d(2025, 2, 1)}, "2024年12月1日至2025年1月31日"},
	} {
		if got := Period(c.r); got != c.want {
			t.Errorf("Period %v = %s, want %s", c.r, got, c.want)
		}
	}
}

// TestSeedSentence reproduces the seed's headline sentence from counts.
func TestSeedSentence(t *testing.T) {
	var c stats.Counts
	c[stats.CPeopleHandled], c[stats.CFundsRecovered], c[stats.CFundsReturned], c[stats.CRectified], c[stats.CRulesMade], c[stats.CCluesTransferred] =
		282, 1479_0000_00, 99_7100_00, 2530, 25, 35
	c[stats.CReceived], c[stats.CRegistered], c[stats.CDue], c[stats.CClosed], c[stats.CClosedOnTime] = 1054, 996, 972, 911, 737
	now := time.Date(2025, 11, 20, 10, 0, 0, 0, calendar.Beijing())
	var school stats.Counts
	school[stats.CRectified], school[stats.CCluesTransferred], school[stats.CPeopleHandled] = 693, 5, 14
	var rural stats.Counts
	rural[stats.CRectified], rural[stats.CFundsRecovered] = 430, 38_9500_00
	d := Data{
		Title: "娄星区集中整治工作成效通报", AreaName: "娄星区", AreaWord: "全区", Now: now,
		Range:   stats.Range{From: time.Date(2025, 1, 1, 0, 0, 0, 0, calendar.Beijing()), To: now},
		Summary: stats.Measure(c, stats.DefaultWeights), Weights: stats.DefaultWeights,
		Domains: []Domain{{Name: "校园餐", M: stats.Measure(school, stats.DefaultWeights)}, {Name: "乡村振兴资金", M: stats.Measure(rural, stats.DefaultWeights)}},
	}
	txt := Text(d)
	for _, want := range []string{
		"截至目前，全区共处理282人，追缴退缴资金1479万元，退还群众资金99.71万元，推动整改问题2530个，移送问题线索35条，建章立制25项。",
		"其中，“校园餐”整改问题693个，移送线索5条，处理处分14人；“乡村振兴资金”整改问题430个，追回资金38.95万元。",
		"全区共受理各类案件1054件，其中立案996件，应结案972件，结案911件，结案率93.72%；按期结案737件，按期结案率75.82%。",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("briefing lacks\n%s\n---\n%s", want, txt)
		}
	}
	md := Markdown(d)
	if !strings.HasPrefix(md, "# 娄星区集中整治工作成效通报") || !strings.Contains(md, "## 二、整治成效") {
		t.Errorf("markdown:\n%s", md)
	}
	page := HTML(d)
	if !strings.Contains(page, "@page{size:A4") || strings.Contains(page, "<script") {
		t.Error("the page must print on A4 and need no script")
	}
}

// TestChartsAreXML checks the SVG charts parse as XML and escape labels.
func TestChartsAreXML(t *testing.T) {
	for _, svg := range []string{
		BarChart("趋势 <a&b>", []string{"1月", "2月", "<x>"}, []Series{{Name: "受理", Values: []float64{10, 20, 5}}, {Name: "结案率", Values: []float64{90, 95.5, 80}, Line: true}}, 0, 0),
		BarChart("空", nil, nil, 0, 0),
		HBarChart("排名", []string{"甲", "乙"}, []float64{90.5, 80}, 100, "", 0),
	} {
		dec := xml.NewDecoder(strings.NewReader(svg))
		for {
			_, err := dec.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("%v in %s", err, svg)
				}
				break
			}
		}
	}
}
