package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// trackView is a case as its reporter sees it by receipt code: no staff
// names, no reporter, no internal notes.
type trackView struct {
	Code       string // as typed
	Searched   bool
	Found      bool
	Receipt    string
	Status     string
	StatusKey  model.State
	Category   string
	Address    string
	Street     string
	Created    time.Time
	Closed     time.Time
	Timeline   []publicEvent
	Before     []string // photo URLs sent with the report
	After      []string // photo URLs of the unit's report back
	CanRate    bool
	Rated      bool
	Rating     string
	Ratings    []option
	RateResult string
	RateNote   string
	Errors     map[string]string
}

type publicEvent struct {
	At     time.Time
	Label  string
	Unit   string
	Result string
	Note   string
}

type option struct {
	Value, Label string
	Selected     bool
}

// publicNote lists the actions whose notes the citizen reads: a refusal's
// reason, the unit's account of the fix, the verification, their rating.
var publicNote = []string{"reject", "report_back", "verify", service.EventCitizenRating}

// publicPhotos splits a timeline's photos into the citizen's own (before)
// and the handling unit's report back (after).
func publicPhotos(tl []model.Event) (before, after []string) {
	for _, ev := range tl {
		switch {
		case ev.Role == model.RoleCitizen && (ev.Action == "create" || ev.Action == service.EventCitizenPhotos):
			before = append(before, ev.Attachments...)
		case ev.Action == "report_back":
			after = append(after, ev.Attachments...)
		}
	}
	return before, after
}

func (w *Web) trackView(q *req, c model.Case, tl []model.Event) trackView {
	ref := w.svc.Ref()
	v := trackView{Code: c.Receipt, Searched: true, Found: true, Receipt: c.Receipt, StatusKey: c.Status,
		Status: w.stateLabel(q.lang, c, c.Status), Category: w.categoryName(q.lang, c.CategoryID), Address: c.Address,
		Street: ref.OrgName(c.StreetID), Created: c.CreatedAt, Closed: c.ClosedAt}
	for _, ev := range tl {
		pe := publicEvent{At: ev.At, Label: w.eventLabel(q.lang, c, ev.Action), Result: w.resultLabel(q.lang, ev.Result)}
		if ev.Action == "dispatch" {
			pe.Unit = ref.OrgName(ev.UnitID)
		}
		if slices.Contains(publicNote, ev.Action) {
			pe.Note = ev.Note
		}
		v.Timeline = append(v.Timeline, pe)
	}
	before, after := publicPhotos(tl)
	base := "/track/" + url.PathEscape(c.Receipt) + "/files/"
	for _, id := range before {
		v.Before = append(v.Before, base+id)
	}
	for _, id := range after {
		v.After = append(v.After, base+id)
	}
	v.Rated = service.CitizenRated(tl)
	v.CanRate = c.Status == model.StateClosed && !v.Rated
	if v.Rated {
		v.Rating = w.resultLabel(q.lang, c.Satisfaction)
	}
	for _, r := range service.CitizenRatings {
		v.Ratings = append(v.Ratings, option{Value: r, Label: w.resultLabel(q.lang, r)})
	}
	return v
}

// track finds a case by its receipt code.
func (w *Web) track(rw http.ResponseWriter, r *http.Request, q *req) {
	code := strings.TrimSpace(r.URL.Query().Get("code"))
	p := w.newPage(q, "web.track.title", "track")
	v := trackView{Code: code}
	status := http.StatusOK
	if code != "" {
		v.Searched = true
		c, tl, err := w.svc.CaseByReceipt(r.Context(), code)
		switch {
		case err == nil:
			v = w.trackView(q, c, tl)
		case errors.Is(err, service.ErrNotFound):
			status = http.StatusNotFound
		default:
			w.fail(rw, r, q, err)
			return
		}
	}
	if r.URL.Query().Get("done") == "rated" {
		p.Flash = w.i18n.T(q.lang, "web.track.thanks")
	}
	p.Data = v
	w.render(rw, r, status, "track", p)
}

// trackFile serves a photo of the receipt holder's case: only the
// citizen's own photos and the report back's, never another case's.
func (w *Web) trackFile(rw http.ResponseWriter, r *http.Request, q *req) {
	_, tl, err := w.svc.CaseByReceipt(r.Context(), r.PathValue("code"))
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	before, after := publicPhotos(tl)
	id := r.PathValue("file")
	if !slices.Contains(before, id) && !slices.Contains(after, id) {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	att, f, err := w.svc.OpenReceiptAttachment(r.Context(), r.PathValue("code"), id)
	w.serveAttachment(rw, r, q, att, f, err)
}
