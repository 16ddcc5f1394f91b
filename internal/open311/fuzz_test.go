package open311

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// pngHeader is the start of a PNG: enough for content sniffing.
var pngHeader = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde")

func realPNG() []byte {
	var b bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 3, 3))
	img.Set(1, 1, color.RGBA{200, 0, 0, 255})
	png.Encode(&b, img)
	return b.Bytes()
}

func multipartBody(fields map[string]string, media ...[]byte) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	for i, m := range media {
		fw, _ := mw.CreateFormFile("media[]", fmt.Sprintf("photo%d.png", i))
		fw.Write(m)
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// FuzzParseBody feeds arbitrary bodies to the form and multipart parser:
// it must never panic, and what it accepts stays within the limits.
func FuzzParseBody(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", []byte("api_key=k&service_code=0105&lat=27.7&long=112&attribute[FAULT]=DARK&attribute[BLOCKING][]=A&attribute[BLOCKING][]=B"))
	f.Add("", []byte("a=%zz&b"))
	f.Add("application/x-www-form-urlencoded; charset=utf-8", []byte(strings.Repeat("x=1&", 50)))
	ct, body := multipartBody(map[string]string{"service_code": "0105", "description": "路灯不亮"}, pngHeader)
	f.Add(ct, body)
	f.Add("multipart/form-data; boundary=zz", []byte("--zz\r\nContent-Disposition: form-data; name=\"media[]\"; filename=\"a\"\r\n\r\nabc\r\n--zz--\r\n"))
	f.Add("multipart/form-data", []byte("--\r\n"))
	f.Add("multipart/form-data; boundary=\"", []byte{})
	f.Add("text/plain", []byte("x"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		frm, err := parseBody(contentType, bytes.NewReader(body), url.Values{"api_key": {"q"}})
		if err != nil {
			return
		}
		if len(frm.media) > 5 {
			t.Fatalf("%d media accepted", len(frm.media))
		}
		for _, m := range frm.media {
			if len(m.Data) == 0 || len(m.Data) > 10<<20 {
				t.Fatalf("media of %d bytes accepted", len(m.Data))
			}
		}
		if attrs, ok := attributes(frm.values); ok {
			for code := range attrs {
				if code == "" || strings.ContainsAny(code, "[]") {
					t.Fatalf("attribute code %q accepted", code)
				}
			}
		}
	})
}

// FuzzPostRequests posts arbitrary bodies to POST requests.{fmt} and
// servicerequestupdates.{fmt} on a real store: never a 500 or a panic, and
// a rejected request writes nothing (no row, no file).
func FuzzPostRequests(f *testing.F) {
	e := newEnv(f, true)
	lat, lng := e.point(f)
	mux := http.NewServeMux()
	e.h.Register(mux)
	valid := url.Values{"api_key": {e.key}, "service_code": {"0105"}, "lat": {fmt.Sprint(lat)}, "long": {fmt.Sprint(lng)},
		"description": {"路灯不亮"}, "attribute[FAULT]": {"DARK"}, "attribute[LAMPS]": {"2"}}
	f.Add("requests.json", "application/x-www-form-urlencoded", []byte(valid.Encode()))
	bad := url.Values{"api_key": {e.key}, "service_code": {"0105"}, "lat": {"NaN"}, "long": {"x"}}
	f.Add("requests.xml", "application/x-www-form-urlencoded", []byte(bad.Encode()))
	noAttr := url.Values{"api_key": {e.key}, "service_code": {"0105"}, "lat": {fmt.Sprint(lat)}, "long": {fmt.Sprint(lng)}}
	f.Add("requests.json", "", []byte(noAttr.Encode()))
	f.Add("requests.json", "application/x-www-form-urlencoded", []byte("api_key="+e.key+"&service_code=E0505&lat=27.7&long=112&attribute[BLOCKING][]=NOPE"))
	fields := map[string]string{"api_key": e.key, "service_code": "E0102", "lat": fmt.Sprint(lat), "long": fmt.Sprint(lng), "description": "垃圾"}
	ct, body := multipartBody(fields, realPNG())
	f.Add("requests.json", ct, body)
	ct, body = multipartBody(fields, pngHeader) // sniffs as PNG, does not decode
	f.Add("requests.json", ct, body)
	ct, body = multipartBody(fields, []byte("not an image"))
	f.Add("requests.xml", ct, body)
	ct, body = multipartBody(fields, pngHeader, pngHeader, pngHeader, pngHeader, pngHeader, pngHeader)
	f.Add("requests.json", ct, body)
	f.Add("servicerequestupdates.json", "application/x-www-form-urlencoded", []byte("api_key="+e.key+"&service_request_id=1&description=x"))
	f.Add("requests.json", "multipart/form-data; boundary=b", []byte("--b\r\nContent-Disposition: form-data; name=\"api_key\"\r\n\r\n"+e.key+"\r\n--b"))
	f.Fuzz(func(t *testing.T, file, contentType string, body []byte) {
		if !utf8.ValidString(file) || strings.ContainsAny(file, "/?#%\x00") || file == "" {
			return
		}
		before := e.counts(t)
		req := httptest.NewRequest("POST", "/open311/v2/"+url.PathEscape(file), bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s (%q): %d %s", file, contentType, rec.Code, rec.Body.String())
		}
		if rec.Code >= 400 {
			if after := e.counts(t); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Fatalf("rejected POST %s (%d %s) wrote: %v → %v", file, rec.Code, rec.Body.String(), before, after)
			}
		}
	})
}
