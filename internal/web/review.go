package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// The review queue (人工复核): machine events (video, IoT) below their
// source's confidence threshold wait here for a person, who confirms one
// as a case (确认立案) or dismisses it as a false alarm (忽略). The same
// service as GET /api/v1/events/review and its confirm and dismiss.

const (
	reviewPath = "/work/review"
	// reviewPageSize is smaller than the inbox's: every row carries its
	// snapshot and two forms.
	reviewPageSize = 20
)

// reviewStatuses are the list's status filters, the default first.
var reviewStatuses = []string{store.MachineReview, store.MachineOpen, store.MachineDismissed, store.MachineClosed, "all"}

type reviewRow struct {
	ID           int64
	Status       string
	StatusKey    string
	Waiting      bool
	Source       string
	SourceCode   string
	Device       string
	EventType    string
	Category     string
	Confidence   float64
	Address      string
	Coords       string
	Street       string
	Grid         string
	Description  string
	First, Last  time.Time
	Count        int
	Snapshot     string // URL of the first snapshot, "" for none
	LastSnapshot string // URL of the latest, when it is another
	CaseID       int64
	ReviewedAt   time.Time
	ReviewNote   string
	Confirm      reviewForm
	Dismiss      reviewForm
}

// reviewForm is a confirm or dismiss form; it comes back with what was
// typed and its errors when the service refused it.
type reviewForm struct {
	Note, Description string
	Errors            map[string]string
	Open              bool
}

type reviewDone struct {
	Text    string
	Receipt string
	CaseURL string
}

type reviewView struct {
	Waiting     int
	WaitingText string // the count for the heading
	Status      string
	Heading     string
	Statuses    []option
	Source      int64
	Sources     []option
	Rows        []reviewRow
	Back        string // this list's address: the forms come back to it
	NextURL     string
	FirstURL    string
	Done        *reviewDone
	MaxNote     int
	MaxDesc     int
}

// reviewer wraps the review pages: a logged-in user of a role that may
// review (the service's rule), and an intake to review.
func (w *Web) reviewer(h handler) http.HandlerFunc {
	return w.wrap(h, func(rw http.ResponseWriter, r *http.Request, q *req) bool {
		if q.user.ID == 0 {
			w.toLogin(rw, r)
			return false
		}
		if !service.MayReview(q.user.Role) {
			w.messagePage(rw, r, q, http.StatusForbidden, "web.error.forbidden_title", "web.error.reviewers_only")
			return false
		}
		if w.intake == nil {
			w.messagePage(rw, r, q, http.StatusServiceUnavailable, "web.error.internal_title", "error.intake_unavailable")
			return false
		}
		return true
	})
}

// reviewPage lists machine events by status, newest first, with the
// number still waiting in the heading.
func (w *Web) reviewPage(rw http.ResponseWriter, r *http.Request, q *req) {
	v, err := w.reviewList(r, q, r.URL.Query(), 0, nil)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	v.Done = w.reviewDone(r, q)
	p := w.newPage(q, "web.review.title", "review")
	p.Data = v
	w.render(rw, r, http.StatusOK, "review", p)
}

// reviewConfirm and reviewDismiss take the row's form.
func (w *Web) reviewConfirm(rw http.ResponseWriter, r *http.Request, q *req) {
	w.reviewAct(rw, r, q, "confirm")
}

func (w *Web) reviewDismiss(rw http.ResponseWriter, r *http.Request, q *req) {
	w.reviewAct(rw, r, q, "dismiss")
}

