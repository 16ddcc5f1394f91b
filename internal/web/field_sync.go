package web

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// csrfHeader carries the CSRF token of the field app's sends: they are
// fetches, not forms, so the token travels beside the body rather than in
// it. It is compared with the cookie exactly as a form's csrf field is.
const csrfHeader = "X-CSRF-Token"

// fieldAPI wraps the field app's JSON endpoints: the session of a grid
// worker, and for a POST the CSRF header and the cross-origin check of
// every form. Errors are JSON in the one error shape, since a script, not
// a person, reads them first.
func (w *Web) fieldAPI(h handler) http.HandlerFunc {
	inner := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		q := &req{lang: w.language(rw, r)}
		q.csrf = w.csrfToken(rw, r)
		w.authenticate(rw, r, q)
		if q.user.ID == 0 {
			w.fieldError(rw, q, http.StatusUnauthorized, "error.unauthorized", nil)
			return
		}
		if q.user.Role != model.RoleGridWorker {
			w.fieldError(rw, q, http.StatusForbidden, "error.forbidden", nil)
			return
		}
		if r.Method == http.MethodPost {
			c, err := r.Cookie(csrfCookie)
			got := r.Header.Get(csrfHeader)
			if err != nil || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.Value)) != 1 {
				w.fieldError(rw, q, http.StatusForbidden, "web.error.csrf", nil)
				return
			}
			var perr error
			switch ct := r.Header.Get("Content-Type"); {
			case strings.HasPrefix(ct, "multipart/form-data"):
				r.Body = http.MaxBytesReader(rw, r.Body, maxUploadBody)
				perr = r.ParseMultipartForm(maxMemory)
			case strings.HasPrefix(ct, "application/json"):
				r.Body = http.MaxBytesReader(rw, r.Body, maxFormBody)
				perr = jsonForm(r)
			default:
				r.Body = http.MaxBytesReader(rw, r.Body, maxFormBody)
				perr = r.ParseForm()
			}
			if perr != nil {
				var mbe *http.MaxBytesError
				if errors.As(perr, &mbe) {
					w.fieldError(rw, q, http.StatusRequestEntityTooLarge, "error.body_too_large", nil)
				} else {
					w.fieldError(rw, q, http.StatusBadRequest, "error.bad_request", nil)
				}
				return
			}
		}
		h(rw, r, q)
	})
	return w.crossOrigin.Handler(inner).ServeHTTP
}

// jsonForm reads a flat JSON object (an item without photos) into the
// request's form, so that one handler reads JSON and multipart alike:
// strings as they are, numbers as written.
func jsonForm(r *http.Request) error {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return err
	}
	vals := url.Values{}
	for k, raw := range m {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			vals.Set(k, s)
			continue
		}
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return errors.New("field " + k + ": not a string or a number")
		}
		vals.Set(k, n.String())
	}
	r.Form, r.PostForm = vals, vals
	return nil
}

// fieldErrorBody is the one error shape, with the case a conflict is about.
type fieldErrorBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
	Case *fieldCaseRef `json:"case,omitempty"`
}

// fieldCaseRef names a case in an answer: its page and where it stands.
type fieldCaseRef struct {
	ID          int64  `json:"id"`
	URL         string `json:"url"`
	Status      string `json:"status,omitempty"`
	StatusLabel string `json:"status_label,omitempty"`
	Version     int    `json:"version,omitempty"`
}

func fieldJSON(rw http.ResponseWriter, status int, v any) {
	h := rw.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	rw.WriteHeader(status)
	enc := json.NewEncoder(rw)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// fieldError writes an error; key is a catalogue key, the code is its last
// part ("error.conflict" → "conflict").
func (w *Web) fieldError(rw http.ResponseWriter, q *req, status int, key string, fields map[string]string) {
	var b fieldErrorBody
	b.Error.Code = key[strings.LastIndexByte(key, '.')+1:]
	b.Error.Message = w.i18n.T(q.lang, key)
	b.Error.Fields = fields
	fieldJSON(rw, status, b)
}

// fieldFail maps a service error to its answer.
func (w *Web) fieldFail(rw http.ResponseWriter, r *http.Request, q *req, err error) {
	switch {
	case errors.Is(err, service.ErrNotFound):
		w.fieldError(rw, q, http.StatusNotFound, "error.not_found", nil)
	case errors.Is(err, service.ErrForbidden):
		w.fieldError(rw, q, http.StatusForbidden, "error.forbidden", nil)
	case errors.Is(err, service.ErrUnauthorized):
		w.fieldError(rw, q, http.StatusUnauthorized, "error.unauthorized", nil)
	case errors.Is(err, service.ErrBusy):
		// The outbox keeps the item and sends it again.
		rw.Header().Set("Retry-After", strconv.Itoa(service.BusyRetryAfter))
		w.fieldError(rw, q, http.StatusServiceUnavailable, "error.busy", nil)
	default:
		if fe := w.fieldErrors(q.lang, err); fe != nil {
			if m, ok := fe["file"]; ok {
				fe["photos"] = m
				delete(fe, "file")
			}
			w.fieldError(rw, q, http.StatusUnprocessableEntity, "error.validation", fe)
			return
		}
		w.log.Error("field request failed", "path", r.URL.Path, "err", err)
		w.fieldError(rw, q, http.StatusInternalServerError, "error.internal", nil)
	}
}

// idempotencyKey is the client's key for one outbox item: required, since
// an item without one could be filed twice.
func idempotencyKey(r *http.Request) string {
	k := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if k == "" || len(k) > service.MaxClientKey {
		return ""
	}
	return k
}

// observedAt reads the capture time the app kept (RFC 3339); empty is
// none, anything else unreadable is a field error.
func (w *Web) observedAt(q *req, r *http.Request, errs map[string]string) time.Time {
	s := strings.TrimSpace(r.PostFormValue("observed_at"))
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		errs["observed_at"] = w.i18n.T(q.lang, "field.wrong_type")
	}
	return t
}

