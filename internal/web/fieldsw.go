package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// fieldSWSource is the service worker's file in static; it is served at
// fieldPath+"/sw.js" so that its scope can cover the field page.
const fieldSWSource = "js/field-sw.js"

// fieldAssets are the field app's files that change only with the binary:
// the service worker carries a hash of them, so a new binary installs a
// new worker, which drops the old caches.
var fieldAssets = []string{fieldSWSource, "js/field.js", "js/app.js", "js/map.js", "css/app.css"}

// fieldIcons holds the app's icons, drawn once on first request.
type fieldIcons struct {
	once sync.Once
	png  map[int][]byte
}

// fieldVersion is a short hash of the field app's static files.
func fieldVersion(static fs.FS) string {
	h := sha256.New()
	for _, f := range fieldAssets {
		b, _ := fs.ReadFile(static, f)
		h.Write(b)
	}
	if _, err := fs.Stat(static, leafletJS); err == nil {
		h.Write([]byte("leaflet"))
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// fieldServiceWorker serves the service worker. Browsers check it for an
// update on every navigation; no-cache makes the check reach the server,
// and Service-Worker-Allowed lets it control /work/field (the path its own
// directory, /work/field/, would not cover). The version placeholder
// becomes the hash of the app's files, so the worker's bytes change with
// them.
func (w *Web) fieldServiceWorker(rw http.ResponseWriter, r *http.Request) {
	src, err := fs.ReadFile(w.static, fieldSWSource)
	if err != nil {
		w.notFound(rw, r, &req{lang: "zh-CN"})
		return
	}
	src = bytes.Replace(src, []byte("__VERSION__"), []byte(w.fieldVer), 1)
	mapOK := "false"
	if w.mapOK {
		mapOK = "true"
	}
	src = bytes.Replace(src, []byte("__LEAFLET__"), []byte(mapOK), 1)
	h := rw.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Service-Worker-Allowed", fieldPath)
	h.Set("X-Content-Type-Options", "nosniff")
	rw.Write(src)
}

// fieldManifest is the web app manifest that makes the field page
// installable, named in the visitor's language. Browsers fetch manifests
// without cookies, so it is public; nothing in it is personal.
func (w *Web) fieldManifest(rw http.ResponseWriter, r *http.Request) {
	lang := w.language(rw, r)
	m := map[string]any{
		"name":             w.i18n.T(lang, "web.field.app_name"),
		"short_name":       w.i18n.T(lang, "web.field.short_name"),
		"description":      w.i18n.T(lang, "web.field.lead"),
		"lang":             lang,
		"start_url":        fieldPath,
		"scope":            fieldPath,
		"id":               fieldPath,
		"display":          "standalone",
		"orientation":      "portrait",
		"background_color": "#f3f5f8",
		"theme_color":      "#0b4f9c",
		"icons": []map[string]string{
			{"src": fieldPath + "/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any maskable"},
			{"src": fieldPath + "/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any maskable"},
		},
	}
	h := rw.Header()
	h.Set("Content-Type", "application/manifest+json")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	json.NewEncoder(rw).Encode(m)
}

// fieldIcon serves the 192 and 512 px icons.
func (w *Web) fieldIcon(rw http.ResponseWriter, r *http.Request) {
	size, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(r.PathValue("file"), "icon-"), ".png"))
	w.icons.once.Do(func() {
		w.icons.png = map[int][]byte{}
		for _, s := range []int{192, 512} {
			w.icons.png[s] = drawFieldIcon(s)
		}
	})
	b, ok := w.icons.png[size]
	if !ok {
		w.notFound(rw, r, &req{lang: w.language(rw, r)})
		return
	}
	h := rw.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	rw.Write(b)
}

// drawFieldIcon draws the app's icon: the brand's red disc with a gold
// ring, as in the page header, around a white 3×3 grid (网格). The grid
// stays inside the middle 60 % so that a maskable crop keeps it whole.
func drawFieldIcon(size int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	blue := color.RGBA{0x0b, 0x4f, 0x9c, 0xff}
	red := color.RGBA{0xc8, 0x16, 0x1d, 0xff}
	gold := color.RGBA{0xf5, 0xc5, 0x42, 0xff}
	white := color.RGBA{0xff, 0xff, 0xff, 0xff}
	c := float64(size) / 2
	r := float64(size) * 0.40
	ring := float64(size) * 0.035
	lo, hi := int(float64(size)*0.30), int(float64(size)*0.70)
	line := max(2, size/48)
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			dx, dy := float64(x)+0.5-c, float64(y)+0.5-c
			d2 := dx*dx + dy*dy
			col := blue
			switch {
			case d2 <= (r-ring)*(r-ring):
				col = red
			case d2 <= r*r:
				col = gold
			}
			if x >= lo && x <= hi && y >= lo && y <= hi {
				for i := 0; i <= 3; i++ {
					p := lo + (hi-lo)*i/3
					if (x >= p-line/2 && x <= p+line/2) || (y >= p-line/2 && y <= p+line/2) {
						col = white
					}
				}
			}
			img.SetRGBA(x, y, col)
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}
