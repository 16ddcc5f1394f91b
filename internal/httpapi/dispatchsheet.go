package httpapi

import (
	"encoding/csv"
	"net/http"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// dispatchSheet serves GET /api/v1/dispatch-sheet?date=YYYY-MM-DD&unit=&leader=&format=json|csv
// and GET /api/v1/dispatch-sheet.csv: the daily dispatch sheet (日调度).
// The date defaults to today in China.
func (a *API) dispatchSheet(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bad := map[string]service.FieldError{}
	day := calendar.DateOf(a.svc.Now().In(a.svc.Calendar().Location()))
	if v := q.Get("date"); v != "" {
		d, err := calendar.ParseDate(v)
		if err != nil {
			bad["date"] = service.FieldError{Key: "field.bad_date"}
		}
		day = d
	}
	var unit, leader int64
	for name, dst := range map[string]*int64{"unit": &unit, "leader": &leader} {
		if v := q.Get(name); v != "" {
			n, err := parsePositive(v)
			if err != nil {
				bad[name] = service.FieldError{Key: "field.wrong_type"}
			}
			*dst = n
		}
	}
	format := q.Get("format")
	if strings.HasSuffix(r.URL.Path, ".csv") {
		format = "csv"
	}
	if format != "" && format != "json" && format != "csv" {
		bad["format"] = service.FieldError{Key: "field.bad_enum"}
	}
	if len(bad) > 0 {
		a.writeError(w, r, http.StatusBadRequest, "error.bad_request", bad)
		return
	}
	sheet, err := a.svc.DispatchSheet(r.Context(), user(r), day, unit, leader)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if format != "csv" {
		writeJSON(w, http.StatusOK, sheet)
		return
	}
	writeSheetCSV(w, sheet)
}

var sheetFlags = map[string]string{"overdue": "超期", "due_today": "今日到期", "yellow": "临期预警", "": "正常"}

// writeSheetCSV writes the sheet for Excel: UTF-8 with a byte-order mark
// (without it Excel on Chinese Windows reads the file as GBK), Chinese
// headers, one row per open item of each unit and each leader.
func writeSheetCSV(w http.ResponseWriter, sheet service.DispatchSheet) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="dispatch-sheet-`+sheet.Date+`.csv"; filename*=UTF-8''%E6%97%A5%E8%B0%83%E5%BA%A6-`+sheet.Date+`.csv`)
	w.Write([]byte("\ufeff"))
	cw := csv.NewWriter(w)
	cw.Write([]string{"调度日期", "分组", "责任单位/包案领导", "案件编号", "受理编号", "案件类型", "当前状态", "问题摘要", "承办单位", "办理时限", "时限状态", "新增", "昨日以来变化"})
	kinds := map[string]string{"unit": "承办单位", "intake": "受理派遣", "leader": "包案领导"}
	row := func(g service.SheetGroup) {
		for _, it := range g.Items {
			due := ""
			if !it.DueAt.IsZero() {
				due = it.DueAt.Format("2006-01-02 15:04")
			}
			isNew := ""
			if it.New {
				isNew = "是"
			}
			cw.Write([]string{sheet.Date, kinds[g.Kind], g.Name, itoa(it.CaseID), it.Receipt, it.TypeName, it.StatusLabel, csvSafe(it.Summary),
				it.UnitName, due, sheetFlags[it.Flag], isNew, strings.Join(it.Changes, "→")})
		}
	}
	for _, g := range sheet.Units {
		row(g)
	}
	for _, g := range sheet.Leaders {
		row(g)
	}
	cw.Flush()
}

// csvSafe keeps a spreadsheet from reading citizen text as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
