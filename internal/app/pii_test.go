package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/app"
)

func rawReporter(t *testing.T, dir string, id int64) (string, string) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, app.DBFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var name, phone string
	if err := db.QueryRow(`SELECT reporter_name, reporter_phone FROM cases WHERE id = ?`, id).Scan(&name, &phone); err != nil {
		t.Fatal(err)
	}
	return name, phone
}

// TestPersonalDataSealedAtRest: a reporter's name and phone are not in the
// database file in the clear, the API still masks and reveals them, and a
// key rotation re-seals old rows so they still open.
func TestPersonalDataSealedAtRest(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	lat, lng, _ := demoPoint(t, h, 9)
	r := h.do("POST", "/api/v1/cases", "", map[string]any{"category": pickCategory(t, h, true).Code, "description": "举报测试", "lat": lat, "lng": lng,
		"reporter": map[string]any{"name": "欧阳秘密", "phone": "13987654321"}})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	id := num(r.body["id"])
	name, phone := rawReporter(t, dir, id)
	if !strings.HasPrefix(name, "pii1:k1:") || !strings.HasPrefix(phone, "pii1:k1:") || strings.Contains(name+phone, "欧阳") || strings.Contains(name+phone, "4321") {
		t.Fatalf("stored in the clear: %q %q", name, phone)
	}
	h.stop()
	for _, f := range []string{app.DBFile, app.DBFile + "-wal"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if bytes.Contains(b, []byte("13987654321")) || bytes.Contains(b, []byte("欧阳秘密")) {
			t.Fatalf("%s holds the reporter in the clear", f)
		}
	}
	if err := app.RotatePIIKey(app.Config{DataDir: dir}, "k2"); err != nil {
		t.Fatal(err)
	}
	h.start()
	db, _ := h.app.SQL()
	if n, err := db.ResealPII(context.Background()); err != nil || n < 1 {
		t.Fatalf("reseal: %d, %v", n, err)
	}
	if name, _ := rawReporter(t, dir, id); !strings.HasPrefix(name, "pii1:k2:") {
		t.Fatalf("after rotation: %q", name)
	}
	op := h.login("operator1")
	r = h.do("GET", "/api/v1/cases/"+itoa(id), op, nil)
	if rep := r.body["reporter"].(map[string]any); rep["phone"] != "139****4321" || rep["name"] != "欧***" {
		t.Fatalf("masked view after rotation: %v", r.body["reporter"])
	}
	r = h.do("POST", "/api/v1/cases/"+itoa(id)+"/reveal", op, map[string]any{"reason": "回访核实情况"})
	if r.status != 200 || r.body["reporter"].(map[string]any)["phone"] != "13987654321" {
		t.Fatalf("reveal: %d %s", r.status, r.raw)
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
