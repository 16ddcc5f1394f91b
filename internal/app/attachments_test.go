package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/sanitize"
	"github.com/yiwang-gov/yiwang/internal/sanitize/sanitizetest"
	"github.com/yiwang-gov/yiwang/internal/service"
)

// postFile uploads data as multipart field "file", with token if not
// empty and the language lang.
func postFile(t *testing.T, url, token, lang string, data []byte) resp {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "upload.bin")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", url+"/api/v1/attachments", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept-Language", lang)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	json.Unmarshal(raw, &r.body)
	return r
}

// fileError returns the field message on "file" of a 422 answer.
func fileError(t *testing.T, r resp) string {
	t.Helper()
	if r.status != 422 {
		t.Fatalf("status %d, want 422: %s", r.status, r.raw)
	}
	e, _ := r.body["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	msg, _ := f["file"].(string)
	if msg == "" {
		t.Fatalf("no message on file: %s", r.raw)
	}
	return msg
}

// Every bomb of the corpus, posted without login, is refused 422 with the
// limit named on "file" in both languages, and nothing is stored. The
// time of each refusal is logged (go test -v), not asserted.
func TestAttachmentBombsHTTP(t *testing.T) {
	h := newHarness(t, t.TempDir())
	before := h.counts()["attachments"]
	names := func(m map[string][]byte) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	bombs := sanitizetest.Bombs()
	for _, name := range names(bombs) {
		start := time.Now()
		r := postFile(t, h.srv.URL, "", "zh-CN", bombs[name])
		took := time.Since(start)
		if msg := fileError(t, r); !strings.Contains(msg, "图片尺寸或帧数超出限制") || !strings.Contains(msg, "4000 万像素") {
			t.Errorf("%s: zh message %q", name, msg)
		}
		if msg := fileError(t, postFile(t, h.srv.URL, "", "en", bombs[name])); !strings.Contains(msg, "40 megapixels") {
			t.Errorf("%s: en message %q", name, msg)
		}
		t.Logf("%-20s %8d bytes: 422 in %v", name, len(bombs[name]), took.Round(time.Microsecond))
	}
	broken := sanitizetest.Broken()
	for _, name := range names(broken) {
		if msg := fileError(t, postFile(t, h.srv.URL, "", "zh-CN", broken[name])); !strings.Contains(msg, "图片文件已损坏") {
			t.Errorf("%s: message %q", name, msg)
		}
	}
	if n := h.counts()["attachments"]; n != before {
		t.Fatalf("attachments %d → %d: a refused file was recorded", before, n)
	}
	// An ordinary photo is still taken in, re-encoded without its EXIF.
	tok := h.login("operator1")
	r := postFile(t, h.srv.URL, tok, "zh-CN", sanitizetest.Photo())
	if r.status != 201 || r.body["mime"] != "image/jpeg" {
		t.Fatalf("photo: %d %s", r.status, r.raw)
	}
	g := h.do("GET", "/api/v1/attachments/"+r.body["id"].(string), tok, nil)
	if g.status != 200 || bytes.Contains(g.raw, []byte("GPSLatitude")) || bytes.Contains(g.raw, []byte("Exif")) || !bytes.HasPrefix(g.raw, []byte("\xff\xd8")) {
		t.Fatalf("stored photo: %d, EXIF kept or not a JPEG", g.status)
	}
}

// Twenty 5 MB GIF bombs (7.2 gigapixels each) posted at once, without
// login: each is refused 422, the server keeps answering, and the Go heap
// (sampled every 2 ms) stays far from what decoding one would take. The
// peak is logged; the bound (512 MiB over the start, against 7 GB for one
// bomb decoded) is a generous safety net, not a measurement.
func TestAttachmentBombsConcurrent(t *testing.T) {
	h := newHarness(t, t.TempDir())
	bomb := sanitizetest.GIFBomb(6000, 200)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > peak.Load() {
				peak.Store(m.HeapAlloc)
			}
		}
	}()
	start := time.Now()
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = postFile(t, h.srv.URL, "", "zh-CN", bomb).status
		})
	}
	// The server answers while the bombs are in flight.
	health := h.do("GET", "/healthz", "", nil)
	wg.Wait()
	took := time.Since(start)
	close(stop)
	<-sampled
	for i, s := range statuses {
		if s != 422 {
			t.Errorf("bomb %d: status %d, want 422", i, s)
		}
	}
	if health.status != 200 {
		t.Errorf("healthz during the bombs: %d", health.status)
	}
	grew := int64(peak.Load()) - int64(base)
	t.Logf("20 × %d-byte GIF bombs at once: all answered in %v; heap %d MiB at start, peak %d MiB (+%d MiB)",
		len(bomb), took.Round(time.Millisecond), base>>20, peak.Load()>>20, grew>>20)
	if grew > 512<<20 {
		t.Fatalf("heap grew by %d MiB", grew>>20)
	}
}

