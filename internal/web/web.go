// Package web serves yiwang's HTML pages: the citizen's 随手拍 (report,
// track, rate, public figures and map), the staff workbench (login, inbox,
// case page with its actions, a grid worker's grid, the review queue of
// machine events) and the administrator's lists. Pages are server-rendered
// from embedded templates with a little plain JavaScript from embedded
// static files; no inline script or style, so every HTML response carries
// a strict Content-Security-Policy.
//
// Handlers call the service directly, never the JSON API. One handler per
// file; shared plumbing (rendering, sessions, CSRF, language) lives in the
// files named after it.
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/yiwang-gov/yiwang/internal/i18n"
	"github.com/yiwang-gov/yiwang/internal/service"
)

//go:embed templates
var templateFS embed.FS

// static holds the CSS and JS of the pages and, when `make assets` was run
// before the build, the third-party libraries in static/vendor.
//
//go:embed static
var staticFS embed.FS

// MapConfig says how maps are drawn. With no TileURL the maps show only
// yiwang's own data (grid polygons, case markers) on a plain background.
type MapConfig struct {
	// TileURL is a Leaflet tile URL template, e.g. a 天地图 WMTS URL with a
	// key. Its host is added to the page's Content-Security-Policy.
	TileURL string
	// Attribution is shown in the map's corner when tiles are drawn.
	Attribution string
	// Coord is the base map's coordinate system: "wgs84" (天地图, default)
	// or "gcj02" (AMap, Tencent). Data is stored in WGS-84 and converted
	// for display; a point picked on a GCJ-02 map is sent as GCJ-02.
	Coord string
}

// Deps is what the pages need.
type Deps struct {
	Service *service.Service
	I18n    *i18n.Catalog
	Demo    bool
	Log     *slog.Logger
	Map     MapConfig
	// Intake is the machine-event intake whose review queue (人工复核) the
	// staff pages work; nil leaves the queue's pages out of the navigation.
	Intake *service.Intake
	// SecureCookies marks cookies Secure even on plain HTTP requests (for a
	// TLS-terminating proxy in front). Requests over TLS always get Secure.
	SecureCookies bool
	// Now is the clock for deadline colours; time.Now when nil.
	Now func() time.Time
}

// Web is the page handler set.
type Web struct {
	svc     *service.Service
	intake  *service.Intake
	i18n    *i18n.Catalog
	demo    bool
	log     *slog.Logger
	mapCfg  MapConfig
	secure  bool
	now     func() time.Time
	pages   map[string]*template.Template
	static  fs.FS
	mapOK   bool // the vendored Leaflet is in the binary
	csp     string
	figures figuresCache
	// grids is the district's grid GeoJSON of the current reference.
	grids gridsCache
	// bufs are the page buffers render reuses (*bytes.Buffer), the
	// server's own rather than the process's.
	bufs    sync.Pool
	started time.Time
	// crossOrigin guards every form POST besides the CSRF token.
	crossOrigin *http.CrossOriginProtection
	// gridImports holds checked grid files waiting for their import.
	gridImports gridImports
	// fieldVer is the hash of the field app's files (its service worker
	// carries it); icons are the app's icons, drawn on first request.
	fieldVer string
	icons    fieldIcons
}

