package web

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/calendar"
)

// The working-day calendar's years (节假日安排): the years the calendar
// holds, the current and next year's holidays and make-up working days,
// and the upload of a year file. The same service as `yiwang calendar
// load` and POST /api/v1/admin/calendar/years.

const (
	calendarPath = "/admin/calendar"
	// maxYearFile is read of an upload: one byte more than the calendar
	// accepts, so that it can say the file is too large.
	maxYearFile = 1<<20 + 1
)

type calendarYearRow struct {
	Year               int
	BuiltIn, Loaded    bool
	LoadedBy           string
	LoadedAt           time.Time
	Holidays, Workdays int
}

type calendarHoliday struct {
	Name     string
	From, To string
	Days     int
}

type calendarDay struct {
	Date    string
	Weekday string
}

// calendarDetail is one year's arrangement; Known is false when the
// calendar has no data for it.
type calendarDetail struct {
	Year     int
	Known    bool
	Holidays []calendarHoliday
	Workdays []calendarDay
}

type calendarView struct {
	Rows    []calendarYearRow
	Details []calendarDetail
	Loaded  string   // the message after a load
	Errors  []string // why the uploaded file was refused
	File    string   // the name of the refused file
	// loadedYear is the year the address says was loaded; the message
	// shows only if it is.
	loadedYear int
}

// adminCalendar lists the years with the upload form.
func (w *Web) adminCalendar(rw http.ResponseWriter, r *http.Request, q *req) {
	v := calendarView{}
	v.loadedYear, _ = strconv.Atoi(r.URL.Query().Get("loaded"))
	w.calendarPage(rw, r, q, http.StatusOK, v)
}

// adminCalendarLoad loads an uploaded year file. A refused file writes
// nothing; the page says why, in the page's language.
func (w *Web) adminCalendarLoad(rw http.ResponseWriter, r *http.Request, q *req) {
	rec := audit.FromContext(r.Context())
	rec.Detail = "calendar year load"
	data, name, err := readYearFile(r)
	if err != nil {
		w.calendarPage(rw, r, q, http.StatusUnprocessableEntity, calendarView{File: name, Errors: []string{w.i18n.T(q.lang, "web.calendar.no_file")}})
		return
	}
	y, err := w.svc.LoadCalendarYear(r.Context(), q.user, data)
	if err != nil {
		msgs := w.calendarErrors(q.lang, err)
		if msgs == nil {
			w.fail(rw, r, q, err)
			return
		}
		rec.Detail = "calendar year load refused file=" + name
		w.calendarPage(rw, r, q, http.StatusUnprocessableEntity, calendarView{File: name, Errors: msgs})
		return
	}
	rec.Detail = "calendar year load year=" + strconv.Itoa(y.Year) + " holidays=" + strconv.Itoa(len(y.Holidays)) +
		" workdays=" + strconv.Itoa(len(y.Workdays))
	w.redirect(rw, r, calendarPath+"?loaded="+strconv.Itoa(y.Year))
}

var errNoYearFile = errors.New("no year file")

// readYearFile reads the form's year file.
func readYearFile(r *http.Request) ([]byte, string, error) {
	if r.MultipartForm == nil || len(r.MultipartForm.File["year_file"]) != 1 {
		return nil, "", errNoYearFile
	}
	fh := r.MultipartForm.File["year_file"][0]
	if fh.Size == 0 {
		return nil, fh.Filename, errNoYearFile
	}
	f, err := fh.Open()
	if err != nil {
		return nil, fh.Filename, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxYearFile))
	return data, fh.Filename, err
}

// calendarErrors says the calendar's refusal in lang, one line a problem;
// nil when err is not the calendar's.
func (w *Web) calendarErrors(lang string, err error) []string {
	var fes []*calendar.FieldError
	var ve calendar.ValidationErrors
	var fe *calendar.FieldError
	switch {
	case errors.As(err, &ve):
		fes = ve
	case errors.As(err, &fe):
		fes = []*calendar.FieldError{fe}
	default:
		return nil
	}
	out := make([]string, 0, len(fes))
	for _, e := range fes {
		zh, en := e.Localized()
		msg := zh
		if lang == "en" {
			msg = en
		}
		if e.Field != "" {
			msg = w.i18n.T(lang, "web.calendar.error_field", e.Field, msg)
		}
		out = append(out, msg)
	}
	return out
}

// calendarPage renders the years, this and next year's arrangement and the
// upload form.
func (w *Web) calendarPage(rw http.ResponseWriter, r *http.Request, q *req, status int, v calendarView) {
	years, err := w.svc.AdminCalendarYears(r.Context(), q.user)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	byYear := map[int]calendar.Year{}
	for _, y := range years {
		v.Rows = append(v.Rows, calendarYearRow{Year: y.Year.Year, BuiltIn: y.BuiltIn, Loaded: y.Loaded, LoadedBy: y.LoadedBy,
			LoadedAt: y.LoadedAt, Holidays: len(y.Year.Holidays), Workdays: len(y.Year.Workdays)})
		byYear[y.Year.Year] = y.Year
		if y.Loaded && y.Year.Year == v.loadedYear {
			v.Loaded = w.i18n.T(q.lang, "web.calendar.loaded_done", y.Year.Year)
		}
	}
	this := w.now().In(calendar.Beijing()).Year()
	for _, n := range []int{this, this + 1} {
		d := calendarDetail{Year: n}
		if y, ok := byYear[n]; ok {
			d.Known = true
			for _, h := range y.Holidays {
				name := h.Name
				if q.lang == "en" && h.NameEn != "" {
					name = h.NameEn
				}
				days := 0
				for x := h.From; x.Compare(h.To) <= 0; x = x.AddDays(1) {
					days++
				}
				d.Holidays = append(d.Holidays, calendarHoliday{Name: name, From: h.From.String(), To: h.To.String(), Days: days})
			}
			for _, wd := range y.Workdays {
				d.Workdays = append(d.Workdays, calendarDay{Date: wd.String(),
					Weekday: w.i18n.T(q.lang, "web.calendar.weekday_"+strconv.Itoa(int(wd.Weekday())))})
			}
		}
		v.Details = append(v.Details, d)
	}
	p := w.newPage(q, "web.calendar.title", "admin")
	if len(v.Errors) > 0 {
		p.Error = w.i18n.T(q.lang, "web.calendar.not_loaded")
	}
	p.Data = v
	w.render(rw, r, status, "admin_calendar", p)
}