// fieldReport files a grid worker's patrol report from the outbox: the
// form's description, category, lat, lng, observed_at (the capture time)
// and photos, with the item's Idempotency-Key. The same key sent again
// answers the first case (200 with "replayed"), so the outbox may resend
// until it hears an answer and the case exists once.
func (w *Web) fieldReport(rw http.ResponseWriter, r *http.Request, q *req) {
	key := idempotencyKey(r)
	if key == "" {
		w.fieldError(rw, q, http.StatusBadRequest, "error.validation", map[string]string{"idempotency_key": w.i18n.T(q.lang, "field.idempotency_key")})
		return
	}
	errs := map[string]string{}
	in := service.CreateCase{Type: fieldCaseType, Description: r.PostFormValue("description"), Coord: "wgs84",
		Address: r.PostFormValue("address"), Channel: model.ChannelPatrol, IdempotencyKey: "field:" + key}
	if cat := strings.TrimSpace(r.PostFormValue("category")); cat != "" {
		if in.CategoryID, _ = strconv.ParseInt(cat, 10, 64); in.CategoryID <= 0 {
			errs["category"] = w.i18n.T(q.lang, "field.unknown_category")
		}
	}
	w.parsePoint(q.lang, strings.TrimSpace(r.PostFormValue("lat")), strings.TrimSpace(r.PostFormValue("lng")), &in, errs)
	in.ObservedAt = w.observedAt(q, r, errs)
	files := formFiles(r, "photos")
	if len(files) > service.MaxReportPhotos {
		errs["photos"] = w.i18n.T(q.lang, "field.too_many_files", service.MaxReportPhotos)
	}
	if len(errs) > 0 {
		w.fieldError(rw, q, http.StatusUnprocessableEntity, "error.validation", errs)
		return
	}
	photos, err := w.savePhotos(r, q.user, files)
	if err != nil {
		w.fieldFail(rw, r, q, err)
		return
	}
	c, replay, err := w.svc.CreateCase(r.Context(), q.user, in)
	if err != nil {
		w.fieldFail(rw, r, q, err)
		return
	}
	if !replay && len(photos) > 0 {
		if _, err := w.svc.AttachCreatePhotos(r.Context(), q.user, c, photos); err != nil {
			// The case exists: answer with it and log the lost photos.
			w.log.Error("field report photos not attached", "case", c.ID, "err", err)
		}
	}
	ref := fieldCaseRef{ID: c.ID, Status: string(c.Status), StatusLabel: w.stateLabel(q.lang, c, c.Status), Version: c.Version}
	if w.svc.CanSee(q.user, c) {
		ref.URL = "/work/cases/" + strconv.FormatInt(c.ID, 10)
	}
	status := http.StatusCreated
	if replay {
		status = http.StatusOK
	}
	fieldJSON(rw, status, map[string]any{"case": ref, "replayed": replay})
}

// fieldVerify takes a 核查 result from the outbox: result (pass or fail),
// note, photos, the version the worker saw, observed_at, with the item's
// Idempotency-Key. A retry of an applied result answers 200 "replayed";
// a case that someone else moved on meanwhile answers 409 with the case,
// which the outbox shows as a conflict and keeps until the worker
// dismisses it.
func (w *Web) fieldVerify(rw http.ResponseWriter, r *http.Request, q *req) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		w.fieldError(rw, q, http.StatusNotFound, "error.not_found", nil)
		return
	}
	key := idempotencyKey(r)
	if key == "" {
		w.fieldError(rw, q, http.StatusBadRequest, "error.validation", map[string]string{"idempotency_key": w.i18n.T(q.lang, "field.idempotency_key")})
		return
	}
	errs := map[string]string{}
	in := service.ActionInput{Note: r.PostFormValue("note"), Result: r.PostFormValue("result")}
	in.Version, _ = strconv.Atoi(r.PostFormValue("version"))
	in.ObservedAt = w.observedAt(q, r, errs)
	files := formFiles(r, "photos")
	if len(files) > service.MaxReportPhotos {
		errs["photos"] = w.i18n.T(q.lang, "field.too_many_files", service.MaxReportPhotos)
	}
	if len(errs) > 0 {
		w.fieldError(rw, q, http.StatusUnprocessableEntity, "error.validation", errs)
		return
	}
	// The photos of the 核查 (its evidence) are stored first, as the case
	// page's action form does; a retry stores them again unlinked.
	if in.Evidence, err = w.savePhotos(r, q.user, files); err != nil {
		w.fieldFail(rw, r, q, err)
		return
	}
	c, replay, err := w.svc.ActOnce(r.Context(), q.user, id, "verify", "field:"+key, in)
	ref := &fieldCaseRef{ID: id, URL: "/work/cases/" + strconv.FormatInt(id, 10)}
	if c.ID != 0 {
		ref.Status, ref.StatusLabel, ref.Version = string(c.Status), w.stateLabel(q.lang, c, c.Status), c.Version
	}
	if errors.Is(err, service.ErrConflict) || errors.Is(err, service.ErrInvalidState) {
		// The case moved on without this result: say so with the case,
		// never as a plain failure the app might drop.
		var b fieldErrorBody
		b.Error.Code, b.Error.Message, b.Case = "conflict", w.i18n.T(q.lang, "web.field.state_conflict"), ref
		fieldJSON(rw, http.StatusConflict, b)
		return
	}
	if err != nil {
		w.fieldFail(rw, r, q, err)
		return
	}
	fieldJSON(rw, http.StatusOK, map[string]any{"case": ref, "replayed": replay})
}
