package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/yiwang-gov/yiwang/internal/i18n"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// errorBody is the one error shape of the API:
// {"error":{"code","message","fields":{"lat":"…"}}}.
type errorBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func lang(r *http.Request) string { return i18n.Negotiate(r.Header.Get("Accept-Language")) }

// writeError writes an error with its message in the request's language.
// key is a catalogue key such as "error.not_found"; the code is the part
// after the dot.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, status int, key string, fields map[string]service.FieldError) {
	var b errorBody
	l := lang(r)
	b.Error.Code = key[len("error."):]
	b.Error.Message = a.i18n.T(l, key)
	if len(fields) > 0 {
		b.Error.Fields = map[string]string{}
		for f, fe := range fields {
			b.Error.Fields[f] = a.i18n.T(l, fe.Key, fe.Args...)
		}
	}
	writeJSON(w, status, b)
}

// storageFullRetry is the Retry-After (seconds) of a write refused for
// lack of space: time for an operator or a log rotation to free some.
const storageFullRetry = 30

// fail maps a service error to its status.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ve *service.ValidationError
	var te *service.ThrottledError
	switch {
	case errors.As(err, &te):
		// The same answer whether or not the account exists.
		secs := te.RetryAfter()
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		var b errorBody
		b.Error.Code = "too_many_attempts"
		b.Error.Message = a.i18n.T(lang(r), "error.too_many_attempts", secs)
		writeJSON(w, http.StatusTooManyRequests, b)
	case errors.As(err, &ve):
		a.writeError(w, r, http.StatusUnprocessableEntity, "error.validation", ve.Fields)
	case errors.Is(err, service.ErrUnauthorized):
		a.writeError(w, r, http.StatusUnauthorized, "error.unauthorized", nil)
	case errors.Is(err, service.ErrTOTPRequired):
		a.writeError(w, r, http.StatusUnauthorized, "error.totp_required", nil)
	case errors.Is(err, service.ErrTOTPEnrollment):
		a.writeError(w, r, http.StatusForbidden, "error.totp_enrollment_required", nil)
	case errors.Is(err, service.ErrLoginFailed):
		a.writeError(w, r, http.StatusUnauthorized, "error.login_failed", nil)
	case errors.Is(err, service.ErrForbidden):
		a.writeError(w, r, http.StatusForbidden, "error.forbidden", nil)
	case errors.Is(err, service.ErrNotFound):
		a.writeError(w, r, http.StatusNotFound, "error.not_found", nil)
	case errors.Is(err, service.ErrConflict):
		a.writeError(w, r, http.StatusConflict, "error.conflict", nil)
	case errors.Is(err, service.ErrEventIDConflict):
		a.writeError(w, r, http.StatusConflict, "error.event_id_conflict", map[string]service.FieldError{"event_id": {Key: "field.event_id_reused"}})
	case errors.Is(err, service.ErrInvalidState):
		a.writeError(w, r, http.StatusUnprocessableEntity, "error.invalid_action", nil)
	case errors.Is(err, service.ErrUnknownAction):
		a.writeError(w, r, http.StatusNotFound, "error.unknown_action", nil)
	case errors.Is(err, service.ErrBusy):
		// Nothing was stored; the same request may come again shortly.
		a.log.Warn("request refused: busy", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(service.BusyRetryAfter))
		a.writeError(w, r, http.StatusServiceUnavailable, "error.busy", nil)
	case a.svc.StorageFull(err):
		// Nothing was written and the request may be sent again as it is
		// once space is freed: a 503 a client retries, not a 500.
		a.log.Error("write refused: storage full", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(storageFullRetry))
		a.writeError(w, r, http.StatusServiceUnavailable, "error.storage_full", nil)
	default:
		a.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		a.writeError(w, r, http.StatusInternalServerError, "error.internal", nil)
	}
}

// decode reads a JSON body of at most MaxBody bytes into v, refusing
// unknown fields and trailing data. It writes the error response itself and
// reports false on failure.
func (a *API) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		return true
	}
	var mbe *http.MaxBytesError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		a.writeError(w, r, http.StatusRequestEntityTooLarge, "error.body_too_large", nil)
	case errors.As(err, &te) && te.Field != "":
		a.writeError(w, r, http.StatusBadRequest, "error.invalid_json", map[string]service.FieldError{te.Field: {Key: "field.wrong_type"}})
	default:
		if f, ok := unknownField(err); ok {
			a.writeError(w, r, http.StatusBadRequest, "error.invalid_json", map[string]service.FieldError{f: {Key: "field.unknown_field"}})
			return false
		}
		a.writeError(w, r, http.StatusBadRequest, "error.invalid_json", nil)
	}
	return false
}

// unknownField extracts the name from encoding/json's "unknown field" error.
func unknownField(err error) (string, bool) {
	const p = `json: unknown field "`
	s := err.Error()
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p) : len(s)-1], true
	}
	return "", false
}

func asMaxBytes(err error, target **http.MaxBytesError) bool { return errors.As(err, target) }