// A PDF with /Info, XMP, scripts, an embedded file, a form and a link is
// stored rewritten: the stored bytes hold none of them and still parse
// with the same pages; encrypted and garbage PDFs are refused 422.
func TestAttachmentPDFHTTP(t *testing.T) {
	h := newHarness(t, t.TempDir())
	tok := h.login("operator1")
	for _, objStm := range []bool{false, true} {
		in := sanitizetest.PDF(objStm)
		r := postFile(t, h.srv.URL, tok, "zh-CN", in)
		if r.status != 201 || r.body["mime"] != "application/pdf" {
			t.Fatalf("objstm=%v: %d %s", objStm, r.status, r.raw)
		}
		id := r.body["id"].(string)
		stored, err := os.ReadFile(filepath.Join(h.dir, "files", id[:2], id[2:]))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sanitizetest.Secrets {
			if bytes.Contains(stored, []byte(s)) {
				t.Errorf("objstm=%v: stored PDF contains %q", objStm, s)
			}
		}
		if n, err := sanitize.PDFPages(stored, sanitize.PDFLimits{}); err != nil || n != 2 {
			t.Errorf("objstm=%v: stored PDF has %d pages, %v", objStm, n, err)
		}
	}
	for name, b := range map[string][]byte{"encrypted": sanitizetest.EncryptedPDF(), "garbage": sanitizetest.GarbagePDF()} {
		if msg := fileError(t, postFile(t, h.srv.URL, "", "zh-CN", b)); !strings.Contains(msg, "PDF 文件无法安全处理") {
			t.Errorf("%s: %q", name, msg)
		}
		if msg := fileError(t, postFile(t, h.srv.URL, "", "en", b)); !strings.Contains(msg, "cannot be processed safely") {
			t.Errorf("%s: %q", name, msg)
		}
	}
}

