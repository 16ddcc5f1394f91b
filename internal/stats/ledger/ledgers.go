package ledger

import (
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Kinds of ledger.
const (
	Rectification = "rectification" // 问题整改台账
	Clue          = "clue"          // 问题线索台账
)

// Column is one column of a ledger layout.
type Column struct {
	Key      string   // the field it maps to
	Header   string   // the usual header text
	Aliases  []string // other headers seen in offices' sheets
	Required bool
	Width    float64
}

// Layout is a ledger's usual columns, in order.
type Layout struct {
	Kind    string
	Title   string
	Columns []Column
}

// Layouts of the two ledgers, as rectification offices and discipline
// commissions keep them.
var Layouts = map[string]Layout{
	Rectification: {Kind: Rectification, Title: "问题整改台账", Columns: []Column{
		{Key: "seq", Header: "序号", Width: 6},
		{Key: "ledger_no", Header: "台账编号", Aliases: []string{"问题编号", "编号"}, Required: true, Width: 14},
		{Key: "domain", Header: "整治领域", Aliases: []string{"问题领域", "领域", "问题类别"}, Required: true, Width: 16},
		{Key: "problem_source", Header: "问题来源", Aliases: []string{"来源"}, Required: true, Width: 12},
		{Key: "description", Header: "问题描述", Aliases: []string{"问题表现", "存在问题", "主要问题"}, Required: true, Width: 40},
		{Key: "unit", Header: "责任单位", Aliases: []string{"牵头单位", "整改责任单位"}, Width: 18},
		{Key: "cooperating_units", Header: "配合单位", Width: 18},
		{Key: "found_on", Header: "发现时间", Aliases: []string{"登记时间", "交办时间"}, Required: true, Width: 12},
		{Key: "measures", Header: "整改措施", Width: 36},
		{Key: "status", Header: "整改状态", Aliases: []string{"完成情况", "整改情况"}, Required: true, Width: 12},
		{Key: "done_on", Header: "完成时间", Aliases: []string{"销号时间", "整改完成时间"}, Width: 12},
		{Key: "funds_recovered", Header: "追缴挽回资金（元）", Aliases: []string{"挽回（追缴）资金（元）", "追缴资金（元）", "挽回资金（元）"}, Width: 14},
		{Key: "funds_returned", Header: "退还群众资金（元）", Width: 14},
		{Key: "funds_returned_people", Header: "退还群众人数", Width: 10},
		{Key: "people_handled", Header: "处理人数", Width: 10},
		{Key: "clues_transferred", Header: "移送问题线索（条）", Aliases: []string{"移送线索（条）", "移送线索"}, Width: 12},
		{Key: "rules_made", Header: "建章立制（项）", Aliases: []string{"建章立制"}, Width: 10},
		{Key: "note", Header: "备注", Width: 20},
	}},
	Clue: {Kind: Clue, Title: "问题线索台账", Columns: []Column{
		{Key: "seq", Header: "序号", Width: 6},
		{Key: "ledger_no", Header: "线索编号", Aliases: []string{"编号"}, Required: true, Width: 14},
		{Key: "source", Header: "线索来源", Aliases: []string{"来源"}, Required: true, Width: 14},
		{Key: "received_on", Header: "受理时间", Aliases: []string{"收到时间", "登记时间"}, Required: true, Width: 12},
		{Key: "subject_name", Header: "被反映人", Required: true, Width: 10},
		{Key: "subject_unit", Header: "单位及职务", Aliases: []string{"被反映人单位职务", "工作单位及职务"}, Width: 20},
		{Key: "subject_level", Header: "干部层级", Aliases: []string{"职级"}, Width: 12},
		{Key: "description", Header: "反映的主要问题", Aliases: []string{"主要问题", "问题线索摘要"}, Required: true, Width: 40},
		{Key: "disposition", Header: "处置方式", Width: 12},
		{Key: "status", Header: "办理状态", Aliases: []string{"办理情况"}, Required: true, Width: 10},
		{Key: "done_on", Header: "办结时间", Width: 12},
		{Key: "outcome", Header: "办理结果", Aliases: []string{"处理结果"}, Width: 16},
		{Key: "people_handled", Header: "处理人数", Width: 10},
		{Key: "funds_recovered", Header: "挽回（追缴）资金（元）", Aliases: []string{"追缴挽回资金（元）", "挽回资金（元）"}, Width: 14},
		{Key: "note", Header: "备注", Width: 20},
	}},
}

// Headers returns the layout's header texts.
func (l Layout) Headers() []string {
	out := make([]string, len(l.Columns))
	for i, c := range l.Columns {
		out[i] = c.Header
	}
	return out
}

// Widths returns the layout's column widths.
func (l Layout) Widths() []float64 {
	out := make([]float64, len(l.Columns))
	for i, c := range l.Columns {
		out[i] = c.Width
	}
	return out
}

// Column returns the layout's column with the key.
func (l Layout) Column(key string) (Column, bool) {
	for _, c := range l.Columns {
		if c.Key == key {
			return c, true
		}
	}
	return Column{}, false
}

// Row is one data row of a ledger sheet: the cells by field key, with the
// sheet's row number and the column letter of each field.
type Row struct {
	Line    int               // 1-based row number in the sheet
	Values  map[string]string // trimmed cell text by field key
	Columns map[string]string // column letter by field key
}

// CellError is one problem found in a ledger sheet: its row, column, the
// header and a catalogue key with arguments.
type CellError struct {
	Row    int    `json:"row"`
	Column string `json:"column"` // letter, "" for the whole row
	Header string `json:"header"`
	Key    string `json:"-"`
	Args   []any  `json:"-"`
	// Message is filled in by the caller in the reader's language.
	Message string `json:"message"`
}

// Sheet is a read ledger: its rows and the problems with its layout.
type Sheet struct {
	Kind    string
	Rows    []Row
	Missing []string // required headers not found
	Unknown []string // headers not in the layout (ignored)
}

// ErrNotXLSX is returned for a file that is not an .xlsx workbook.
var ErrNotXLSX = errors.New("ledger: not an .xlsx workbook")

// MaxRows bounds a ledger import.
const MaxRows = 20000

// ErrTooManyRows is returned for a sheet with more than MaxRows rows.
var ErrTooManyRows = fmt.Errorf("ledger: more than %d rows", MaxRows)

// normHeader folds the spellings offices use: spaces, full-width
// brackets, line breaks.
func normHeader(s string) string {
	s = strings.NewReplacer("(", "（", ")", "）", " ", "", "\u3000", "", "\n", "", "\r", "", "*", "", "＊", "").Replace(s)
	return strings.TrimSpace(s)
}

// Read reads the first sheet of an .xlsx ledger of the given layout. The
// header row is the first row (of the first ten) that holds the ledger
// number's header; rows after it that are entirely empty are skipped.
func Read(r io.Reader, l Layout) (Sheet, error) {
	sh := Sheet{Kind: l.Kind}
	f, err := excelize.OpenReader(r)
	if err != nil {
		return sh, ErrNotXLSX
	}
	defer f.Close()
	names := f.GetSheetList()
	if len(names) == 0 {
		return sh, ErrNotXLSX
	}
	rows, err := f.Rows(names[0])
	if err != nil {
		return sh, err
	}
	defer rows.Close()
	byHeader := map[string]string{}
	for _, c := range l.Columns {
		byHeader[normHeader(c.Header)] = c.Key
		for _, a := range c.Aliases {
			byHeader[normHeader(a)] = c.Key
		}
	}
	keyCol, _ := l.Column("ledger_no")
	var colKey map[int]string
	line := 0
	for rows.Next() {
		line++
		cells, err := rows.Columns(excelize.Options{RawCellValue: false})
		if err != nil {
			return sh, err
		}
		if colKey == nil {
			if line > 10 {
				break
			}
			found := false
			for _, c := range cells {
				if k := byHeader[normHeader(c)]; k == keyCol.Key {
					found = true
				}
			}
			if !found {
				continue
			}
			colKey = map[int]string{}
			seen := map[string]bool{}
			for i, c := range cells {
				h := normHeader(c)
				if h == "" {
					continue
				}
				if k, ok := byHeader[h]; ok && !seen[k] {
					colKey[i] = k
					seen[k] = true
				} else {
					sh.Unknown = append(sh.Unknown, c)
				}
			}
			for _, c := range l.Columns {
				if c.Required && !seen[c.Key] {
					sh.Missing = append(sh.Missing, c.Header)
				}
			}
			continue
		}
		row := Row{Line: line, Values: map[string]string{}, Columns: map[string]string{}}
		// A row with nothing but its sequence number (a pre-numbered
		// template line) or nothing at all is skipped.
		empty := true
		for i, c := range cells {
			k, ok := colKey[i]
			if !ok {
				continue
			}
			v := strings.TrimSpace(c)
			row.Values[k] = v
			if v != "" && k != "seq" {
				empty = false
			}
		}
		for i, k := range colKey {
			row.Columns[k], _ = excelize.ColumnNumberToName(i + 1)
		}
		if empty {
			continue
		}
		if len(sh.Rows) >= MaxRows {
			return sh, ErrTooManyRows
		}
		sh.Rows = append(sh.Rows, row)
	}
	if colKey == nil {
		sh.Missing = []string{keyCol.Header}
	}
	return sh, rows.Error()
}

var (
	moneyRe = regexp.MustCompile(`^\d{1,13}(\.\d{1,2})?$`)
	intRe   = regexp.MustCompile(`^\d{1,9}$`)
)

// ParseMoney reads an amount of yuan (at most two decimals, thousands
// separators allowed, "元" allowed) and returns it normalised ("1234.5").
// Empty is "" with ok.
func ParseMoney(s string) (string, bool) {
	s = strings.TrimSuffix(strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), "，", ""), "元")
	if s == "" {
		return "", true
	}
	if !moneyRe.MatchString(s) {
		// Excel keeps 38.95 as 38.950000000000003: accept floats that round
		// to two decimals exactly.
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || math.IsInf(f, 0) || math.Abs(f*100-math.Round(f*100)) > 1e-6 || f >= 1e13 {
			return "", false
		}
		s = strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
	}
	return s, true
}

