package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/app"
)

func rawReporter(t *testing.T, dir string, id int64) (string, string) {
	db := openRaw(t, dir)
	defer db.Close()
	var name, phone string
	if err := db.QueryRow(`SELECT reporter_name, reporter_phone FROM cases WHERE id = ?`, id).Scan(&name, &phone); err != nil {
		t.Fatal(err)
	}
	return name, phone
}

// TestPersonalDataSealedAtRest: a reporter's name and phone are not in the
// database in the clear, the API still masks and reveals them, and a
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
	for _, clear := range []string{"13987654321", "欧阳秘密"} {
		if where := storedInClear(t, dir, clear); where != "" {
			t.Fatalf("%s holds the reporter in the clear", where)
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

// storedInClear names where dir's stopped app's database holds clear in
// the clear, or "": on SQLite the bytes of the database file and its WAL
// (pages, free space and all); on PostgreSQL, whose files are the
// server's, the text of every row of every table in the test's schema.
func storedInClear(t *testing.T, dir, clear string) string {
	t.Helper()
	if !onPostgres() {
		for _, f := range []string{app.DBFile, app.DBFile + "-wal"} {
			b, _ := os.ReadFile(filepath.Join(dir, f))
			if bytes.Contains(b, []byte(clear)) {
				return f
			}
		}
		return ""
	}
	db := openRaw(t, dir)
	defer db.Close()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		tables = append(tables, name)
	}
	rows.Close()
	if len(tables) == 0 {
		t.Fatal("no tables in the test's schema")
	}
	for _, table := range tables {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM `+table+` AS r WHERE strpos(r::text, ?) > 0`, clear).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return "table " + table
		}
	}
	return ""
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// TestPersonalFieldsSealedAtRest: a discipline clue's person concerned and
// a referral's patient are sealed in the case row and in the timeline's
// record of the fields, not in the database in the clear; the API
// gives them back to those who may see the case, and a key rotation
// re-seals the case rows.
func TestPersonalFieldsSealedAtRest(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	disc := h.login("discipline")
	r := h.do("POST", "/api/v1/cases", disc, map[string]any{"type": "clue", "description": "反映某局干部收受礼金",
		"fields": map[string]any{"source": "petition", "subject_name": "司马被反映", "subject_unit": "某局副局长", "subject_level": "section"}})
	if r.status != 201 {
		t.Fatalf("clue: %d %s", r.status, r.raw)
	}
	clue := num(r.body["id"])
	raw := func(q string, id int64) string {
		t.Helper()
		db := openRaw(t, dir)
		defer db.Close()
		var s string
		if err := db.QueryRow(q, id).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	fields := raw(`SELECT fields FROM cases WHERE id = ?`, clue)
	data := raw(`SELECT data FROM case_events WHERE case_id = ? AND seq = 1`, clue)
	if strings.Contains(fields+data, "司马被反映") || strings.Contains(fields+data, "某局副局长") || !strings.Contains(fields, `"subject_name":"pii1:k1:`) ||
		!strings.Contains(data, `"subject_name":"pii1:k1:`) || !strings.Contains(fields, `"subject_level":"section"`) {
		t.Fatalf("stored fields %s\nstored entry data %s", fields, data)
	}
	got := h.do("GET", "/api/v1/cases/"+itoa(clue), disc, nil)
	f, _ := got.body["fields"].(map[string]any)
	if got.status != 200 || f["subject_name"] != "司马被反映" || f["subject_unit"] != "某局副局长" {
		t.Fatalf("clue as the discipline office sees it: %d %s", got.status, got.raw)
	}
	if !bytes.Contains(got.raw, []byte("司马被反映")) || bytes.Contains(got.raw, []byte("pii1:")) {
		t.Fatalf("a sealed value reached the API: %s", got.raw)
	}
	h.stop()
	if where := storedInClear(t, dir, "司马被反映"); where != "" {
		t.Fatalf("%s holds the person concerned in the clear", where)
	}
	if err := app.RotatePIIKey(app.Config{DataDir: dir}, "k2"); err != nil {
		t.Fatal(err)
	}
	h.start()
	db, _ := h.app.SQL()
	if _, err := db.ResealPII(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fields := raw(`SELECT fields FROM cases WHERE id = ?`, clue); !strings.Contains(fields, `"subject_name":"pii1:k2:`) || !strings.Contains(fields, `"subject_unit":"pii1:k2:`) {
		t.Fatalf("after rotation: %s", fields)
	}
	got = h.do("GET", "/api/v1/cases/"+itoa(clue), h.login("discipline"), nil)
	if f, _ := got.body["fields"].(map[string]any); f["subject_name"] != "司马被反映" {
		t.Fatalf("after rotation: %s", got.raw)
	}
}
