package httpapi

import (
	"io"
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/calendar"
)

// loadCalendarYear serves POST /api/v1/admin/calendar/years: the body is a
// year file (see calendar.Year). The year is stored and takes effect at
// once; it is applied again at every start.
func (a *API) loadCalendarYear(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		a.writeError(w, r, http.StatusRequestEntityTooLarge, "error.body_too_large", nil)
		return
	}
	y, err := a.svc.LoadCalendarYear(r.Context(), user(r), data)
	if err != nil {
		a.calendarFail(w, r, err, "body")
		return
	}
	working := 0
	cal := a.svc.Calendar()
	for d := (calendar.Date{Year: y.Year, Month: 1, Day: 1}); d.Year == y.Year; d = d.AddDays(1) {
		if ok, _ := cal.IsWorkingDate(d); ok {
			working++
		}
	}
	writeJSON(w, http.StatusCreated, map[string]any{"year": y.Year, "holidays": len(y.Holidays), "workdays": len(y.Workdays), "working_days": working})
}
