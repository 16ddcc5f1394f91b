package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/calendar"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// page is what every template gets: the layout's needs and the page's own
// data in Data.
type page struct {
	Lang      string
	OtherLang string // the language the switch offers
	LangURL   string // this page in the other language
	Title     string
	User      *model.User
	RoleLabel string
	CSRF      string
	Demo      bool
	Nav       string // active navigation item
	Review    bool   // the user works the review queue: its link is in the navigation
	Map       bool   // the page draws a map
	MapOK     bool   // the vendored Leaflet is in the binary
	Charts    bool   // the page draws charts over its tables (the vendored ECharts is in the binary)
	Field     bool   // the field app: its manifest and script
	Tiles     MapConfig
	Flash     string
	Error     string // a message about the whole page or form
	Data      any
}

func (w *Web) funcs() template.FuncMap {
	return template.FuncMap{
		"t": func(lang, key string, args ...any) string { return w.i18n.T(lang, key, args...) },
		"time": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(calendar.Beijing()).Format("2006-01-02 15:04")
		},
		"isotime": func(t time.Time) string { return t.In(calendar.Beijing()).Format(time.RFC3339) },
		"pct":     func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
		"deref":   func(f *float64) float64 { return *f },
		"list":    func(v ...any) []any { return v },
		"add":     func(a, b int) int { return a + b },
		// pass hands a partial the page language with its data.
		"pass": func(lang string, v any) map[string]any { return map[string]any{"Lang": lang, "V": v} },
		// ferr hands the field-error partial a field's id and message.
		"ferr": func(id, msg string) map[string]string { return map[string]string{"ID": id, "Msg": msg} },
		// locfield is what the location fieldset takes: the page, the form
		// and whether a place is required.
		"locfield": func(p, f any, required bool) map[string]any {
			return map[string]any{"P": p, "F": f, "Required": required}
		},
		"area": func(m2 float64) string { return fmt.Sprintf("%.0f", m2) },
	}
}

// parsePages builds one template set per page: the layout and partials,
// and the page's own file defining "content".
func parsePages(funcs template.FuncMap) map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html"))
	files, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		t := template.Must(template.Must(base.Clone()).ParseFS(templateFS, f))
		out[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	return out
}

// newPage starts a page for the request with a translated title.
func (w *Web) newPage(q *req, titleKey, nav string) *page {
	p := &page{Lang: q.lang, Title: w.i18n.T(q.lang, titleKey), CSRF: q.csrf, Demo: w.demo, Nav: nav,
		MapOK: w.mapOK, Tiles: w.mapCfg, LangURL: q.langURL}
	p.OtherLang = "en"
	if q.lang == "en" {
		p.OtherLang = "zh-CN"
	}
	if q.user.ID != 0 {
		u := q.user
		p.User = &u
		p.RoleLabel = w.i18n.T(q.lang, "role."+string(u.Role))
		p.Review = w.intake != nil && service.MayReview(u.Role)
	}
	return p
}

// render writes a page with its status. It renders into a buffer first so
// a template error becomes a clean 500.
func (w *Web) render(rw http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, ok := w.pages[name]
	if !ok {
		panic("web: no page template " + name)
	}
	buf, _ := w.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	defer w.bufs.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", p); err != nil {
		w.log.Error("render page", "page", name, "path", r.URL.Path, "err", err)
		w.securityHeaders(rw.Header())
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	h := rw.Header()
	w.securityHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if p.Lang == "en" {
		h.Set("Content-Language", "en")
	} else {
		h.Set("Content-Language", "zh-CN")
	}
	rw.WriteHeader(status)
	rw.Write(buf.Bytes())
}

// message is the data of the plain message page.
type message struct {
	Heading string
	Text    string
	Back    string // link target, "" for none
	BackKey string
}

// messagePage renders a plain page with one message.
func (w *Web) messagePage(rw http.ResponseWriter, r *http.Request, q *req, status int, titleKey, textKey string) {
	p := w.newPage(q, titleKey, "")
	m := message{Heading: p.Title, Text: w.i18n.T(q.lang, textKey), Back: "/", BackKey: "web.nav.home"}
	if q.user.ID != 0 {
		m.Back, m.BackKey = "/work/inbox", "web.nav.inbox"
	}
	p.Data = m
	w.render(rw, r, status, "message", p)
}

// fail renders the page for a service error.
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, q *req, err error) {
	switch {
	case errors.Is(err, service.ErrNotFound):
		w.messagePage(rw, r, q, http.StatusNotFound, "web.error.not_found_title", "web.error.not_found")
	case errors.Is(err, service.ErrForbidden):
		w.messagePage(rw, r, q, http.StatusForbidden, "web.error.forbidden_title", "error.forbidden")
	case errors.Is(err, service.ErrBusy):
		w.log.Warn("page refused: busy", "path", r.URL.Path, "err", err)
		rw.Header().Set("Retry-After", strconv.Itoa(service.BusyRetryAfter))
		w.messagePage(rw, r, q, http.StatusServiceUnavailable, "web.error.busy_title", "error.busy")
	case w.svc.StorageFull(err):
		w.log.Error("write refused: storage full", "path", r.URL.Path, "err", err)
		rw.Header().Set("Retry-After", "30")
		w.messagePage(rw, r, q, http.StatusServiceUnavailable, "web.error.storage_full_title", "error.storage_full")
	default:
		w.log.Error("page failed", "path", r.URL.Path, "err", err)
		w.messagePage(rw, r, q, http.StatusInternalServerError, "web.error.internal_title", "error.internal")
	}
}

// fieldErrors translates a validation error's fields; fields not in the
// error give "".
func (w *Web) fieldErrors(lang string, err error) map[string]string {
	var ve *service.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	out := make(map[string]string, len(ve.Fields))
	for f, fe := range ve.Fields {
		out[f] = w.i18n.T(lang, fe.Key, fe.Args...)
	}
	return out
}

func (w *Web) notFound(rw http.ResponseWriter, r *http.Request, q *req) {
	w.messagePage(rw, r, q, http.StatusNotFound, "web.error.not_found_title", "web.error.page_not_found")
}
