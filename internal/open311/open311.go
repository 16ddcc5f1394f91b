package open311

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/i18n"
	"github.com/yiwang-gov/yiwang/internal/service"
	"github.com/yiwang-gov/yiwang/internal/store"
)

// Defaults of the API.
const (
	// DefaultRate is the requests a minute a key may make unless the key
	// says otherwise.
	DefaultRate = 120
	// MaxResults caps one page of requests or updates (the spec's 1000).
	MaxResults = 1000
	// DefaultWindow is the span GET requests covers without dates, and the
	// longest span start_date..end_date may have (the spec's 90 days).
	DefaultWindow = 90 * 24 * time.Hour
	// Changeset is when this API's behaviour last changed (discovery).
	Changeset = "2026-11-29T00:00:00+08:00"
	// Specification is the spec served.
	Specification = "http://wiki.open311.org/GeoReport_v2"
)

// Deps is what the handlers need.
type Deps struct {
	Service *service.Service
	I18n    *i18n.Catalog
	Log     *slog.Logger
	// Rate is the default requests per minute per key (0: DefaultRate).
	Rate int
	Now  func() time.Time
}

// Handler serves /open311/v2/.
type Handler struct {
	svc  *service.Service
	i18n *i18n.Catalog
	log  *slog.Logger
	rate int
	now  func() time.Time
}

