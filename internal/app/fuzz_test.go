package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/app"
)

// fuzzApp boots one app for a whole fuzz run.
func fuzzApp(f *testing.F) (*app.App, *httptest.Server) {
	a, err := openApp(f, context.Background(), app.Config{DataDir: filepath.Join(f.TempDir(), "d"), Demo: true, DemoCases: 10, PublicPerMinute: -1})
	if err != nil {
		f.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler)
	f.Cleanup(func() { srv.Close(); a.Close() })
	return a, srv
}

// FuzzCreateCaseJSON posts arbitrary bodies to the case endpoint: the
// server never answers 500, and anything but a 201 writes no case.
func FuzzCreateCaseJSON(f *testing.F) {
	a, srv := fuzzApp(f)
	for _, s := range []string{
		`{"category":"0101","description":"井盖缺失","lat":27.73,"lng":111.99}`,
		`{"category":1,"description":"x","lat":999,"lng":0}`,
		`{"lat":"27","lng":[],"reporter":{"phone":1}}`,
		`{"description":"\u0000","coord":"gcj02","lat":27.7,"lng":111.9,"type":"hotline_order","fields":{"a":1}}`,
		`[]`, `null`, `{"category":"0101","description":"a","lat":1e308,"lng":-1e308}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		before, _ := a.Store.CountCases(context.Background(), emptyFilter())
		res, err := http.Post(srv.URL+"/api/v1/cases", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("%d for %q: %s", res.StatusCode, body, raw)
		}
		after, _ := a.Store.CountCases(context.Background(), emptyFilter())
		if res.StatusCode != 201 && after != before {
			t.Fatalf("refused (%d) but wrote a case: %q", res.StatusCode, body)
		}
		if res.StatusCode != 201 && !json.Valid(raw) {
			t.Fatalf("error body is not JSON: %s", raw)
		}
	})
}

// FuzzUpload sends arbitrary files as photos: no 500, and a refused file
// leaves no attachment row.
func FuzzUpload(f *testing.F) {
	a, srv := fuzzApp(f)
	db := openRaw(f, a.Config.DataDir)
	f.Cleanup(func() { db.Close() })
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"))
	f.Add([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"))
	f.Add([]byte("GIF89a\x01\x00\x01\x00"))
	f.Add([]byte("%PDF-1.4\n"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8 "))
	f.Fuzz(func(t *testing.T, data []byte) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		w, _ := mw.CreateFormFile("file", "x.jpg")
		w.Write(data)
		mw.Close()
		countAttachments := func() int {
			var n int
			db.QueryRow(`SELECT COUNT(*) FROM attachments`).Scan(&n)
			return n
		}
		n0 := countAttachments()
		res, err := http.Post(srv.URL+"/api/v1/attachments", mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode >= 500 {
			t.Fatalf("%d for %d bytes", res.StatusCode, len(data))
		}
		if n1 := countAttachments(); res.StatusCode != 201 && n1 != n0 {
			t.Fatal("refused upload recorded an attachment")
		}
	})
}
