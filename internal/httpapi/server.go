// Package httpapi serves yiwang's JSON API under /api/v1 (and, later,
// Open311). One handler per file; handlers decode, call the service and
// encode — no business rules here.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/i18n"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// MaxBody is the largest JSON body accepted.
const MaxBody = 1 << 20

// Deps is what the API needs.
type Deps struct {
	Service *service.Service
	I18n    *i18n.Catalog
	Log     *slog.Logger
	// PublicPerMinute limits anonymous writes per client address (with a
	// burst of half as many; logins five times both); 0 means the default
	// 120, negative means off.
	PublicPerMinute int
	// Intake takes machine events (POST /api/v1/events); nil: 503.
	Intake *service.Intake
	// Observe, if set, is told of every answered request: the route
	// pattern that matched ("" for none), the status and the time taken.
	Observe func(route string, status int, took time.Duration)
	// LedgerMax is the largest ledger workbook an import takes (bytes);
	// 0 means MaxLedger (20 MB).
	LedgerMax int64
	// TempDir is where uploads wait while they are read; "" means
	// os.TempDir() (the node's own disk, not the shared files dir).
	TempDir string
}

// API is the /api/v1 handler set.
type API struct {
	svc     *service.Service
	i18n    *i18n.Catalog
	log     *slog.Logger
	routes  []string // patterns registered, in order (see Routes)
	limit   publicLimit
	intake  *service.Intake
	observe func(route string, status int, took time.Duration)
	// ledgerMax and tempDir: see Deps.
	ledgerMax int64
	tempDir   string
}

// New returns the API.
func New(d Deps) *API {
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &API{svc: d.Service, i18n: d.I18n, log: log, intake: d.Intake, observe: d.Observe, ledgerMax: d.LedgerMax, tempDir: d.TempDir}
	if a.ledgerMax <= 0 {
		a.ledgerMax = MaxLedger
	}
	switch {
	case d.PublicPerMinute == 0:
		a.limit = publicLimit{120, 60}
	case d.PublicPerMinute > 0:
		a.limit = publicLimit{d.PublicPerMinute, max(d.PublicPerMinute/2, 1)}
	}
	return a
}

