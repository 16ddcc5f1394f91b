package web

import (
	"net/http"
	"strings"
)

// leafletJS is the vendored map library's path inside static; its absence
// means `make assets` was not run before the build.
const leafletJS = "vendor/leaflet/leaflet.js"

// echartsJS is the vendored chart library: without it the dashboard shows
// its tables only.
const echartsJS = "vendor/echarts/echarts.min.js"

// staticHandler serves the embedded CSS, JS, images and vendored libraries.
// The files change only with the binary, so browsers may keep them for a
// day and revalidate.
func (w *Web) staticHandler() http.Handler {
	fsrv := http.StripPrefix("/static/", http.FileServerFS(w.static))
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			w.notFound(rw, r, &req{lang: "zh-CN"})
			return
		}
		h := rw.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "public, max-age=86400")
		fsrv.ServeHTTP(rw, r)
	})
}