// A file is read only through a case the reader may see: the uploader
// reads an unlinked upload, a second staff account with the hash does not
// (404, not 403); once linked, the handling unit reads it, another unit
// does not; a discipline clue's file is hidden from every role the clue
// is hidden from, the unit concerned among them; citing a linked file one
// cannot read as evidence is refused. (A file no case links yet may be
// cited by whoever names it: an anonymous report's photos are uploaded
// before the case exists.)
func TestAttachmentAccess(t *testing.T) {
	h := newHarness(t, t.TempDir())
	r, _, cgID := chengguanCase(t, h, "附件权限测试", "附件", "13800002222")
	otherUnit := ""
	for _, u := range mustUsers(t, h) {
		if u.Role == model.RoleUnit && u.OrgID != cgID && otherUnit == "" {
			otherUnit = u.Username
		}
	}
	caseID := num(r.body["id"])
	get := func(who, id string) int {
		t.Helper()
		return h.do("GET", "/api/v1/attachments/"+id, h.login(who), nil).status
	}

	operator := h.login("operator1")
	photo := postFile(t, h.srv.URL, operator, "zh-CN", sanitizetest.Photo()).body["id"].(string)
	if s := get("operator1", photo); s != 200 {
		t.Fatalf("uploader reads its unlinked upload: %d", s)
	}
	for _, who := range []string{"supervisor", "chengguan", "admin"} {
		if s := get(who, photo); s != 404 {
			t.Errorf("%s with the hash of another's unlinked upload: %d, want 404", who, s)
		}
	}
	r = h.do("POST", fmt.Sprintf("/api/v1/cases/%d/actions/accept", caseID), operator, map[string]any{"version": 1, "note": "立案", "evidence": []string{photo}})
	if r.status != 200 {
		t.Fatalf("accept with evidence: %d %s", r.status, r.raw)
	}
	for who, want := range map[string]int{"operator1": 200, "chengguan": 200, "supervisor": 200, "wgy001": 200, otherUnit: 404} {
		if s := get(who, photo); s != want {
			t.Errorf("%s reads the case's photo: %d, want %d", who, s, want)
		}
	}

	// A discipline clue's evidence: only the discipline office reads it.
	disc := h.login("discipline")
	r = h.do("POST", "/api/v1/cases", disc, map[string]any{"type": "clue", "description": "反映城管局干部收受礼金",
		"fields": map[string]any{"source": "petition", "subject_name": "王某某", "subject_level": "section"}})
	if r.status != 201 {
		t.Fatalf("clue: %d %s", r.status, r.raw)
	}
	clueID := num(r.body["id"])
	evidence := postFile(t, h.srv.URL, disc, "zh-CN", sanitizetest.PDF(false)).body["id"].(string)
	r = h.do("POST", fmt.Sprintf("/api/v1/cases/%d/actions/dispose", clueID), disc, map[string]any{"version": 1, "result": "shelved", "note": "暂存", "evidence": []string{evidence}})
	if r.status != 200 {
		t.Fatalf("dispose with evidence: %d %s", r.status, r.raw)
	}
	for who, want := range map[string]int{"discipline": 200, "chengguan": 404, otherUnit: 404, "supervisor": 404, "admin": 404, "leader": 404, "operator1": 404} {
		if s := get(who, evidence); s != want {
			t.Errorf("%s reads the clue's evidence: %d, want %d", who, s, want)
		}
	}
	// The handling unit may not cite the clue's file in its own case.
	r = h.do("POST", fmt.Sprintf("/api/v1/cases/%d/actions/dispatch", caseID), h.login("dispatcher"), map[string]any{"version": 2, "evidence": []string{evidence}})
	if r.status != 422 {
		t.Fatalf("citing the clue's file in another case: %d %s", r.status, r.raw)
	}
	// A unit's supervision reply cites its own file: the issuer reads it,
	// another unit does not.
	sup := h.login("supervisor")
	r = h.do("POST", "/api/v1/supervisions", sup, map[string]any{"kind": "duban", "unit": cgID, "title": "附件督办", "body": "请办理",
		"cases": []int64{caseID}, "reply_working_days": 2})
	if r.status != 201 {
		t.Fatalf("issue: %d %s", r.status, r.raw)
	}
	cg := h.login("chengguan")
	reply := postFile(t, h.srv.URL, cg, "zh-CN", sanitizetest.PDF(true)).body["id"].(string)
	if s := get("supervisor", reply); s != 404 {
		t.Errorf("supervisor reads a unit's unlinked upload: %d", s)
	}
	r = h.do("POST", fmt.Sprintf("/api/v1/supervisions/%d/reply", num(r.body["id"])), cg, map[string]any{"reply": "已办理", "files": []string{reply}})
	if r.status != 200 {
		t.Fatalf("reply: %d %s", r.status, r.raw)
	}
	for who, want := range map[string]int{"supervisor": 200, "chengguan": 200, otherUnit: 404} {
		if s := get(who, reply); s != want {
			t.Errorf("%s reads the reply's file: %d, want %d", who, s, want)
		}
	}
	// Not a hash at all, or unknown: 404 too.
	for _, id := range []string{"nope", strings.Repeat("0", 64)} {
		if s := get("admin", id); s != 404 {
			t.Errorf("GET %s: %d", id, s)
		}
	}
}

// A type an administrator allows (--attachment-types) is stored as sent
// and served only as a download, sandboxed; without the option it is
// refused 422 on file.
func TestAttachmentExtraTypeHTTP(t *testing.T) {
	page := []byte("<html><body><script>alert(document.cookie)</script></body></html>")
	h := newHarness(t, t.TempDir())
	if msg := fileError(t, postFile(t, h.srv.URL, h.login("operator1"), "zh-CN", page)); !strings.Contains(msg, "只接受") {
		t.Fatalf("html without the option: %q", msg)
	}
	dir := t.TempDir()
	copyTemplate(t, dir)
	a, err := openApp(t, context.Background(), app.Config{DataDir: dir, Demo: true, DemoCases: 60, PublicPerMinute: -1,
		Attachments: service.AttachmentOptions{ExtraTypes: []string{"text/html"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(a)
	defer func() { srv.Close(); a.Close() }()
	h2 := &harness{t: t, dir: dir, app: a, srv: srv}
	tok := h2.login("operator1")
	r := postFile(t, srv.URL, tok, "zh-CN", page)
	if r.status != 201 || r.body["mime"] != "text/html" {
		t.Fatalf("html with the option: %d %s", r.status, r.raw)
	}
	g := h2.do("GET", "/api/v1/attachments/"+r.body["id"].(string), tok, nil)
	if g.status != 200 || !bytes.Equal(g.raw, page) || g.header.Get("Content-Disposition") != "attachment" ||
		!strings.Contains(g.header.Get("Content-Security-Policy"), "sandbox") || g.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("served: %d %v", g.status, g.header)
	}
}