// Register adds the API's routes to mux.
func (a *API) Register(m *http.ServeMux) {
	mux := a.recorder(m) // records every pattern for Routes (the OpenAPI test)
	mux.HandleFunc("GET /api/v1/openapi.json", a.openapi)
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("POST /api/v1/login", a.login)
	mux.HandleFunc("POST /api/v1/logout", a.authed(a.logout))
	mux.HandleFunc("GET /api/v1/me", a.authed(a.me))
	mux.HandleFunc("GET /api/v1/categories", a.categories)
	mux.HandleFunc("GET /api/v1/grids", a.grids)
	mux.HandleFunc("GET /api/v1/units", a.units)
	mux.HandleFunc("POST /api/v1/cases", a.optionalAuth(a.createCase))
	mux.HandleFunc("GET /api/v1/cases", a.authed(a.listCases))
	mux.HandleFunc("GET /api/v1/cases/{id}", a.authed(a.getCase))
	mux.HandleFunc("POST /api/v1/cases/{id}/actions/{action}", a.authed(a.caseAction))
	mux.HandleFunc("POST /api/v1/cases/{id}/reveal", a.authed(a.revealReporter))
	mux.HandleFunc("GET /api/v1/track/{receipt}", a.track)
	mux.HandleFunc("POST /api/v1/attachments", a.optionalAuth(a.uploadAttachment))
	mux.HandleFunc("GET /api/v1/attachments/{id}", a.authed(a.getAttachment))
	mux.HandleFunc("GET /api/v1/calendar/deadline", a.calendarDeadline)
	mux.HandleFunc("GET /api/v1/calendar/years", a.calendarYears)
	mux.HandleFunc("POST /api/v1/admin/calendar/years", a.authed(a.loadCalendarYear))
	mux.HandleFunc("GET /api/v1/workflows", a.optionalAuth(a.listWorkflows))
	mux.HandleFunc("GET /api/v1/workflows/{type}", a.optionalAuth(a.getWorkflow))
	mux.HandleFunc("POST /api/v1/admin/workflows", a.authed(a.addWorkflow))
	mux.HandleFunc("POST /api/v1/supervisions", a.authed(a.issueSupervision))
	mux.HandleFunc("GET /api/v1/supervisions", a.authed(a.listSupervisions))
	mux.HandleFunc("GET /api/v1/supervisions/{id}", a.authed(a.getSupervision))
	mux.HandleFunc("POST /api/v1/supervisions/{id}/reply", a.authed(a.replySupervision))
	mux.HandleFunc("GET /api/v1/notifications", a.authed(a.notifications))
	mux.HandleFunc("POST /api/v1/notifications/{id}/read", a.authed(a.readNotification))
	mux.HandleFunc("GET /api/v1/dispatch-sheet", a.authed(a.dispatchSheet))
	mux.HandleFunc("GET /api/v1/dispatch-sheet.csv", a.authed(a.dispatchSheet))
	mux.HandleFunc("GET /api/v1/geo/locate", a.locate)
	mux.HandleFunc("GET /api/v1/geo/addresses", a.authed(a.searchAddresses))
	mux.HandleFunc("GET /api/v1/geo/reverse", a.authed(a.reverseAddress))
	mux.HandleFunc("GET /api/v1/geo/components", a.authed(a.nearComponents))
	mux.HandleFunc("GET /api/v1/grids/{id}/versions", a.gridVersions)
	mux.HandleFunc("POST /api/v1/admin/grids/import", a.authed(a.importGrids))
	mux.HandleFunc("POST /api/v1/admin/components/import", a.authed(a.importComponents))
	mux.HandleFunc("POST /api/v1/admin/addresses/import", a.authed(a.importAddresses))
	mux.HandleFunc("GET /api/v1/admin/geo/config", a.authed(a.geoConfig))
	mux.HandleFunc("PUT /api/v1/admin/geo/config", a.authed(a.setGeoConfig))
	mux.HandleFunc("POST /api/v1/admin/categories", a.authed(a.createCategory))
	mux.HandleFunc("PUT /api/v1/admin/categories/{id}", a.authed(a.updateCategory))
	mux.HandleFunc("GET /api/v1/admin/categories/{id}/versions", a.authed(a.categoryVersions))
	mux.HandleFunc("GET /api/v1/admin/rules", a.authed(a.listRules))
	mux.HandleFunc("POST /api/v1/admin/rules", a.authed(a.createRule))
	mux.HandleFunc("GET /api/v1/admin/rules/{id}", a.authed(a.getRule))
	mux.HandleFunc("PUT /api/v1/admin/rules/{id}", a.authed(a.updateRule))
	mux.HandleFunc("DELETE /api/v1/admin/rules/{id}", a.authed(a.deleteRule))
	mux.HandleFunc("GET /api/v1/admin/rules/{id}/versions", a.authed(a.ruleVersions))
	mux.HandleFunc("GET /api/v1/cases/{id}/routing", a.authed(a.caseRouting))
	mux.HandleFunc("GET /api/v1/stats/summary", a.authed(a.statsSummary))
	mux.HandleFunc("GET /api/v1/stats/breakdown", a.authed(a.statsBreakdown))
	mux.HandleFunc("GET /api/v1/stats/ranking", a.authed(a.statsRanking))
	mux.HandleFunc("GET /api/v1/stats/hotspots", a.authed(a.statsHotSpots))
	mux.HandleFunc("GET /api/v1/stats/topics", a.authed(a.statsTopics))
	mux.HandleFunc("GET /api/v1/stats/dashboard", a.authed(a.statsDashboard))
	mux.HandleFunc("GET /api/v1/stats/briefing", a.authed(a.statsBriefing))
	mux.HandleFunc("GET /api/v1/stats/export", a.authed(a.statsExport))
	mux.HandleFunc("GET /api/v1/stats/ledgers/{kind}", a.authed(a.ledgerExport))
	mux.HandleFunc("POST /api/v1/stats/ledgers/{kind}/import", a.authed(a.ledgerImport))
	mux.HandleFunc("GET /api/v1/stats/config", a.authed(a.statsConfig))
	mux.HandleFunc("PUT /api/v1/stats/config", a.authed(a.putStatsConfig))
	mux.HandleFunc("POST /api/v1/events", a.postEvents)
	mux.HandleFunc("GET /api/v1/events/review", a.authed(a.reviewQueue))
	mux.HandleFunc("POST /api/v1/events/review/{id}/confirm", a.authed(a.confirmEvent))
	mux.HandleFunc("POST /api/v1/events/review/{id}/dismiss", a.authed(a.dismissEvent))
	mux.HandleFunc("GET /api/v1/cases/{id}/machine-events", a.authed(a.caseMachineEvents))
	mux.HandleFunc("/api/", a.notFound)
}

