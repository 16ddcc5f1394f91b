package httpapi

import (
	"net"
	"net/http"
	"strconv"
	"strings"
)

// publicLimit is the per-address limit of anonymous writes (citizens'
// reports, uploads, logins): generous, since mobile carriers put many
// citizens behind one address. The service counts it (in memory on one
// node, in the shared database across nodes).
type publicLimit struct{ perMin, burst int }

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
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	// Each kind of anonymous write has its own bucket: reporting a problem
	// must not use up the logins of staff behind the same address.
	ok, wait := a.svc.AllowRate(r.Context(), "ip "+ip+" "+r.URL.Path, a.limit.perMin, a.limit.burst)
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		a.writeError(w, r, http.StatusTooManyRequests, "error.rate_limited", nil)
	}
	return ok
}
