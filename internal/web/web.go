// Package web serves yiwang's HTML pages from embedded templates.
package web

import (
	"embed"
	"html/template"
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/i18n"
	"github.com/yiwang-gov/yiwang/internal/service"
)

//go:embed templates/*.html
var templates embed.FS

// Deps is what the pages need.
type Deps struct {
	Service *service.Service
	I18n    *i18n.Catalog
	Demo    bool
}

// Web is the page handler set.
type Web struct {
	svc  *service.Service
	i18n *i18n.Catalog
	demo bool
	tmpl *template.Template
}

// New parses the templates.
func New(d Deps) *Web {
	w := &Web{svc: d.Service, i18n: d.I18n, demo: d.Demo}
	w.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"t": func(lang, key string) string { return d.I18n.T(lang, key) },
	}).ParseFS(templates, "templates/*.html"))
	return w
}

// Register adds the pages to mux.
func (w *Web) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", w.home)
}

// securityHeaders are set on every page: no inline script, no framing.
func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
}

func (w *Web) home(rw http.ResponseWriter, r *http.Request) {
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	if q := r.URL.Query().Get("lang"); q == "en" || q == "zh-CN" {
		lang = q
	}
	ref := w.svc.Ref()
	data := map[string]any{"Lang": lang, "Demo": w.demo, "District": ref.Root.Name, "Grids": len(ref.Grids)}
	securityHeaders(rw.Header())
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := w.tmpl.ExecuteTemplate(rw, "home.html", data); err != nil {
		http.Error(rw, err.Error(), http.StatusInternalServerError)
	}
}
