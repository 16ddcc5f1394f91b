package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
)

// diskFull runs the full-disk story on a started harness: fill() takes
// the space away, free() gives it back. Writes answer 503 with Retry-After
// and the storage_full body in both languages, /healthz and the metrics
// say so; once space is back the server recovers without a restart, and
// the audit entries of the refused writes are on the chain, which
// verifies. clock moves the app's clock past the health probe's cache.
// realDisk: attachment files and the audit writer's small rows fail too
// (under max_page_count they may still fit in a page's free room; the
// audit writer's retry is tested on its own in internal/service).
func diskFull(t *testing.T, h *harness, clock *atomicTime, fill, free func(), realDisk bool) {
	t.Helper()
	op := h.login("operator1")
	web := newWebClient(t, h.srv.URL, nil)
	web.login("operator1")
	category := pickCategory(t, h, true)
	cat := category.Code
	lat, lng, _ := demoPoint(t, h, 3)
	filler := strings.Repeat("满", 1500) // 4.5 KB a case
	create := func(i int, hdr ...string) resp {
		return h.do("POST", "/api/v1/cases", op, map[string]any{"category": cat, "description": fmt.Sprintf("磁盘测试 %d %s", i, filler), "lat": lat, "lng": lng}, hdr...)
	}
	before := countAudit(t, h, "POST /api/v1/cases", "503")
	fill()
	var refused resp
	ok, refusedN := 0, 0
	for i := 0; i < 20000; i++ {
		r := create(i)
		if r.status == 201 {
			ok++
			continue
		}
		refused = r
		refusedN++
		break
	}
	if refusedN == 0 {
		t.Fatalf("20000 cases written on a full store")
	}
	t.Logf("writes accepted after filling, before the first refusal: %d", ok)
	if refused.status != 503 || refused.header.Get("Retry-After") != "30" {
		t.Fatalf("write on a full disk: %d Retry-After %q %s", refused.status, refused.header.Get("Retry-After"), refused.raw)
	}
	e, _ := refused.body["error"].(map[string]any)
	if e["code"] != "storage_full" || e["message"] != "存储空间不足，请稍后重试" {
		t.Fatalf("full-disk body: %s", refused.raw)
	}
	r := create(-1, "Accept-Language", "en")
	refusedN++
	if e, _ := r.body["error"].(map[string]any); r.status != 503 || e["message"] != "Storage is full; please try again later." {
		t.Fatalf("full-disk body in English: %d %s", r.status, r.raw)
	}
	page := web.postMultipart("/work/new", newCaseFields(web.csrf("/work/new"), strings.Repeat("z", 32), category.ID, lat, lng, func(f url.Values) {
		f.Set("description", "网页登记 "+filler)
	}), nil)
	if page.status != 503 || !strings.Contains(page.body, "存储空间不足，请稍后重试") {
		t.Fatalf("case-entry page on a full disk: %d %s", page.status, page.body)
	}
	if realDisk {
		if st, raw := uploadStatus(t, h, op, pngBytes(t)); st != 503 {
			t.Fatalf("upload on a full disk: %d %s", st, raw)
		}
	}
	r = h.do("GET", "/healthz", "", nil)
	if r.status != 503 || r.body["reason"] != "disk_full" || r.header.Get("Retry-After") != "30" {
		t.Fatalf("healthz on a full disk: %d %s", r.status, r.raw)
	}
	m := scrape(t, h)
	if m["yiwang_storage_full"] != 1 || m["yiwang_storage_full_errors_total"] < float64(refusedN) || (realDisk && m["yiwang_audit_pending_entries"] < 1) {
		t.Fatalf("metrics on a full disk: full %v errors %v pending audit %v", m["yiwang_storage_full"], m["yiwang_storage_full_errors_total"], m["yiwang_audit_pending_entries"])
	}
	// Still full after the probe's cache: the probe write fails too.
	clock.add(6 * time.Second)
	if r := h.do("GET", "/healthz", "", nil); r.status != 503 {
		t.Fatalf("healthz while still full: %d %s", r.status, r.raw)
	}

	free()
	clock.add(6 * time.Second)
	if r := h.do("GET", "/healthz", "", nil); r.status != 200 {
		t.Fatalf("healthz once space is back: %d %s", r.status, r.raw)
	}
	if r := create(-2); r.status != 201 {
		t.Fatalf("write once space is back: %d %s", r.status, r.raw)
	}
	h.app.Service.FlushAudit(context.Background())
	if m := scrape(t, h); m["yiwang_storage_full"] != 0 || m["yiwang_audit_pending_entries"] != 0 || m["yiwang_audit_dropped_total"] != 0 {
		t.Fatalf("metrics after recovery: full %v pending %v dropped %v", m["yiwang_storage_full"], m["yiwang_audit_pending_entries"], m["yiwang_audit_dropped_total"])
	}
	if got := countAudit(t, h, "POST /api/v1/cases", "503") - before; got != refusedN {
		t.Fatalf("audit entries of refused writes: %d, want %d", got, refusedN)
	}
	if n, err := h.app.Service.VerifyAudit(context.Background()); err != nil {
		t.Fatalf("audit chain after a full disk (%d entries): %v", n, err)
	}
}