// ParseCount reads a non-negative whole number ("3", "3.0", "3人").
func ParseCount(s string) (int64, bool, bool) {
	s = strings.TrimSpace(s)
	for _, suf := range []string{"人", "条", "项", "个"} {
		s = strings.TrimSuffix(s, suf)
	}
	if s == "" {
		return 0, false, true
	}
	s = strings.TrimSuffix(s, ".0")
	if !intRe.MatchString(s) {
		return 0, true, false
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return n, true, true
}

// ParseDate reads a date as offices type it: 2025-08-20, 2025/8/20,
// 2025.8.20, 2025年8月20日, or an Excel serial number (45889). The time is
// 09:00 China Standard Time that day (office hours).
func ParseDate(s string, loc *time.Location) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && n > 20000 && n < 80000 {
		t, err := excelize.ExcelDateToTime(n, false)
		if err != nil {
			return time.Time{}, false
		}
		return time.Date(t.Year(), t.Month(), t.Day(), 9, 0, 0, 0, loc), true
	}
	r := strings.NewReplacer("年", "-", "月", "-", "日", "", "/", "-", ".", "-")
	s = r.Replace(s)
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i]
	}
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return time.Time{}, false
	}
	y, e1 := strconv.Atoi(parts[0])
	m, e2 := strconv.Atoi(parts[1])
	d, e3 := strconv.Atoi(parts[2])
	if e1 != nil || e2 != nil || e3 != nil || y < 1990 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 9, 0, 0, 0, loc)
	if t.Day() != d {
		return time.Time{}, false // 2 月 30 日
	}
	return t, true
}
