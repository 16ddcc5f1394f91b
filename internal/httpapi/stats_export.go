package httpapi

import (
	"bytes"
	"net/http"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/stats/ledger"
)

// statsExport serves GET /api/v1/stats/export?table=summary|breakdown|ranking|hotspots|topics|cases&format=xlsx|csv
// (by= for breakdowns, of=… as by= for rankings, axis= for case lists):
// any statistics table or the case list behind a figure, as an Excel
// workbook or a CSV file with a UTF-8 BOM.
func (a *API) statsExport(w http.ResponseWriter, r *http.Request) {
	p, ok := a.statsParams(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	axis, okAxis := statsAxis(q.Get("axis"))
	format := q.Get("format")
	if format == "" {
		format = "xlsx"
	}
	if !okAxis || (format != "xlsx" && format != "csv") {
		a.writeError(w, r, http.StatusBadRequest, "error.bad_request", map[string]service.FieldError{"format": {Key: "field.unknown_value"}})
		return
	}
	by := q.Get("by")
	if q.Get("table") == "ranking" && q.Get("of") != "" {
		by = q.Get("of")
	}
	t, err := a.svc.StatsTable(r.Context(), user(r), p, q.Get("table"), by, axis)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeTable(w, r, t, format)
}

// writeTable sends a table as .xlsx or CSV.
func (a *API) writeTable(w http.ResponseWriter, r *http.Request, t ledger.Table, format string) {
	var buf bytes.Buffer
	var err error
	name := t.Sheet + "_" + time.Now().In(calendar.Beijing()).Format("20060102")
	if format == "csv" {
		err = ledger.WriteCSV(&buf, t)
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		name += ".csv"
	} else {
		err = ledger.WriteXLSX(&buf, t)
		w.Header().Set("Content-Type", ledger.ContentTypeXLSX)
		name += ".xlsx"
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	attachmentName(w, name)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(buf.Bytes())
}
