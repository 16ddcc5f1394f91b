// Package ledger writes statistics tables and case lists as Excel (.xlsx)
// and CSV files, and reads the two ledgers rectification offices keep in
// Excel — 问题整改台账 and 问题线索台账 — in their usual column layouts.
package ledger

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Table is a titled grid of cells. Cells are string, int, int64,
// float64, *float64 (nil: empty), bool, time.Time or nil.
type Table struct {
	Title   string // written above the header in .xlsx; the sheet name when Sheet is empty
	Sheet   string
	Note    string // a line under the table (definitions, the time it was made)
	Headers []string
	Rows    [][]any
	// Widths are column widths in characters; 0 picks one from the content.
	Widths []float64
	// Percent marks columns whose float values are percentages.
	Percent map[int]bool
}

// ContentTypeXLSX is the MIME type of .xlsx files.
const ContentTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// sheetName makes a valid sheet name: at most 31 characters, none of []:*?/\.
func sheetName(s string, i int) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, s)
	if s == "" {
		s = fmt.Sprintf("Sheet%d", i+1)
	}
	if utf8.RuneCountInString(s) > 31 {
		s = string([]rune(s)[:31])
	}
	return s
}

// WriteXLSX writes the tables as the sheets of one workbook.
func WriteXLSX(w io.Writer, tables ...Table) error {
	f := excelize.NewFile()
	defer f.Close()
	title, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14, Family: "宋体"}})
	head, _ := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Family: "宋体"},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Border:    borders(),
	})
	body, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: "宋体"}, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}, Border: borders()})
	pct, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: "宋体"}, Border: borders(), CustomNumFmt: ptr("0.00\"%\"")})
	date, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: "宋体"}, Border: borders(), CustomNumFmt: ptr("yyyy-mm-dd hh:mm")})
	used := map[string]bool{}
	for i, t := range tables {
		name := sheetName(firstNonEmpty(t.Sheet, t.Title), i)
		for used[name] {
			name = sheetName(fmt.Sprintf("%s%d", name, i+1), i)
		}
		used[name] = true
		if i == 0 {
			f.SetSheetName("Sheet1", name)
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		row := 1
		if t.Title != "" {
			f.SetCellValue(name, "A1", t.Title)
			f.SetCellStyle(name, "A1", "A1", title)
			row = 2
		}
		headRow := row
		for c, h := range t.Headers {
			cell, _ := excelize.CoordinatesToCellName(c+1, row)
			f.SetCellValue(name, cell, h)
		}
		if len(t.Headers) > 0 {
			a, _ := excelize.CoordinatesToCellName(1, row)
			b, _ := excelize.CoordinatesToCellName(len(t.Headers), row)
			f.SetCellStyle(name, a, b, head)
			row++
		}
		widths := make([]float64, len(t.Headers))
		for c, h := range t.Headers {
			widths[c] = textWidth(h)
		}
		for _, r := range t.Rows {
			for c, v := range r {
				cell, _ := excelize.CoordinatesToCellName(c+1, row)
				style := body
				switch x := v.(type) {
				case nil:
				case *float64:
					if x != nil {
						f.SetCellValue(name, cell, *x)
					}
					if t.Percent[c] {
						style = pct
					}
				case float64:
					f.SetCellValue(name, cell, x)
					if t.Percent[c] {
						style = pct
					}
				case time.Time:
					if !x.IsZero() {
						f.SetCellValue(name, cell, x)
						style = date
					}
				default:
					f.SetCellValue(name, cell, x)
				}
				f.SetCellStyle(name, cell, cell, style)
				if c < len(widths) {
					widths[c] = max(widths[c], textWidth(cellText(v)))
				}
			}
			row++
		}
		for c := range t.Headers {
			wd := min(max(widths[c]+2, 6), 60)
			if c < len(t.Widths) && t.Widths[c] > 0 {
				wd = t.Widths[c]
			}
			col, _ := excelize.ColumnNumberToName(c + 1)
			f.SetColWidth(name, col, col, wd)
		}
		if len(t.Headers) > 0 {
			f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: headRow, TopLeftCell: fmt.Sprintf("A%d", headRow+1), ActivePane: "bottomLeft"})
		}
		if t.Note != "" {
			cell, _ := excelize.CoordinatesToCellName(1, row+1)
			f.SetCellValue(name, cell, t.Note)
		}
	}
	return f.Write(w)
}

func ptr[T any](v T) *T { return &v }

func borders() []excelize.Border {
	var b []excelize.Border
	for _, side := range []string{"left", "right", "top", "bottom"} {
		b = append(b, excelize.Border{Type: side, Color: "999999", Style: 1})
	}
	return b
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// textWidth estimates a column width: CJK characters count double.
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

// cellText is a cell as text, for CSV and widths.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case *float64:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'f', -1, 64)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return ""
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.Format("2006-01-02 15:04")
	case bool:
		if x {
			return "是"
		}
		return "否"
	}
	return fmt.Sprint(v)
}

// BOM is the UTF-8 byte order mark that makes Excel read a CSV as UTF-8.
const BOM = "\uFEFF"

// WriteCSV writes a table as CSV with a UTF-8 BOM and CRLF line ends, the
// form Excel on Chinese Windows opens without garbling. Cells that a
// spreadsheet would run as a formula (=, +, -, @ first) are prefixed with
// an apostrophe.
func WriteCSV(w io.Writer, t Table) error {
	if _, err := io.WriteString(w, BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if len(t.Headers) > 0 {
		if err := cw.Write(t.Headers); err != nil {
			return err
		}
	}
	rec := make([]string, 0, len(t.Headers))
	for _, r := range t.Rows {
		rec = rec[:0]
		for _, v := range r {
			s := cellText(v)
			if _, isStr := v.(string); isStr && s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
				s = "'" + s
			}
			rec = append(rec, s)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
