package web

import (
	"context"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/workflow"
)

// Labels that come with the workflow definitions (states, actions) are
// read from them in the page's language; everything else is in the
// catalogue.

func (w *Web) def(c model.Case) *workflow.Definition {
	d, _ := w.svc.Workflows().Get(c.Type, c.DefVersion)
	return d
}

func (w *Web) stateLabel(lang string, c model.Case, state model.State) string {
	if d := w.def(c); d != nil {
		if s, ok := d.State(string(state)); ok {
			if lang == "en" && s.LabelEn != "" {
				return s.LabelEn
			}
			return s.Label
		}
	}
	return string(state)
}

func actionLabel(lang string, a workflow.Action) string {
	if lang == "en" && a.LabelEn != "" {
		return a.LabelEn
	}
	return a.Label
}

// eventLabel names a timeline entry: the workflow's action label, or the
// catalogue's for entries outside the workflow (create, attach, rate).
func (w *Web) eventLabel(lang string, c model.Case, action string) string {
	if d := w.def(c); d != nil {
		if a, ok := d.Action(action); ok {
			return actionLabel(lang, a)
		}
	}
	key := "web.event." + action
	if w.i18n.Has(key) {
		return w.i18n.T(lang, key)
	}
	return action
}

// resultLabel names an action's result (pass, fail, satisfied …).
func (w *Web) resultLabel(lang, result string) string {
	if result == "" {
		return ""
	}
	key := "web.result." + result
	if w.i18n.Has(key) {
		return w.i18n.T(lang, key)
	}
	return result
}

func (w *Web) categoryName(lang string, id int64) string {
	c := w.svc.Ref().Categories[id]
	if lang == "en" && c.NameEn != "" {
		return c.NameEn
	}
	return c.Name
}

// deadline is how a case's handling deadline is shown: a colour class and
// a phrase.
type deadline struct {
	Class string // "ok" green, "warn" yellow (≥ 80 % of the time used), "late" red, "" none
	Text  string
	Due   time.Time
}

// deadlineLevel grades the time used between start (the clock's start,
// the dispatch) and due at now.
func deadlineLevel(start, due, now time.Time) string {
	switch {
	case due.IsZero():
		return ""
	case !now.Before(due):
		return "late"
	case start.IsZero() || !start.Before(due):
		return "ok"
	case now.Sub(start)*5 >= due.Sub(start)*4:
		return "warn"
	}
	return "ok"
}

// clockStart is when the current deadline started: the last dispatch.
// (When the workflow engine records its clocks on the case, read the
// start from there instead.)
func clockStart(tl []model.Event) time.Time {
	for i := len(tl) - 1; i >= 0; i-- {
		if tl[i].Action == "dispatch" {
			return tl[i].At
		}
	}
	return time.Time{}
}

func (w *Web) deadlineOf(lang string, c model.Case, start, now time.Time) deadline {
	if c.DueAt.IsZero() || !slices.Contains(service.WebClockStates, c.Status) {
		return deadline{}
	}
	d := deadline{Class: deadlineLevel(start, c.DueAt, now), Due: c.DueAt}
	if d.Class == "late" {
		d.Text = w.i18n.T(lang, "web.deadline.overdue", w.duration(lang, now.Sub(c.DueAt)))
	} else {
		d.Text = w.i18n.T(lang, "web.deadline.left", w.duration(lang, c.DueAt.Sub(now)))
	}
	return d
}

// duration says a span in days and hours, or hours and minutes.
func (w *Web) duration(lang string, d time.Duration) string {
	if d < 0 {
		d = -d
	}
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return w.i18n.T(lang, "web.dur.days_hours", days, hours)
	case hours > 0:
		return w.i18n.T(lang, "web.dur.hours_minutes", hours, mins)
	}
	return w.i18n.T(lang, "web.dur.minutes", mins)
}

// serveAttachment writes a file the service opened (each caller through
// the check its page needs: a case the viewer may see, a receipt, a review
// record) with its sniffed type; any error is a 404.
func (w *Web) serveAttachment(rw http.ResponseWriter, r *http.Request, q *req, att model.Attachment, f *os.File, err error) {
	if err != nil {
		w.fail(rw, r, q, service.ErrNotFound)
		return
	}
	defer f.Close()
	h := rw.Header()
	h.Set("Content-Type", att.Mime)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=86400, immutable")
	if !strings.HasPrefix(att.Mime, "image/") { // PDFs, and types an administrator allowed, stored as sent
		h.Set("Content-Disposition", "attachment")
	}
	io.Copy(rw, f)
}

// authors names staff accounts by id for version histories: "姓名
// (username)", or "#id" for an account the directory does not list.
func (w *Web) authors(ctx context.Context, viewer model.User) func(id int64) string {
	names := map[int64]string{}
	if users, err := w.svc.StaffDirectory(ctx, viewer); err == nil {
		for _, u := range users {
			names[u.ID] = u.DisplayName + " (" + u.Username + ")"
		}
	}
	return func(id int64) string {
		if id == 0 {
			return ""
		}
		if n := names[id]; n != "" {
			return n
		}
		return "#" + strconv.FormatInt(id, 10)
	}
}

// caseTypeRank puts the everyday case types first in lists: city cases,
// then hotline orders, then the rest.
func caseTypeRank(t string) int {
	switch t {
	case "city_case":
		return 0
	case "hotline_order":
		return 1
	}
	return 2
}
