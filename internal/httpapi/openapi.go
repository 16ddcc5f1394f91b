package httpapi

import (
	_ "embed"
	"net/http"
)

// openapiDoc is the OpenAPI 3.1 description of /api/v1, served as is. The
// test in openapi_test.go keeps it true: every route registered is in it
// and everything in it is registered.
//
//go:embed openapi.json
var openapiDoc []byte

// OpenAPI returns the embedded OpenAPI document.
func OpenAPI() []byte { return openapiDoc }

func (a *API) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(openapiDoc)
}

// routeRecorder registers handlers on a mux and remembers each pattern.
type routeRecorder struct {
	mux *http.ServeMux
	a   *API
}

func (a *API) recorder(m *http.ServeMux) routeRecorder { return routeRecorder{mux: m, a: a} }

// HandleFunc registers and records a pattern.
func (r routeRecorder) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	r.a.routes = append(r.a.routes, pattern)
	r.mux.HandleFunc(pattern, h)
}

// Handle registers and records a pattern.
func (r routeRecorder) Handle(pattern string, h http.Handler) {
	r.a.routes = append(r.a.routes, pattern)
	r.mux.Handle(pattern, h)
}

// Routes lists the patterns Register added, in order.
func (a *API) Routes() []string { return append([]string(nil), a.routes...) }