// New parses the templates.
func New(d Deps) *Web {
	w := &Web{svc: d.Service, intake: d.Intake, i18n: d.I18n, demo: d.Demo, log: d.Log, mapCfg: d.Map, secure: d.SecureCookies, now: d.Now, started: time.Now()}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.mapCfg.Coord == "" {
		w.mapCfg.Coord = "wgs84"
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	w.static = sub
	_, err = fs.Stat(sub, leafletJS)
	w.mapOK = err == nil
	w.fieldVer = fieldVersion(sub)
	w.csp = contentSecurityPolicy(w.mapCfg.TileURL)
	w.pages = parsePages(w.funcs())
	w.crossOrigin = w.newCrossOrigin()
	return w
}

// Register adds the pages to mux.
func (w *Web) Register(mux *http.ServeMux) {
	// Citizen side, no login.
	mux.HandleFunc("GET /{$}", w.public(w.home))
	mux.HandleFunc("GET /report", w.public(w.reportForm))
	mux.HandleFunc("POST /report", w.public(w.reportSubmit))
	mux.HandleFunc("GET /report/receipt/{code}", w.public(w.receipt))
	mux.HandleFunc("GET /track", w.public(w.track))
	mux.HandleFunc("POST /track/{code}/rate", w.public(w.rate))
	mux.HandleFunc("GET /track/{code}/files/{file}", w.public(w.trackFile))
	mux.HandleFunc("GET /map", w.public(w.publicMap))
	mux.HandleFunc("GET /map/grids.geojson", w.gridsGeoJSON)

	// Staff.
	mux.HandleFunc("GET /login", w.public(w.loginForm))
	mux.HandleFunc("POST /login", w.public(w.loginSubmit))
	mux.HandleFunc("POST /logout", w.public(w.logout))
	mux.HandleFunc("GET /work/{$}", w.staff(w.workIndex))
	mux.HandleFunc("GET /work/inbox", w.staff(w.inbox))
	mux.HandleFunc("GET /work/cases/{id}", w.staff(w.casePage))
	mux.HandleFunc("POST /work/cases/{id}", w.staff(w.caseAction))
	mux.HandleFunc("GET /work/cases/{id}/files/{file}", w.staff(w.caseFile))
	mux.HandleFunc("GET /work/cases.geojson", w.staff(w.casesGeoJSON))
	mux.HandleFunc("GET /work/grid", w.staff(w.gridPage))
	mux.HandleFunc("GET /work/dispatch-sheet", w.staff(w.dispatchSheet))
	mux.HandleFunc("GET /work/dashboard", w.staff(w.dashboard))
	mux.HandleFunc("GET "+newCasePath, w.staff(w.newCaseForm))
	mux.HandleFunc("POST "+newCasePath, w.staff(w.newCaseSubmit))
	mux.HandleFunc("GET "+fieldPath, w.staff(w.fieldPage))
	mux.HandleFunc("GET "+fieldPath+"/data", w.fieldAPI(w.fieldData))
	mux.HandleFunc("POST "+fieldPath+"/reports", w.fieldAPI(w.fieldReport))
	mux.HandleFunc("POST "+fieldPath+"/verify/{id}", w.fieldAPI(w.fieldVerify))
	mux.HandleFunc("GET "+fieldPath+"/sw.js", w.fieldServiceWorker)
	mux.HandleFunc("GET "+fieldPath+"/manifest.webmanifest", w.fieldManifest)
	mux.HandleFunc("GET "+fieldPath+"/{file}", w.fieldIcon)
	mux.HandleFunc("GET "+reviewPath, w.reviewer(w.reviewPage))
	mux.HandleFunc("POST "+reviewPath+"/{id}/confirm", w.reviewer(w.reviewConfirm))
	mux.HandleFunc("POST "+reviewPath+"/{id}/dismiss", w.reviewer(w.reviewDismiss))
	mux.HandleFunc("GET "+reviewPath+"/{id}/files/{file}", w.reviewer(w.reviewFile))

	// Administration.
	mux.HandleFunc("GET /admin/{$}", w.admin(w.adminIndex))
	mux.HandleFunc("GET /admin/units", w.admin(w.adminUnits))
	mux.HandleFunc("GET "+usersPath, w.admin(w.adminUsers))
	mux.HandleFunc("POST "+usersPath, w.admin(w.adminUserAdd))
	mux.HandleFunc("POST "+usersPath+"/{id}/password", w.admin(w.adminUserPassword))
	mux.HandleFunc("POST "+usersPath+"/{id}/disabled", w.admin(w.adminUserDisabled))
	mux.HandleFunc("POST "+usersPath+"/{id}/org", w.admin(w.adminUserOrg))
	mux.HandleFunc("GET /admin/grids", w.admin(w.adminGrids))
	mux.HandleFunc("GET "+sourcesPath, w.admin(w.adminSources))
	mux.HandleFunc("POST "+sourcesPath, w.admin(w.adminSourceAdd))
	mux.HandleFunc("POST "+sourcesPath+"/{id}/revoke", w.admin(w.adminSourceRevoke))
	mux.HandleFunc("GET "+apikeysPath, w.admin(w.adminAPIKeys))
	mux.HandleFunc("POST "+apikeysPath, w.admin(w.adminAPIKeyAdd))
	mux.HandleFunc("POST "+apikeysPath+"/{id}/revoke", w.admin(w.adminAPIKeyRevoke))
	mux.HandleFunc("GET "+calendarPath, w.admin(w.adminCalendar))
	mux.HandleFunc("POST "+calendarPath, w.admin(w.adminCalendarLoad))
	mux.HandleFunc("POST "+gridsPath+"/check", w.admin(w.adminGridsCheck))
	mux.HandleFunc("POST "+gridsPath+"/import", w.admin(w.adminGridsImport))
	mux.HandleFunc("GET "+rulesPath, w.admin(w.adminRules))
	mux.HandleFunc("POST "+rulesPath, w.admin(w.adminRuleAdd))
	mux.HandleFunc("GET "+rulesPath+"/{id}", w.admin(w.adminRule))
	mux.HandleFunc("POST "+rulesPath+"/{id}", w.admin(w.adminRuleUpdate))
	mux.HandleFunc("POST "+rulesPath+"/{id}/delete", w.admin(w.adminRuleDelete))
	mux.HandleFunc("GET "+categoriesPath, w.admin(w.adminCategories))
	mux.HandleFunc("POST "+categoriesPath, w.admin(w.adminCategoryAdd))
	mux.HandleFunc("GET "+categoriesPath+"/{id}", w.admin(w.adminCategory))
	mux.HandleFunc("POST "+categoriesPath+"/{id}", w.admin(w.adminCategoryUpdate))

	mux.Handle("GET /static/", w.staticHandler())
	// Every other path outside the API gets an HTML 404 page.
	mux.HandleFunc("/", w.public(w.notFound))
}

// contentSecurityPolicy allows only the binary's own scripts and styles;
// a configured tile server may serve images.
func contentSecurityPolicy(tileURL string) string {
	img := "'self' data: blob:"
	if tileURL != "" {
		if u, err := url.Parse(strings.NewReplacer("{s}", "x", "{z}", "0", "{x}", "0", "{y}", "0").Replace(tileURL)); err == nil && u.Host != "" {
			host := u.Host
			if strings.Contains(tileURL, "{s}") {
				// Subdomains rotate: allow the parent domain's subdomains.
				if i := strings.IndexByte(host, '.'); i >= 0 {
					host = "*" + host[i:]
				}
			}
			img += " " + u.Scheme + "://" + host
		}
	}
	return "default-src 'self'; img-src " + img + "; style-src 'self'; script-src 'self'; connect-src 'self'; " +
		"font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
}

// securityHeaders are set on every page: no inline script, no framing.
func (w *Web) securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", w.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
}

// startedAt is the Last-Modified of generated data that changes only with
// a restart or a reload.
func (w *Web) startedAt() time.Time { return w.started }
