package app_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/sanitize"
	"github.com/yiwang-gov/yiwang/internal/sanitize/sanitizetest"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// TestAttachmentBusy: an upload that finds every decode slot taken for
// longer than the wait is the server's trouble, not the file's: the JSON
// API, the report form and Open311 POST with media answer 503 with
// Retry-After and the "busy" message (zh-CN and en), and nothing is
// stored. A decode over its time budget stays 422 on the file (the same
// bytes would time out again), as bombs do.
//
// The one slot is taken by a large photo whose decode is refused at once
// (DecodeTimeout 1 ns) but goes on, holding the slot, for a few hundred
// milliseconds; the upload under test follows at once. Should the slot
// be free again before it arrives (a very slow machine), the pair is
// tried again, up to five times.
func TestAttachmentBusy(t *testing.T) {
	dir := t.TempDir()
	copyTemplate(t, dir)
	a, err := openApp(t, context.Background(), app.Config{DataDir: dir, Demo: true, DemoCases: 60, PublicPerMinute: -1,
		Attachments: service.AttachmentOptions{Limits: sanitize.Limits{Concurrency: 1, Wait: time.Millisecond, DecodeTimeout: time.Nanosecond}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(a)
	t.Cleanup(func() { srv.Close(); a.Close() })
	h := &harness{t: t, dir: dir, app: a, srv: srv}
	tok := h.login("operator1")
	big := sanitizetest.LargeJPEG(5000, 4000)

	// hold takes the slot with the large photo once it is free (the last
	// one's decode may still hold it), checking that the timeout is a 422
	// on the file.
	hold := func() {
		t.Helper()
		for range 100 {
			r := postFile(t, srv.URL, tok, "zh-CN", big)
			if r.status == 503 {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			if msg := fileError(t, r); !strings.Contains(msg, "处理耗时过长") {
				t.Fatalf("a decode over its budget: %q", msg)
			}
			return
		}
		t.Fatalf("the decode slot never came free")
	}
	// busy holds the slot, then sends try until it is refused busy, and
	// checks that the refusal stored nothing.
	busy := func(what string, try func() (status int, retryAfter, body string)) string {
		t.Helper()
		for n := 1; n <= 5; n++ {
			hold()
			stored := h.counts()
			status, ra, body := try()
			if status == 503 {
				if ra != strconv.Itoa(service.BusyRetryAfter) {
					t.Fatalf("%s: Retry-After %q", what, ra)
				}
				if now := h.counts(); now["attachments"] != stored["attachments"] || now["cases"] != stored["cases"] {
					t.Fatalf("%s refused busy, yet stored: %v → %v", what, stored, now)
				}
				t.Logf("%s: refused busy on try %d", what, n)
				return body
			}
			if status >= 300 {
				t.Fatalf("%s while the slot is held: %d %s", what, status, body)
			}
			time.Sleep(time.Second) // it got the slot: let the decode end, and again
		}
		t.Fatalf("%s: never found the slot taken", what)
		return ""
	}

	// The JSON API, in both languages.
	for _, c := range []struct{ lang, msg string }{{"zh-CN", "服务器正忙，请稍后重试"}, {"en", "The server is busy"}} {
		body := busy("API "+c.lang, func() (int, string, string) {
			r := postFile(t, srv.URL, tok, c.lang, pngBytes(t))
			return r.status, r.header.Get("Retry-After"), string(r.raw)
		})
		if !strings.Contains(body, `"code":"busy"`) || !strings.Contains(body, c.msg) {
			t.Fatalf("API %s busy answer: %s", c.lang, body)
		}
	}

	// The citizen's report form.
	wc := newWebClient(t, srv.URL, nil)
	lat, lng, _ := demoPoint(t, h, 5)
	cat := pickCategory(t, h, true)
	n := 0
	body := busy("report form", func() (int, string, string) {
		n++
		fields := url.Values{"csrf": {wc.csrf("/report")}, "category": {strconv.FormatInt(cat.ID, 10)}, "description": {"人行道砖松动"},
			"lat": {strconv.FormatFloat(lat, 'f', 6, 64)}, "lng": {strconv.FormatFloat(lng, 'f', 6, 64)}, "idem": {fmt.Sprintf("%032d", 7000+n)}}
		p := wc.postMultipart("/report", fields, map[string][]byte{"photos": pngBytes(t)})
		return p.status, p.header.Get("Retry-After"), p.body
	})
	if !strings.Contains(body, "服务器正忙，请稍后重试") {
		t.Fatalf("report form busy page: %s", body)
	}

	// Open311 POST with a media file.
	key := apiKey(t, h, service.NewAPIKey{})
	body = busy("Open311", func() (int, string, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range map[string]string{"api_key": key, "service_code": "E0102", "lat": fmt.Sprint(lat), "long": fmt.Sprint(lng), "description": "垃圾堆了三天"} {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("media", "photo.png")
		fw.Write(pngBytes(t))
		mw.Close()
		r := h.open311(t, "POST", "requests.json", "created", b.Bytes(), mw.FormDataContentType(), "Accept-Language", "en")
		return r.status, r.header.Get("Retry-After"), string(r.raw)
	})
	if !strings.Contains(body, `"code":503`) || !strings.Contains(body, "The server is busy") {
		t.Fatalf("Open311 busy answer: %s", body)
	}

}
