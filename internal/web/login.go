package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/service"
)

type loginForm struct {
	Username string
	Next     string
	Demo     bool
}

// loginForm shows the staff login form.
func (w *Web) loginForm(rw http.ResponseWriter, r *http.Request, q *req) {
	next := r.URL.Query().Get("next")
	if q.user.ID != 0 && followNext(next) {
		w.redirect(rw, r, next)
		return
	}
	p := w.newPage(q, "web.login.title", "login")
	if r.URL.Query().Get("done") == "logout" {
		p.Flash = w.i18n.T(q.lang, "web.login.logged_out")
	}
	p.Data = loginForm{Next: next, Demo: w.demo}
	w.render(rw, r, http.StatusOK, "login", p)
}

// loginSubmit checks username and password, keeps the service's token in
// the session cookie and lands on the user's inbox (or where they were
// going).
func (w *Web) loginSubmit(rw http.ResponseWriter, r *http.Request, q *req) {
	username := strings.TrimSpace(r.PostFormValue("username"))
	next := r.PostFormValue("next")
	token, u, err := w.svc.LoginOTP(r.Context(), service.ClientAddr(r.RemoteAddr), username, r.PostFormValue("password"), r.PostFormValue("otp"))
	rec := audit.FromContext(r.Context())
	rec.Username, rec.Detail = username, "login"
	if err == nil {
		rec.UserID, rec.Role = u.ID, string(u.Role)
	}
	if err != nil {
		key := map[error]string{service.ErrLoginFailed: "error.login_failed", service.ErrTOTPRequired: "error.totp_required", service.ErrTOTPEnrollment: "error.totp_enrollment_required"}
		var msg string
		status := http.StatusUnauthorized
		var te *service.ThrottledError
		for e, k := range key {
			if errors.Is(err, e) {
				msg = w.i18n.T(q.lang, k)
			}
		}
		if errors.As(err, &te) {
			// The same answer whether or not the account exists.
			status = http.StatusTooManyRequests
			rw.Header().Set("Retry-After", strconv.Itoa(te.RetryAfter()))
			msg = w.i18n.T(q.lang, "error.too_many_attempts", te.RetryAfter())
		}
		if msg == "" {
			w.fail(rw, r, q, err)
			return
		}
		p := w.newPage(q, "web.login.title", "login")
		p.Error = msg
		p.Data = loginForm{Username: username, Next: next, Demo: w.demo}
		w.render(rw, r, status, "login", p)
		return
	}
	if q.token != "" {
		w.svc.Logout(r.Context(), q.token)
	}
	http.SetCookie(rw, w.cookie(r, sessionCookie, token, 0))
	if !followNext(next) {
		next = landing(u.Role)
	}
	w.redirect(rw, r, next)
}

// followNext reports whether login goes on to next: a path on this site
// (localPath) other than the login form itself, which would only loop.
func followNext(next string) bool {
	return localPath(next) && !strings.HasPrefix(next, "/login")
}