// New returns the handler set.
func New(d Deps) *Handler {
	h := &Handler{svc: d.Service, i18n: d.I18n, log: d.Log, rate: d.Rate, now: d.Now}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.rate == 0 {
		h.rate = DefaultRate
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// Register adds the Open311 routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /open311/v2/{file}", h.getRoot)
	mux.HandleFunc("POST /open311/v2/{file}", h.postRoot)
	mux.HandleFunc("GET /open311/v2/services/{file}", h.serviceDefinition)
	mux.HandleFunc("GET /open311/v2/requests/{file}", h.getRequest)
	mux.HandleFunc("GET /open311/v2/tokens/{file}", h.getToken)
	mux.HandleFunc("GET /open311/v2/media/{case}/{n}", h.getMedia)
	mux.HandleFunc("/open311/", h.fallback)
}

// split cuts "services.xml" into "services" and "xml"; ok is false when
// the format is neither xml nor json.
func split(file string) (name, format string, ok bool) {
	i := strings.LastIndexByte(file, '.')
	if i <= 0 {
		return file, "xml", false
	}
	name, format = file[:i], strings.ToLower(file[i+1:])
	return name, format, format == "xml" || format == "json"
}

func (h *Handler) getRoot(w http.ResponseWriter, r *http.Request) {
	name, format, ok := split(r.PathValue("file"))
	if !ok {
		h.notFound(w, r, format)
		return
	}
	switch name {
	case "discovery":
		h.discovery(w, r, format)
	case "services":
		h.services(w, r, format)
	case "requests":
		h.listRequests(w, r, format)
	case "servicerequestupdates":
		h.listUpdates(w, r, format)
	case "tokens":
		h.errorf(w, r, format, http.StatusBadRequest, "open311.token_required")
	default:
		h.notFound(w, r, format)
	}
}

func (h *Handler) postRoot(w http.ResponseWriter, r *http.Request) {
	name, format, ok := split(r.PathValue("file"))
	if !ok {
		h.notFound(w, r, format)
		return
	}
	switch name {
	case "requests":
		h.postRequest(w, r, format)
	case "servicerequestupdates":
		h.postUpdate(w, r, format)
	case "discovery", "services":
		w.Header().Set("Allow", "GET, HEAD")
		h.errorf(w, r, format, http.StatusMethodNotAllowed, "open311.method_not_allowed")
	default:
		h.notFound(w, r, format)
	}
}

// fallback answers every other path and method under /open311/ in the
// Open311 error format: 405 for a known resource asked with another
// method, 404 for the rest.
func (h *Handler) fallback(w http.ResponseWriter, r *http.Request) {
	_, format, _ := split(path.Base(r.URL.Path))
	if format != "json" {
		format = "xml"
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/open311/v2/")
	parts := strings.Split(rest, "/")
	known := ok && rest != "" && (len(parts) == 1 ||
		len(parts) == 2 && (parts[0] == "services" || parts[0] == "requests" || parts[0] == "tokens") && parts[1] != "" ||
		len(parts) == 3 && parts[0] == "media")
	if known {
		w.Header().Set("Allow", "GET, HEAD")
		if len(parts) == 1 {
			w.Header().Set("Allow", "GET, HEAD, POST")
		}
		h.errorf(w, r, format, http.StatusMethodNotAllowed, "open311.method_not_allowed")
		return
	}
	h.notFound(w, r, format)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request, format string) {
	if format != "json" {
		format = "xml"
	}
	h.errorf(w, r, format, http.StatusNotFound, "open311.not_found")
}

func lang(r *http.Request) string { return i18n.Negotiate(r.Header.Get("Accept-Language")) }

// errorf answers with one error whose description is the catalogue
// message key (with args).
func (h *Handler) errorf(w http.ResponseWriter, r *http.Request, format string, status int, key string, args ...any) {
	h.writeErrors(w, format, status, []errorDoc{{Code: status, Description: h.i18n.T(lang(r), key, args...)}})
}

func (h *Handler) writeErrors(w http.ResponseWriter, format string, status int, errs []errorDoc) {
	write(w, format, status, errorsXML{Errors: errs}, errs)
}

// paramNames maps the service's field names to Open311 parameter names.
var paramNames = map[string]string{
	"lat": "lat", "lng": "long", "category": "service_code", "reporter.phone": "phone", "reporter.name": "first_name",
	"address": "address_string", "file": "media",
}

// fail answers a service error: validation problems one error per field,
// 404 for what does not exist, 403 for keys, 500 for the rest.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, format string, err error) {
	var ve *service.ValidationError
	switch {
	case errors.As(err, &ve):
		l := lang(r)
		fields := make([]string, 0, len(ve.Fields))
		for f := range ve.Fields {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		errs := make([]errorDoc, 0, len(fields))
		for _, f := range fields {
			fe := ve.Fields[f]
			name := f
			if p, ok := paramNames[f]; ok {
				name = p
			}
			errs = append(errs, errorDoc{Code: http.StatusBadRequest, Description: name + ": " + h.i18n.T(l, fe.Key, fe.Args...)})
		}
		h.writeErrors(w, format, http.StatusBadRequest, errs)
	case errors.Is(err, service.ErrNotFound):
		h.errorf(w, r, format, http.StatusNotFound, "open311.not_found")
	case errors.Is(err, service.ErrKeyRevoked):
		h.errorf(w, r, format, http.StatusForbidden, "open311.api_key_revoked")
	case errors.Is(err, service.ErrUnauthorized), errors.Is(err, service.ErrForbidden):
		h.errorf(w, r, format, http.StatusForbidden, "open311.api_key_invalid")
	case errors.Is(err, service.ErrBusy):
		// A media file met no free decode slot: not the request's fault.
		w.Header().Set("Retry-After", strconv.Itoa(service.BusyRetryAfter))
		h.errorf(w, r, format, http.StatusServiceUnavailable, "error.busy")
	case errors.Is(err, context.Canceled):
		return
	default:
		h.log.Error("open311 request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		h.errorf(w, r, format, http.StatusInternalServerError, "error.internal")
	}
}

// jurisdiction checks jurisdiction_id: "" (none given) or a known one. It
// returns the street the jurisdiction narrows to (0: the whole district)
// and answers 404 itself when the id is unknown.
func (h *Handler) jurisdiction(w http.ResponseWriter, r *http.Request, format, id string) (string, int64, bool) {
	if id == "" {
		return "", 0, true
	}
	street, ok := h.svc.Jurisdictions()[id]
	if !ok {
		h.errorf(w, r, format, http.StatusNotFound, "open311.unknown_jurisdiction", id)
		return "", 0, false
	}
	return id, street, true
}

// apiKey checks a presented key and its rate. required says a missing key
// is refused (POST); an optional key that is present must still be good.
// It answers the error itself and reports false.
func (h *Handler) apiKey(w http.ResponseWriter, r *http.Request, format, key string, required bool) (store.APIKey, bool) {
	if key == "" {
		if required {
			h.errorf(w, r, format, http.StatusForbidden, "open311.api_key_required")
			return store.APIKey{}, false
		}
		return store.APIKey{}, true
	}
	k, err := h.svc.CheckAPIKey(r.Context(), key)
	if err != nil {
		h.fail(w, r, format, err)
		return k, false
	}
	rate := k.RatePerMinute
	if rate == 0 {
		rate = h.rate
	}
	if ok, wait := h.svc.AllowRate(r.Context(), "key "+strconv.FormatInt(k.ID, 10), rate, rate); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		h.errorf(w, r, format, http.StatusTooManyRequests, "open311.rate_limited")
		return k, false
	}
	return k, true
}

// baseURL is the scheme and host the client reached us at.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