func countAudit(t *testing.T, h *harness, action, result string) int {
	t.Helper()
	h.app.Service.FlushAudit(context.Background())
	n := 0
	var after int64
	for {
		es, err := h.app.Store.AuditEntries(context.Background(), after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if e.Action == action && e.Result == result {
				n++
			}
		}
		if len(es) < 1000 {
			return n
		}
		after = es[len(es)-1].Seq
	}
}

// startWithClock starts the app on dir (a copy of the demo) with a clock
// the test moves.
func startWithClock(t *testing.T, dir string) (*harness, *atomicTime) {
	t.Helper()
	copyTemplate(t, dir)
	clock := &atomicTime{}
	clock.set(time.Now())
	a, err := openApp(t, context.Background(), app.Config{DataDir: dir, Demo: true, DemoCases: 60, PublicPerMinute: -1, Now: clock.get})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: dir, app: a, srv: newServer(a)}
	t.Cleanup(h.stop)
	return h, clock
}

// TestDiskFullSQLiteFull runs the full-disk story everywhere: SQLite's
// max_page_count on the write connection makes the database answer
// SQLITE_FULL ("database or disk is full") exactly as a full disk does.
func TestDiskFullSQLiteFull(t *testing.T) {
	dir := t.TempDir()
	sqliteOnly(t, dir) // SQLite's own page limit; a full PostgreSQL disk is the server's
	h, clock := startWithClock(t, dir)
	db, _ := h.app.SQL()
	_, w := db.Pools()
	setMax := func(n string) {
		if _, err := w.Exec(`PRAGMA max_page_count = ` + n); err != nil {
			t.Fatal(err)
		}
	}
	diskFull(t, h, clock, func() {
		var pages int
		w.QueryRow(`PRAGMA page_count`).Scan(&pages)
		setMax(fmt.Sprint(pages))
	}, func() { setMax("1073741823") }, false)
}

// TestDiskFullTmpfs runs it on a real full file system: the data dir on a
// small tmpfs, filled by a file, freed by removing it. Mounting needs root
// (CAP_SYS_ADMIN); without it the test skips, and TestDiskFullSQLiteFull
// covers the same path.
func TestDiskFullTmpfs(t *testing.T) {
	if testing.Short() {
		t.Skip("tmpfs disk-full test skipped in -short mode")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=64m,mode=0700"); err != nil {
		t.Skipf("YIWANG tmpfs disk-full test not possible: mounting a tmpfs needs root (CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o750)
	sqliteOnly(t, data) // the full file system is the data dir's, where SQLite writes
	h, clock := startWithClock(t, data)
	fillPath := filepath.Join(dir, "filler")
	diskFull(t, h, clock, func() {
		f, err := os.Create(fillPath)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		chunk := make([]byte, 1<<20)
		for size := len(chunk); size > 0; {
			if _, err := f.Write(chunk[:size]); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				size /= 2
			}
		}
		var st syscall.Statfs_t
		syscall.Statfs(dir, &st)
		t.Logf("tmpfs filled: %d bytes free", st.Bavail*uint64(st.Bsize))
	}, func() {
		if err := os.Remove(fillPath); err != nil {
			t.Fatal(err)
		}
	}, true)
}
