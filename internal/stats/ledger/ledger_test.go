package ledger

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/yiwang-gov/yiwang/internal/calendar"
)

func TestParseCells(t *testing.T) {
	for in, want := range map[string]string{"38.95": "38.95", "1,479,000": "1479000", "25.26元": "25.26", "": "", "38.950000000000003": "38.95", "0": "0"} {
		if got, ok := ParseMoney(in); !ok || got != want {
			t.Errorf("ParseMoney(%q) = %q, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"-1", "1.234", "十万", "1e5x", "abc"} {
		if _, ok := ParseMoney(bad); ok {
			t.Errorf("ParseMoney(%q) accepted", bad)
		}
	}
	for in, want := range map[string]int64{"3": 3, "3人": 3, "12条": 12, "7.0": 7} {
		if n, set, ok := ParseCount(in); !ok || !set || n != want {
			t.Errorf("ParseCount(%q) = %d %v %v", in, n, set, ok)
		}
	}
	if _, set, ok := ParseCount(""); set || !ok {
		t.Error("empty count")
	}
	for _, bad := range []string{"两人", "-1", "1.5"} {
		if _, _, ok := ParseCount(bad); ok {
			t.Errorf("ParseCount(%q) accepted", bad)
		}
	}
	loc := calendar.Beijing()
	want := time.Date(2025, 8, 20, 9, 0, 0, 0, loc)
	for _, in := range []string{"2025-08-20", "2025/8/20", "2025.8.20", "2025年8月20日", "45889", "2025-08-20 00:00:00"} {
		if got, ok := ParseDate(in, loc); !ok || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %v %v", in, got, ok)
		}
	}
	for _, bad := range []string{"2025-02-30", "八月二十日", "2025-13-01", "20/8/2025"} {
		if _, ok := ParseDate(bad, loc); ok {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
}

func book(t *testing.T, rows [][]any) []byte {
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("Sheet1", cell, &r)
	}
	var b bytes.Buffer
	f.Write(&b)
	return b.Bytes()
}

// TestRead finds the header under a title, takes the usual alternative
// header spellings, skips empty and pre-numbered template rows, and says
// which required headers are missing.
func TestRead(t *testing.T) {
	data := book(t, [][]any{
		{"娄星区问题整改台账（2025年）"},
		{},
		{"序号", "问题编号", "问题领域", "问题来源", "存在问题", "牵头单位", "发现时间", "整改情况", "挽回（追缴）资金(元)", "其他"},
		{1, "A-1", "校园餐", "监督检查", "食堂问题", "区教育局", "2025-03-01", "整改中", "100"},
		{},
		{2},
		{3, "A-2", "殡葬", "自查自纠", "收费问题", "区民政局", "2025-03-02", "待交办", ""},
	})
	sh, err := Read(bytes.NewReader(data), Layouts[Rectification])
	if err != nil {
		t.Fatal(err)
	}
	if len(sh.Missing) != 0 || len(sh.Rows) != 2 || strings.Join(sh.Unknown, ",") != "其他" {
		t.Fatalf("sheet %+v", sh)
	}
	r := sh.Rows[0]
	if r.Line != 4 || r.Values["ledger_no"] != "A-1" || r.Values["domain"] != "校园餐" || r.Values["unit"] != "区教育局" || r.Values["funds_recovered"] != "100" || r.Columns["funds_recovered"] != "I" {
		t.Fatalf("row %+v", r)
	}
	if sh.Rows[1].Line != 7 {
		t.Fatalf("second row at line %d", sh.Rows[1].Line)
	}
	// A sheet without the number column: the header is not found.
	sh, err = Read(bytes.NewReader(book(t, [][]any{{"序号", "问题描述"}, {1, "x"}})), Layouts[Rectification])
	if err != nil || len(sh.Missing) != 1 || sh.Missing[0] != "台账编号" {
		t.Fatalf("no header: %+v %v", sh, err)
	}
	// Missing required columns are named.
	sh, _ = Read(bytes.NewReader(book(t, [][]any{{"台账编号", "问题描述"}, {"A", "x"}})), Layouts[Rectification])
	if strings.Join(sh.Missing, ",") != "整治领域,问题来源,发现时间,整改状态" {
		t.Fatalf("missing %v", sh.Missing)
	}
	if _, err := Read(strings.NewReader("序号,台账编号\n"), Layouts[Rectification]); err != ErrNotXLSX {
		t.Fatalf("csv accepted: %v", err)
	}
}

func TestWrite(t *testing.T) {
	v := 93.72
	tab := Table{Title: "测试", Sheet: "表/1", Headers: []string{"名称", "结案率(%)", "时间", "金额"}, Percent: map[int]bool{1: true},
		Rows: [][]any{{"=HYPERLINK(\"x\")", &v, time.Date(2025, 1, 2, 3, 4, 0, 0, time.UTC), 12.5}, {"乙", (*float64)(nil), time.Time{}, int64(3)}}}
	var b bytes.Buffer
	if err := WriteCSV(&b, tab); err != nil {
		t.Fatal(err)
	}
	want := BOM + "名称,结案率(%),时间,金额\r\n\"'=HYPERLINK(\"\"x\"\")\",93.72,2025-01-02 03:04,12.5\r\n乙,,,3\r\n"
	if b.String() != want {
		t.Errorf("csv\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	if err := WriteXLSX(&b, tab, Table{Sheet: "第二张", Headers: []string{"a"}, Rows: [][]any{{1}}}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "表_1,第二张" {
		t.Fatalf("sheets %s", got)
	}
	if v, _ := f.GetCellValue("表_1", "A3"); v != "=HYPERLINK(\"x\")" {
		t.Errorf("text kept as text: %q", v)
	}
	if fm, _ := f.GetCellFormula("表_1", "A3"); fm != "" {
		t.Errorf("a cell became a formula: %q", fm)
	}
	if v, _ := f.GetCellValue("表_1", "B3"); v != "93.72%" {
		t.Errorf("percent cell %q", v)
	}
}
