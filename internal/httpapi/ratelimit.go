package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/yiwang-gov/yiwang/internal/service"
)

// publicLimit is the per-address limit of anonymous writes (citizens'
// reports, uploads, logins): generous, since mobile carriers put many
// citizens behind one address. The service counts it (in memory on one
// node, in the shared database across nodes).
type publicLimit struct{ perMin, burst int }

// loginRateFactor: logins have this many times the anonymous limit.
const loginRateFactor = 5

// limitedPublic reports whether a request is an anonymous write that the
// per-address limit applies to.
func limitedPublic(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Authorization") != "" {
		return false
	}
	p := r.URL.Path
	return p == "/api/v1/cases" || p == "/api/v1/attachments" || p == "/api/v1/login" || p == "/login" || p == "/report" ||
		strings.HasPrefix(p, "/track") || strings.HasPrefix(p, "/api/v1/track")
}

// rateLimit answers 429 with Retry-After when an address sends anonymous
// writes faster than allowed.
func (a *API) rateLimit(w http.ResponseWriter, r *http.Request) bool {
	if a.limit.perMin <= 0 || !limitedPublic(r) {
		return true
	}
	ip := service.ClientAddr(r.RemoteAddr)
	// Each kind of anonymous write has its own bucket: reporting a problem
	// must not use up the logins of staff behind the same address.
	perMin, burst := a.limit.perMin, a.limit.burst
	if p := r.URL.Path; p == "/api/v1/login" || p == "/login" {
		// Logins may come five times as fast: a hundred staff of one
		// office logging in within a minute all get in. The password
		// check is guarded on its own: failures slow down per name and
		// address (service.LoginOTP) and only a few argon2id checks run
		// at once.
		perMin, burst = perMin*loginRateFactor, burst*loginRateFactor
	}
	ok, wait := a.svc.AllowRate(r.Context(), "ip "+ip+" "+r.URL.Path, perMin, burst)
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		a.writeError(w, r, http.StatusTooManyRequests, "error.rate_limited", nil)
	}
	return ok
}