func (w *Web) reviewAct(rw http.ResponseWriter, r *http.Request, q *req, action string) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	back := r.PostFormValue("back")
	if !reviewBack(back) {
		back = reviewPath
	}
	form := reviewForm{Note: r.PostFormValue("note"), Description: r.PostFormValue("description"), Open: true}
	in := service.ReviewInput{Note: form.Note}
	done := url.Values{"done": {action}, "event": {strconv.FormatInt(id, 10)}}
	if action == "confirm" {
		in.Description = form.Description
		var c model.Case
		if _, c, err = w.intake.Confirm(r.Context(), q.user, id, in); err == nil {
			done.Set("case", strconv.FormatInt(c.ID, 10))
		}
	} else {
		_, err = w.intake.Dismiss(r.Context(), q.user, id, in)
	}
	if err == nil {
		w.redirect(rw, r, withQuery(back, done))
		return
	}
	// Refused: the list again, with the reason; nothing was written.
	var status int
	var msg string
	switch {
	case errors.Is(err, service.ErrInvalidState), errors.Is(err, service.ErrConflict):
		// Someone reviewed it first (or it was never waiting).
		status, msg = http.StatusConflict, w.i18n.T(q.lang, "web.review.already", id)
		if rec, rerr := w.intake.ReviewRecord(r.Context(), q.user, id); rerr == nil {
			msg = w.i18n.T(q.lang, "web.review.already_status", id, w.i18n.T(q.lang, "web.review.status."+rec.Status))
		}
	default:
		form.Errors = w.fieldErrors(q.lang, err)
		if form.Errors == nil {
			w.fail(rw, r, q, err)
			return
		}
		status, msg = http.StatusUnprocessableEntity, w.i18n.T(q.lang, "web.review.invalid", id)
	}
	bu, _ := url.Parse(back)
	failed := map[string]reviewForm{action: form}
	if status == http.StatusConflict {
		failed = nil
	}
	v, err := w.reviewList(r, q, bu.Query(), id, failed)
	if err != nil {
		w.fail(rw, r, q, err)
		return
	}
	p := w.newPage(q, "web.review.title", "review")
	p.Error = msg
	p.Data = v
	w.render(rw, r, status, "review", p)
}

// reviewBack accepts only the review list as the page a form returns to.
func reviewBack(s string) bool {
	return localPath(s) && (s == reviewPath || strings.HasPrefix(s, reviewPath+"?"))
}

func withQuery(path string, add url.Values) string {
	u, err := url.Parse(path)
	if err != nil {
		return reviewPath + "?" + add.Encode()
	}
	qv := u.Query()
	for k, vs := range add {
		qv[k] = vs
	}
	u.RawQuery = qv.Encode()
	return u.String()
}

