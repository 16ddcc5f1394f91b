package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// deadlineParams maps the query parameters of the preview to rule kinds.
var deadlineParams = []struct {
	name string
	kind model.DeadlineKind
}{
	{"working_days", model.DeadlineWorkingDays},
	{"working_hours", model.DeadlineWorkingHours},
	{"natural_days", model.DeadlineNaturalDays},
	{"urgent_hours", model.DeadlineUrgentHours},
}

// calendarDeadline serves GET /api/v1/calendar/deadline?from=RFC3339&working_days=N
// (or working_hours, natural_days, urgent_hours): {"due": RFC3339 in +08:00},
// so that an administrator can preview a deadline rule.
func (a *API) calendarDeadline(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	bad := map[string]service.FieldError{}
	var from time.Time
	switch v := q.Get("from"); {
	case v == "":
		bad["from"] = service.FieldError{Key: "field.required"}
	default:
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			bad["from"] = service.FieldError{Key: "field.bad_time"}
		}
		from = t
	}
	var rule model.DeadlineRule
	param := ""
	for _, p := range deadlineParams {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		if param != "" {
			bad[p.name] = service.FieldError{Key: "field.one_amount"}
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			bad[p.name] = service.FieldError{Key: "field.positive_int"}
		}
		param, rule = p.name, model.DeadlineRule{Kind: p.kind, Amount: n}
	}
	if param == "" && len(bad) == 0 {
		bad["working_days"] = service.FieldError{Key: "field.one_amount"}
	}
	if len(bad) > 0 {
		a.writeError(w, r, http.StatusBadRequest, "error.bad_request", bad)
		return
	}
	due, err := a.svc.Deadline(rule, from)
	if err != nil {
		a.calendarFail(w, r, err, param)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"due":  due.Format(time.RFC3339),
		"from": from.In(a.svc.Calendar().Location()).Format(time.RFC3339),
		"rule": rule,
	})
}

// calendarYears serves GET /api/v1/calendar/years: the loaded years and the
// office hours.
func (a *API) calendarYears(w http.ResponseWriter, r *http.Request) {
	cal := a.svc.Calendar()
	years := []calendar.Year{}
	for _, y := range cal.Years() {
		data, _ := cal.Year(y)
		years = append(years, data)
	}
	writeJSON(w, http.StatusOK, map[string]any{"years": years, "office_hours": cal.OfficeHours().String()})
}

// calendarFail answers a calendar error in the API's error shape, with the
// calendar's own zh-CN/English message: a year without data is a 422 that
// names the year (never a guess), invalid input a 400.
func (a *API) calendarFail(w http.ResponseWriter, r *http.Request, err error, field string) {
	en := lang(r) == "en"
	pick := func(zh, e string) string {
		if en {
			return e
		}
		return zh
	}
	var nd *calendar.NoDataError
	if errors.As(err, &nd) {
		zh, e := nd.Localized()
		a.writeErrorText(w, http.StatusUnprocessableEntity, "no_calendar_data", pick(zh, e), map[string]string{"from": pick(zh, e)})
		return
	}
	var ves calendar.ValidationErrors
	if errors.As(err, &ves) {
		fields := map[string]string{}
		for _, fe := range ves {
			zh, e := fe.Localized()
			key := fe.Field
			if key == "" {
				key = "body"
			}
			if _, dup := fields[key]; !dup {
				fields[key] = pick(zh, e)
			}
		}
		a.writeErrorText(w, http.StatusBadRequest, "invalid_calendar", a.i18n.T(lang(r), "error.invalid_calendar"), fields)
		return
	}
	var fe *calendar.FieldError
	if errors.As(err, &fe) {
		zh, e := fe.Localized()
		a.writeErrorText(w, http.StatusBadRequest, "bad_request", pick(zh, e), map[string]string{field: pick(zh, e)})
		return
	}
	a.fail(w, r, err)
}

// writeErrorText writes the standard error shape with ready-made messages
// (the calendar package carries its own zh-CN and English texts).
func (a *API) writeErrorText(w http.ResponseWriter, status int, code, message string, fields map[string]string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, message
	if len(fields) > 0 {
		b.Error.Fields = fields
	}
	writeJSON(w, status, b)
}
