package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/i18n"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// Cookie names.
const (
	sessionCookie = "yw_session" // the service's bearer token
	csrfCookie    = "yw_csrf"    // double-submit CSRF token
	langCookie    = "yw_lang"
)

// Body limits: a form with photos, and any other form.
const (
	maxUploadBody = service.MaxReportPhotos*service.MaxAttachment + 1<<20
	maxFormBody   = 64 << 10
	maxMemory     = 8 << 20 // multipart parts above this go to temporary files
)

// req is what a handler knows about its request beyond http.Request.
type req struct {
	lang    string
	langURL string
	user    model.User // zero for a citizen
	token   string
	csrf    string
}

type handler func(rw http.ResponseWriter, r *http.Request, q *req)

// newCrossOrigin refuses state-changing requests that a browser marks as
// coming from another site (Sec-Fetch-Site, Origin): a second line behind
// the CSRF token. The refusal is a page like any other.
func (w *Web) newCrossOrigin() *http.CrossOriginProtection {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		q := &req{lang: w.language(rw, r)}
		q.langURL = switchURL(r.URL, q.lang)
		w.messagePage(rw, r, q, http.StatusForbidden, "web.error.bad_form_title", "web.error.csrf")
	}))
	return cop
}

// public wraps a handler open to everyone. A logged-in user is still
// recognised (for the header), and every POST must carry the CSRF token.
func (w *Web) public(h handler) http.HandlerFunc {
	return w.wrap(h, func(rw http.ResponseWriter, r *http.Request, q *req) bool { return true })
}

// staff wraps a workbench handler: a valid session of a staff role.
func (w *Web) staff(h handler) http.HandlerFunc {
	return w.wrap(h, func(rw http.ResponseWriter, r *http.Request, q *req) bool {
		if q.user.ID == 0 {
			w.toLogin(rw, r)
			return false
		}
		if q.user.Role == model.RoleCitizen {
			w.messagePage(rw, r, q, http.StatusForbidden, "web.error.forbidden_title", "web.error.staff_only")
			return false
		}
		return true
	})
}

// admin wraps an administrator's page.
func (w *Web) admin(h handler) http.HandlerFunc {
	return w.wrap(h, func(rw http.ResponseWriter, r *http.Request, q *req) bool {
		if q.user.ID == 0 {
			w.toLogin(rw, r)
			return false
		}
		if q.user.Role != model.RoleAdmin {
			w.messagePage(rw, r, q, http.StatusForbidden, "web.error.forbidden_title", "web.error.admin_only")
			return false
		}
		return true
	})
}

func (w *Web) wrap(h handler, allow func(http.ResponseWriter, *http.Request, *req) bool) http.HandlerFunc {
	inner := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		q := &req{}
		q.lang = w.language(rw, r)
		q.langURL = switchURL(r.URL, q.lang)
		q.csrf = w.csrfToken(rw, r)
		w.authenticate(rw, r, q)
		if r.Method == http.MethodPost && !w.checkPost(rw, r, q) {
			return
		}
		if !allow(rw, r, q) {
			return
		}
		h(rw, r, q)
	})
	return w.crossOrigin.Handler(inner).ServeHTTP
}

// authenticate puts the session's user into q; an expired session's
// cookie is cleared.
func (w *Web) authenticate(rw http.ResponseWriter, r *http.Request, q *req) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return
	}
	u, err := w.svc.Authenticate(r.Context(), c.Value)
	if err == nil {
		q.user, q.token = u, c.Value
		// The audit entry the middleware writes for a form POST
		// names who sent it, as the API's entries do.
		rec := audit.FromContext(r.Context())
		rec.UserID, rec.Username, rec.Role = u.ID, u.Username, string(u.Role)
	} else if errors.Is(err, service.ErrUnauthorized) {
		w.clearCookie(rw, r, sessionCookie)
	}
}

// checkPost parses the form (multipart or not, within its size limit)
// and compares its csrf field with the cookie.
func (w *Web) checkPost(rw http.ResponseWriter, r *http.Request, q *req) bool {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		r.Body = http.MaxBytesReader(rw, r.Body, maxUploadBody)
		if err := r.ParseMultipartForm(maxMemory); err != nil {
			w.messagePage(rw, r, q, http.StatusRequestEntityTooLarge, "web.error.bad_form_title", "web.error.upload_too_large")
			return false
		}
	} else {
		r.Body = http.MaxBytesReader(rw, r.Body, maxFormBody)
		if err := r.ParseForm(); err != nil {
			w.messagePage(rw, r, q, http.StatusBadRequest, "web.error.bad_form_title", "error.bad_request")
			return false
		}
	}
	got := r.PostFormValue("csrf")
	c, err := r.Cookie(csrfCookie)
	if err != nil || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.Value)) != 1 {
		w.messagePage(rw, r, q, http.StatusForbidden, "web.error.bad_form_title", "web.error.csrf")
		return false
	}
	return true
}

// csrfToken returns the request's CSRF token, setting the cookie when the
// browser has none yet.
func (w *Web) csrfToken(rw http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 32)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(rw, w.cookie(r, csrfCookie, tok, 0))
	return tok
}

// cookie builds a cookie: HttpOnly, SameSite=Lax, Secure over TLS (or when
// configured). maxAge 0 makes a browser-session cookie.
func (w *Web) cookie(r *http.Request, name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: w.secure || r.TLS != nil}
}

func (w *Web) clearCookie(rw http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(rw, w.cookie(r, name, "", -1))
}

// language picks the page language: ?lang= (remembered in a cookie), then
// the cookie, then the browser's Accept-Language; zh-CN by default.
func (w *Web) language(rw http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == i18n.Default {
		http.SetCookie(rw, w.cookie(r, langCookie, l, 365*24*3600))
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "en" || c.Value == i18n.Default) {
		return c.Value
	}
	return i18n.Negotiate(r.Header.Get("Accept-Language"))
}

// switchURL is the current page in the other language. POSTed pages
// switch on their GET address.
func switchURL(u *url.URL, lang string) string {
	other := "en"
	if lang == "en" {
		other = i18n.Default
	}
	q := u.Query()
	q.Set("lang", other)
	q.Del("done")
	return u.Path + "?" + q.Encode()
}

// toLogin sends an anonymous visitor of a staff page to the login form,
// coming back afterwards.
func (w *Web) toLogin(rw http.ResponseWriter, r *http.Request) {
	next := r.URL.Path
	if r.Method == http.MethodGet && r.URL.RawQuery != "" {
		next += "?" + r.URL.RawQuery
	}
	w.redirect(rw, r, "/login?next="+url.QueryEscape(next))
}

// redirect sends the browser on with a 303; its small HTML body carries
// the same headers as every page.
func (w *Web) redirect(rw http.ResponseWriter, r *http.Request, to string) {
	w.securityHeaders(rw.Header())
	http.Redirect(rw, r, to, http.StatusSeeOther)
}