// reviewList builds the list for the filters in qs. failedID's forms come
// back open with what was typed and its errors.
func (w *Web) reviewList(r *http.Request, q *req, qs url.Values, failedID int64, failed map[string]reviewForm) (reviewView, error) {
	ctx := r.Context()
	v := reviewView{Status: qs.Get("status"), MaxNote: service.MaxNote, MaxDesc: service.MaxDescription}
	if !slices.Contains(reviewStatuses, v.Status) {
		v.Status = store.MachineReview
	}
	v.Source, _ = strconv.ParseInt(qs.Get("source"), 10, 64)
	after, _ := strconv.ParseInt(qs.Get("after_id"), 10, 64)
	if after < 0 {
		after = 0
	}
	recs, err := w.intake.ReviewQueue(ctx, q.user, store.MachineEventFilter{Status: v.Status, SourceID: v.Source, AfterID: after, Limit: reviewPageSize + 1})
	if err != nil {
		return v, err
	}
	if v.Waiting, err = w.intake.ReviewCount(ctx, q.user, v.Source); err != nil {
		return v, err
	}
	v.WaitingText = w.i18n.T(q.lang, "web.review.waiting", strconv.Itoa(v.Waiting))
	srcs, err := w.intake.ReviewSources(ctx, q.user)
	if err != nil {
		return v, err
	}
	link := func(status string, after int64) string {
		u := url.Values{}
		if status != store.MachineReview {
			u.Set("status", status)
		}
		if v.Source != 0 {
			u.Set("source", strconv.FormatInt(v.Source, 10))
		}
		if after != 0 {
			u.Set("after_id", strconv.FormatInt(after, 10))
		}
		if len(u) == 0 {
			return reviewPath
		}
		return reviewPath + "?" + u.Encode()
	}
	v.Back = link(v.Status, after)
	if len(recs) > reviewPageSize {
		recs = recs[:reviewPageSize]
		v.NextURL = link(v.Status, recs[reviewPageSize-1].ID)
	}
	if after != 0 {
		v.FirstURL = link(v.Status, 0)
	}
	for _, s := range reviewStatuses {
		v.Statuses = append(v.Statuses, option{Value: s, Label: w.i18n.T(q.lang, "web.review.status."+s), Selected: s == v.Status})
	}
	v.Heading = w.i18n.T(q.lang, "web.review.status."+v.Status)
	byID := make(map[int64]store.EventSource, len(srcs))
	for _, s := range srcs {
		byID[s.ID] = s
		v.Sources = append(v.Sources, option{Value: strconv.FormatInt(s.ID, 10), Label: s.Name + " (" + s.Code + ")", Selected: s.ID == v.Source})
	}
	ref := w.svc.Ref()
	for _, rec := range recs {
		row := reviewRow{ID: rec.ID, StatusKey: rec.Status, Status: w.i18n.T(q.lang, "web.review.status."+rec.Status),
			Waiting: rec.Status == store.MachineReview, Source: byID[rec.SourceID].Name, SourceCode: rec.SourceCode,
			Device: rec.DeviceID, EventType: rec.EventType, Category: w.categoryName(q.lang, rec.CategoryID),
			Confidence: rec.Confidence, Address: rec.Address, Coords: fmt.Sprintf("%.6f, %.6f", rec.Lat, rec.Lng),
			Description: rec.Description, First: rec.FirstAt, Last: rec.LastAt, Count: rec.Count, CaseID: rec.CaseID,
			ReviewedAt: rec.ReviewedAt, ReviewNote: rec.ReviewNote}
		files := reviewPath + "/" + strconv.FormatInt(rec.ID, 10) + "/files/"
		if rec.Snapshot != "" {
			row.Snapshot = files + rec.Snapshot
		}
		if rec.LastSnapshot != "" && rec.LastSnapshot != rec.Snapshot {
			row.LastSnapshot = files + rec.LastSnapshot
		}
		// Where it is, as the case would be routed: cheap, the point index
		// is in memory.
		place := w.svc.Locate(rec.Lat, rec.Lng, rec.CategoryID)
		row.Street = ref.OrgName(place.StreetID)
		if g, ok := ref.Grids[place.GridID]; ok {
			row.Grid = g.Name
		}
		if rec.ID == failedID {
			if f, ok := failed["confirm"]; ok {
				row.Confirm = f
			}
			if f, ok := failed["dismiss"]; ok {
				row.Dismiss = f
			}
		}
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

// reviewDone is the message after a confirm or dismiss, checked against
// the record so an edited address cannot claim what did not happen.
func (w *Web) reviewDone(r *http.Request, q *req) *reviewDone {
	qs := r.URL.Query()
	action := qs.Get("done")
	if action != "confirm" && action != "dismiss" {
		return nil
	}
	id, _ := strconv.ParseInt(qs.Get("event"), 10, 64)
	rec, err := w.intake.ReviewRecord(r.Context(), q.user, id)
	if err != nil {
		return nil
	}
	if action == "dismiss" {
		if rec.Status != store.MachineDismissed {
			return nil
		}
		return &reviewDone{Text: w.i18n.T(q.lang, "web.review.done_dismissed", id)}
	}
	caseID, _ := strconv.ParseInt(qs.Get("case"), 10, 64)
	if caseID == 0 || rec.CaseID != caseID {
		return nil
	}
	d := &reviewDone{Text: w.i18n.T(q.lang, "web.review.done_confirmed", id), CaseURL: "/work/cases/" + strconv.FormatInt(caseID, 10)}
	if c, _, err := w.svc.Case(r.Context(), q.user, caseID); err == nil {
		d.Receipt = c.Receipt
	}
	return d
}

// reviewFile serves a snapshot of a record to a reviewer, only if it is
// that record's.
func (w *Web) reviewFile(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	if _, err := w.intake.ReviewRecord(r.Context(), q.user, id); err != nil {
		w.fail(rw, r, q, err)
		return
	}
	att, f, err := w.intake.OpenReviewSnapshot(r.Context(), q.user, id, r.PathValue("file"))
	w.serveAttachment(rw, r, q, att, f, err)
}
