package app_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/httpapi"
	"github.com/yiwang-gov/yiwang/internal/stats/ledger"
)

// zeros is an endless reader of zero bytes: a large upload that costs the
// test no memory.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestLedgerImportCap: an upload one byte over the cap — as the body or as
// the multipart file — is answered 413 with the standard error body,
// leaves no temporary file behind and writes nothing; a workbook within
// the cap still imports through the multipart path, which streams to a
// temporary file too (also removed).
func TestLedgerImportCap(t *testing.T) {
	h := newHarness(t, t.TempDir()) // first: the demo template lives in the real TMPDIR
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the API's uploads wait in os.TempDir()
	disc := h.login("discipline")
	leftovers := func() []string {
		t.Helper()
		m, _ := filepath.Glob(filepath.Join(tmp, "yiwang-ledger-*"))
		return m
	}
	post := func(body io.Reader, contentType string) resp {
		t.Helper()
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/stats/ledgers/rectification/import", body)
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", "Bearer "+disc)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		r := resp{status: res.StatusCode, header: res.Header, raw: raw}
		json.Unmarshal(raw, &r.body)
		return r
	}
	multipartBody := func(file io.Reader) (io.Reader, string) {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			mw.WriteField("note", "第一季度")
			fw, _ := mw.CreateFormFile("file", "台账.xlsx")
			if _, err := io.Copy(fw, file); err != nil {
				pw.CloseWithError(err)
				return
			}
			pw.CloseWithError(mw.Close())
		}()
		return pr, mw.FormDataContentType()
	}
	before := h.counts()
	over := func() io.Reader { return io.LimitReader(zeros{}, httpapi.MaxLedger+1) }
	for name, r := range map[string]func() resp{
		"body":      func() resp { return post(over(), ledger.ContentTypeXLSX) },
		"multipart": func() resp { b, ct := multipartBody(over()); return post(b, ct) },
	} {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		got := r()
		runtime.ReadMemStats(&m1)
		// Measured, not asserted: client and server share the process.
		t.Logf("%s: %d MB over the cap cost %.1f MB of allocations in the test process", name, (httpapi.MaxLedger+1)>>20, float64(m1.TotalAlloc-m0.TotalAlloc)/(1<<20))
		e, _ := got.body["error"].(map[string]any)
		if got.status != http.StatusRequestEntityTooLarge || e["code"] != "body_too_large" || e["message"] == "" {
			t.Errorf("%s over the cap: %d %s", name, got.status, got.raw)
		}
		if l := leftovers(); len(l) > 0 {
			t.Errorf("%s over the cap left %v", name, l)
		}
	}
	if after := h.counts(); after["cases"] != before["cases"] || after["attachments"] != before["attachments"] {
		t.Errorf("an over-cap upload wrote something: %v → %v", before, after)
	}
	// Exactly at the cap is not over it: read, and refused as what it is.
	if got := post(io.LimitReader(zeros{}, httpapi.MaxLedger), ledger.ContentTypeXLSX); got.status != http.StatusUnprocessableEntity {
		t.Errorf("a non-workbook at the cap: %d %.200s", got.status, got.raw)
	}

	// Within the cap, as a multipart file: imported.
	row := []any{1, "ZG-2026-901", "校园餐", "监督检查", "食堂食材价格虚高", "区教育局", "", "2026-03-01", "", "整改中", "", "", "", "", "", "", "", ""}
	b, ct := multipartBody(bytes.NewReader(ledgerBook(t, [][]any{rectHeader, row})))
	got := post(b, ct)
	if got.status != 200 || got.body["committed"] != true || jnum(got.body, "imported") != 1 {
		t.Fatalf("multipart import: %d %s", got.status, got.raw)
	}
	if l := leftovers(); len(l) > 0 {
		t.Errorf("an import left %v", l)
	}
	// Without a file part: a field error, not a crash.
	var empty bytes.Buffer
	mw := multipart.NewWriter(&empty)
	mw.WriteField("note", "x")
	mw.Close()
	if got := post(&empty, mw.FormDataContentType()); got.status != 400 || !strings.Contains(string(got.raw), `"file"`) {
		t.Errorf("multipart without a file: %d %s", got.status, got.raw)
	}
	entries, _ := os.ReadDir(tmp)
	t.Logf("%d entries left in TMPDIR (none named yiwang-ledger-*)", len(entries))
}
