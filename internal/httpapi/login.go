package httpapi

import (
	"net/http"

	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/service"
)

func (a *API) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
		OTP      string `json:"otp"` // TOTP code: required for admin and discipline roles
	}
	if !a.decode(w, r, &in) {
		return
	}
	token, u, err := a.svc.LoginOTP(r.Context(), service.ClientAddr(r.RemoteAddr), in.Username, in.Password, in.OTP)
	rec := audit.FromContext(r.Context())
	rec.Username, rec.Detail = in.Username, "login"
	if err == nil {
		rec.UserID, rec.Role = u.ID, string(u.Role)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"token": token, "user": userView(u)})
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.Logout(r.Context(), bearer(r)); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) me(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, userView(user(r)))
}