// Middleware wraps the whole server: panics become a logged 500 with the
// standard error body, and every request is logged.
func (a *API) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: 200}
		ctx, rec := audit.WithRecorder(r.Context())
		r = r.WithContext(ctx)
		if a.observe != nil {
			// Registered first, so it runs last: after the audit entry and
			// for requests the rate limit refused as well.
			defer func() {
				route := r.Pattern
				if route == "" && sw.status == http.StatusTooManyRequests {
					route = "rate-limited" // refused before routing
				}
				a.observe(route, sw.status, time.Since(start))
			}()
		}
		if !a.rateLimit(sw, r) {
			return
		}
		write := r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
		if write {
			// The router names the route after this point; the entry asks
			// for it when a write claims it.
			host, _, _ := net.SplitHostPort(r.RemoteAddr)
			a.svc.ArmAudit(rec, func() string {
				if r.Pattern != "" {
					return r.Pattern
				}
				return r.Method + " " + r.URL.Path
			}, r.URL.Path, host)
		}
		defer func() {
			if p := recover(); p != nil {
				a.log.Error("panic", "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				a.writeError(sw, r, http.StatusInternalServerError, "error.internal", nil)
			}
			a.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "ms", time.Since(start).Milliseconds())
			// Every write, accepted or refused, goes on the audit chain:
			// here unless a committed write carries its entry already.
			if write && !rec.Skip && !rec.Claimed() {
				action := r.Pattern
				if action == "" {
					action = r.Method + " " + r.URL.Path
				}
				host, _, _ := net.SplitHostPort(r.RemoteAddr)
				a.svc.Audit(ctx, audit.Entry{UserID: rec.UserID, Username: rec.Username, Role: rec.Role, Action: action,
					Target: r.URL.Path, Result: strconv.Itoa(sw.status), IP: host, Detail: rec.Detail})
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

type ctxKey int

const userKey ctxKey = 0

// authed requires a valid bearer token.
func (a *API) authed(h http.HandlerFunc) http.HandlerFunc { return a.withUser(h, true) }

// optionalAuth accepts a citizen without a token, but a token that is
// present must be valid.
func (a *API) optionalAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if bearer(r) == "" {
			h(w, r)
			return
		}
		a.withUser(h, false)(w, r)
	}
}

// withUser authenticates the bearer token. For staff routes a citizen
// account may only see who it is and log out, and /admin/ routes are for
// administrators alone.
func (a *API) withUser(h http.HandlerFunc, staffOnly bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := a.svc.Authenticate(r.Context(), bearer(r))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		rec := audit.FromContext(r.Context())
		rec.UserID, rec.Username, rec.Role = u.ID, u.Username, string(u.Role)
		switch {
		case staffOnly && u.Role == model.RoleCitizen && r.Pattern != "GET /api/v1/me" && r.Pattern != "POST /api/v1/logout":
			a.fail(w, r, service.ErrForbidden)
			return
		case strings.HasPrefix(r.URL.Path, "/api/v1/admin/") && u.Role != model.RoleAdmin:
			a.fail(w, r, service.ErrForbidden)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), userKey, u)))
	}
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// user returns the authenticated user, or the zero user (a citizen).
func user(r *http.Request) model.User {
	u, _ := r.Context().Value(userKey).(model.User)
	return u
}

func (a *API) healthz(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.Ping(r.Context()); err != nil {
		a.log.Error("health check failed", "err", err)
		reason := service.ReasonDatabase
		var ue *service.UnhealthyError
		if errors.As(err, &ue) {
			reason = ue.Reason
		}
		if reason == service.ReasonDiskFull {
			w.Header().Set("Retry-After", strconv.Itoa(storageFullRetry))
		}
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": reason})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *API) notFound(w http.ResponseWriter, r *http.Request) {
	a.writeError(w, r, http.StatusNotFound, "error.not_found", nil)
}
