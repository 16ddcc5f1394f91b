package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/audit"
	"github.com/yiwang-gov/yiwang/internal/auth"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
)

// TestCLIOnPostgres runs the county's tooling against a PostgreSQL
// deployment, in-process through the binary's own entry (run), on a fresh
// schema: migrate, demo, user add and totp, apikey, eventsource, calendar
// load, grids export and import, keys rotate, audit verify and export. Each
// command's effect is read back from the schema with SQL, and no command
// makes a SQLite file: the commands that touch no personal data are given
// a --data dir that does not exist and must leave it so; demo and keys
// rotate keep the key ring in theirs and nothing else.
func TestCLIOnPostgres(t *testing.T) {
	url := storetest.PostgresURL(t)
	ctx := context.Background()
	pg, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	one := func(q string, args ...any) string {
		t.Helper()
		var s sql.NullString
		if err := pg.QueryRowContext(ctx, q, args...).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return s.String
	}
	count := func(q string, args ...any) int {
		t.Helper()
		n, err := strconv.Atoi(one(q, args...))
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	cli := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := run(ctx, args, &out, &errb)
		return out.String(), errb.String(), code
	}
	ok := func(args ...string) string {
		t.Helper()
		out, stderr, code := cli(args...)
		if code != 0 {
			t.Fatalf("yiwang %s: exit %d\n%s%s", strings.Join(args, " "), code, out, stderr)
		}
		return out
	}
	none := filepath.Join(t.TempDir(), "no-such-dir") // --data of the commands without personal data
	keyDir := t.TempDir()                             // demo and keys rotate: the default key ring
	keys := filepath.Join(keyDir, app.PIIKeyFile)

	// migrate: the schema is there.
	if out := ok("migrate", "--db", url, "--data", none); !strings.Contains(out, "schema is up to date in postgres://") {
		t.Fatalf("migrate: %s", out)
	}
	if one(`SELECT to_regclass('cases')::text`) == "" || count(`SELECT COUNT(*) FROM org_units`) != 0 {
		t.Fatal("migrate: no cases table, or not an empty county")
	}

	// demo: the district and its cases, sealed with the ring in keyDir.
	out := ok("demo", "--db", url, "--data", keyDir, "--cases", "40")
	cases := count(`SELECT COUNT(*) FROM cases`)
	if cases == 0 || !strings.Contains(out, strconv.Itoa(cases)+" cases") {
		t.Fatalf("demo printed %q; the schema holds %d cases", out, cases)
	}
	if _, err := os.Stat(keys); err != nil {
		t.Fatalf("demo: no key ring: %v", err)
	}
	if n := count(`SELECT COUNT(*) FROM cases WHERE reporter_name LIKE 'pii1:k1:%'`); n == 0 {
		t.Fatal("demo: no reporter sealed with k1")
	}
	if _, stderr, code := cli("demo", "--db", url, "--data", keyDir, "--cases", "5"); code == 0 || !strings.Contains(stderr, "empty database") {
		t.Fatalf("demo on a county that has one: %d %s", code, stderr)
	}

	// user add: the org unit is looked up in this database (YIWANG_DB).
	unit := one(`SELECT id FROM org_units WHERE kind = 'department' ORDER BY id LIMIT 1`)
	t.Setenv("YIWANG_DB", url)
	ok("user", "add", "--data", none, "--username", "pg-unit", "--name", "城管局值班", "--role", "unit", "--org", unit, "--password", "correct horse 42")
	t.Setenv("YIWANG_DB", "")
	if got := one(`SELECT org_id::text || ' ' || role FROM users WHERE username = 'pg-unit'`); got != unit+" unit" {
		t.Fatalf("user row: %q", got)
	}
	srv, err := app.Open(ctx, app.Config{DataDir: keyDir, DatabaseURL: url, TimerTick: -1})
	if err != nil {
		t.Fatal(err)
	}
	srvOpen := true
	defer func() {
		if srvOpen {
			srv.Close()
		}
	}()
	if _, u, err := srv.Service.Login(ctx, "192.0.2.1", "pg-unit", "correct horse 42"); err != nil || u.OrgID != mustInt(t, unit) {
		t.Fatalf("the new account does not log in: %+v %v", u, err)
	}

	// user totp: the secret is stored and then asked for at login.
	out = ok("user", "totp", "--db", url, "--data", none, "--username", "pg-unit")
	words := strings.Fields(out)
	secret := words[len(words)-1]
	if !strings.Contains(out, "otpauth://") || one(`SELECT totp_secret FROM users WHERE username = 'pg-unit'`) == "" {
		t.Fatalf("totp: %s", out)
	}
	if _, _, err := srv.Service.Login(ctx, "192.0.2.2", "pg-unit", "correct horse 42"); err == nil {
		t.Fatal("login without the second factor after enrolment")
	}
	code, _ := auth.TOTPCode(secret, time.Now())
	if _, _, err := srv.Service.LoginOTP(ctx, "192.0.2.3", "pg-unit", "correct horse 42", code); err != nil {
		t.Fatalf("login with the enrolled second factor: %v", err)
	}

	// apikey create, list, revoke.
	out = ok("apikey", "create", "--db", url, "--data", none, "--name", "随手拍小程序", "--rate", "30")
	words = strings.Fields(out)
	key := words[len(words)-1]
	if k, err := srv.Service.CheckAPIKey(ctx, key); err != nil || k.RatePerMinute != 30 {
		t.Fatalf("the server does not take the new key: %+v %v", k, err)
	}
	id := one(`SELECT id::text FROM api_keys WHERE name = '随手拍小程序' AND revoked_at IS NULL`)
	if out := ok("apikey", "list", "--db", url, "--data", none); !strings.Contains(out, "随手拍小程序") || strings.Contains(out, key) {
		t.Fatalf("apikey list: %s", out)
	}
	ok("apikey", "revoke", "--db", url, "--data", none, id)
	if one(`SELECT revoked_at::text FROM api_keys WHERE id = $1`, id) == "" {
		t.Fatal("apikey revoke: revoked_at not set")
	}
	if _, err := srv.Service.CheckAPIKey(ctx, key); err == nil {
		t.Fatal("a revoked key still works")
	}

	// eventsource add, list, revoke.
	out = ok("eventsource", "add", "--db", url, "--data", none, "--code", "pg-video", "--name", "雪亮工程")
	if !strings.Contains(out, "key: ") || count(`SELECT COUNT(*) FROM event_sources WHERE code = 'pg-video' AND revoked_at IS NULL`) != 1 {
		t.Fatalf("eventsource add: %s", out)
	}
	if out := ok("eventsource", "list", "--db", url, "--data", none); !strings.Contains(out, "pg-video") || !strings.Contains(out, "active") {
		t.Fatalf("eventsource list: %s", out)
	}
	ok("eventsource", "revoke", "--db", url, "--data", none, "pg-video")
	if one(`SELECT revoked_at::text FROM event_sources WHERE code = 'pg-video'`) == "" {
		t.Fatal("eventsource revoke: revoked_at not set")
	}

	// calendar load: a 2027 year file.
	year := filepath.Join(t.TempDir(), "2027.json")
	os.WriteFile(year, []byte(`{"year": 2027, "holidays": [
  {"name": "元旦", "name_en": "New Year's Day", "from": "2027-01-01", "to": "2027-01-03"},
  {"name": "国庆节", "name_en": "National Day", "from": "2027-10-01", "to": "2027-10-07"}],
 "workdays": ["2027-10-09"]}`), 0o600)
	if out := ok("calendar", "load", "--db", url, "--data", none, year); !strings.Contains(out, "2 holidays, 1 make-up working days") {
		t.Fatalf("calendar load: %s", out)
	}
	if !strings.Contains(one(`SELECT data FROM calendar_years WHERE year = 2027`), "2027-10-09") {
		t.Fatal("calendar load: the year is not stored")
	}
	if out := ok("calendar", "years", "--db", url, "--data", none); !strings.Contains(out, "2027") {
		t.Fatalf("calendar years: %s", out)
	}

	// grids export, import back unchanged, import a change.
	file := filepath.Join(t.TempDir(), "grids.geojson")
	ok("grids", "export", "--db", url, "--data", none, "--out", file)
	raw, _ := os.ReadFile(file)
	var fc struct {
		Type     string           `json:"type"`
		Features []map[string]any `json:"features"`
	}
	grids := count(`SELECT COUNT(*) FROM grids`)
	if err := json.Unmarshal(raw, &fc); err != nil || len(fc.Features) != grids || grids == 0 {
		t.Fatalf("export: %d features of %d grids, %v", len(fc.Features), grids, err)
	}
	if out := ok("grids", "import", "--db", url, "--data", none, file); !strings.Contains(out, "0 created, 0 updated, "+strconv.Itoa(grids)+" unchanged") {
		t.Fatalf("grids re-import: %s", out)
	}
	fc.Features[3]["properties"].(map[string]any)["name"] = "命令行改名的网格"
	gid := strconv.FormatInt(int64(fc.Features[3]["id"].(float64)), 10)
	changed, _ := json.Marshal(fc)
	os.WriteFile(file, changed, 0o600)
	if out := ok("grids", "import", "--db", url, "--data", none, file); !strings.Contains(out, "0 created, 1 updated") {
		t.Fatalf("grids import of a change: %s", out)
	}
	if got := one(`SELECT name FROM org_units WHERE id = $1`, gid); got != "命令行改名的网格" {
		t.Fatalf("grid %s is named %q after the import", gid, got)
	}

	// keys rotate: every reporter re-sealed with k2, on PostgreSQL.
	out = ok("keys", "rotate", "--db", url, "--data", keyDir, "--id", "k2")
	sealed := count(`SELECT COUNT(*) FROM cases WHERE reporter_name <> ''`)
	if !strings.Contains(out, "key k2 added") || sealed == 0 {
		t.Fatalf("keys rotate: %s (%d reporters)", out, sealed)
	}
	if n := count(`SELECT COUNT(*) FROM cases WHERE reporter_name <> '' AND reporter_name NOT LIKE 'pii1:k2:%'`); n != 0 {
		t.Fatalf("keys rotate: %d of %d reporters not sealed with k2", n, sealed)
	}
	if got := one(`SELECT reporter_name FROM cases WHERE reporter_name <> '' ORDER BY id LIMIT 1`); !strings.HasPrefix(got, "pii1:k2:") {
		t.Fatalf("reporter column %q", got)
	}
	ring, _ := os.ReadFile(keys)
	if !strings.Contains(string(ring), "\nk2 ") {
		t.Fatalf("the ring has no k2:\n%s", ring)
	}

	// audit verify and export: a chain the server wrote (the audit log
	// records API requests), then a tampered row found.
	for i := range 5 {
		srv.Service.Audit(ctx, audit.Entry{UserID: 1, Username: "pg-unit", Role: "unit", Action: "POST /api/v1/cases/" + strconv.Itoa(i) + "/accept",
			Target: "/api/v1/cases/" + strconv.Itoa(i), Result: "200", IP: "127.0.0.1"})
	}
	srv.Service.FlushAudit(ctx)
	srv.Close()
	srvOpen = false
	entries := count(`SELECT COUNT(*) FROM audit_log`)
	if out := ok("audit", "verify", "--db", url, "--data", none); entries < 5 || !strings.Contains(out, "audit chain intact: "+strconv.Itoa(entries)+" entries verified") {
		t.Fatalf("audit verify (%d entries): %s", entries, out)
	}
	csvFile := filepath.Join(t.TempDir(), "audit.csv")
	ok("audit", "export", "--db", url, "--data", none, "--out", csvFile)
	b, _ := os.ReadFile(csvFile)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil || len(rows) < 2 || len(rows)-1 != count(`SELECT COUNT(*) FROM audit_log`) {
		t.Fatalf("audit export: %d rows, %v", len(rows), err)
	}
	if !strings.Contains(string(b), "/api/v1/cases/4/accept") {
		t.Fatal("audit export: the last entry is missing")
	}
	if _, err := pg.ExecContext(ctx, `UPDATE audit_log SET result = '403' WHERE seq = (SELECT MIN(seq) + 1 FROM audit_log)`); err != nil {
		t.Fatal(err)
	}
	if out, _, code := cli("audit", "verify", "--db", url, "--data", none); code != 1 || !strings.Contains(out, "BROKEN at entry") {
		t.Fatalf("audit verify of a changed row: %d %s", code, out)
	}

	// backup and restore refuse a PostgreSQL deployment.
	for _, args := range [][]string{
		{"backup", "--db", url, "--data", none, "--to", filepath.Join(t.TempDir(), "b.tar.gz"), "--without-keys"},
		{"restore", "--db", url, "--data", filepath.Join(t.TempDir(), "r"), "--from", "x.tar.gz"},
	} {
		if _, stderr, code := cli(args...); code != 1 || !strings.Contains(stderr, "PostgreSQL deployment: use pg_") {
			t.Fatalf("%s --db: %d %s", args[0], code, stderr)
		}
	}

	// No SQLite anywhere: the commands without personal data never made
	// their --data dir; demo's and keys rotate's holds only the ring.
	if _, err := os.Stat(none); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a command with --db made its --data dir %s: %v", none, err)
	}
	left, _ := os.ReadDir(keyDir)
	for _, e := range left {
		if e.Name() != app.PIIKeyFile {
			t.Errorf("%s in the data dir of a PostgreSQL deployment", e.Name())
		}
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestToolsRefuseMissingSQLite: without --db a command that works on an
// existing county refuses a data dir holding no database, naming --db,
// rather than make an empty SQLite file there and report the unit unknown
// (what `user add` did beside a PostgreSQL deployment).
func TestToolsRefuseMissingSQLite(t *testing.T) {
	t.Setenv("YIWANG_DB", "")
	dir := t.TempDir()
	for _, args := range [][]string{
		{"user", "add", "--data", dir, "--username", "u", "--role", "unit", "--org", "3", "--password", "p"},
		{"user", "totp", "--data", dir, "--username", "u"},
		{"apikey", "list", "--data", dir},
		{"eventsource", "list", "--data", dir},
		{"calendar", "years", "--data", dir},
		{"grids", "export", "--data", dir},
		{"keys", "rotate", "--data", dir, "--id", "k2"},
		{"audit", "verify", "--data", dir},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != 1 || !strings.Contains(errb.String(), "no database at") || !strings.Contains(errb.String(), "--db postgres://") {
			t.Errorf("%s: exit %d, %s", strings.Join(args[:2], " "), code, errb.String())
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the commands left %v in an empty data dir", entries)
	}
}

// TestDemoProgress: the demo's progress lines, about every 5 per cent and
// always the last.
func TestDemoProgress(t *testing.T) {
	var b bytes.Buffer
	p := demoProgress(&b)
	for done := 500; done <= 20000; done += 500 {
		p(done, 20000)
	}
	p(20000, 20000) // reported twice, printed once
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if lines[0] != "demo: 1000/20000 cases (5%)" || lines[len(lines)-1] != "demo: 20000/20000 cases (100%)" || len(lines) != 20 {
		t.Fatalf("progress:\n%s", b.String())
	}
	b.Reset()
	demoProgress(&b)(7, 7)
	if b.String() != "demo: 7/7 cases (100%)\n" {
		t.Fatalf("a one-batch load: %q", b.String())
	}
}

// TestDemoOnPostgresBulk: a demo large enough to print its progress, on
// PostgreSQL, through the bulk loader (YIWANG_DEMO_BULK_MIN lowers its
// threshold): the lines come, the cases and their statistics are in the
// schema, and the data dir holds nothing but the key ring.
func TestDemoOnPostgresBulk(t *testing.T) {
	url := storetest.PostgresURL(t)
	t.Setenv("YIWANG_DEMO_BULK_MIN", "1000")
	dir := t.TempDir()
	var out, errb bytes.Buffer
	start := time.Now()
	if code := run(context.Background(), []string{"demo", "--db", url, "--data", dir, "--cases", "6000"}, &out, &errb); code != 0 {
		t.Fatalf("demo: %d\n%s%s", code, out.String(), errb.String())
	}
	t.Logf("6000 demo cases into PostgreSQL in %s", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(out.String(), "demo: 6000/6000 cases (100%)") || !strings.Contains(out.String(), "6000 cases") {
		t.Fatalf("demo output:\n%s", out.String())
	}
	pg, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	var cases, facts int
	if err := pg.QueryRow(`SELECT (SELECT COUNT(*) FROM cases), (SELECT COUNT(*) FROM case_facts)`).Scan(&cases, &facts); err != nil {
		t.Fatal(err)
	}
	if cases != 6000 || facts != 6000 {
		t.Fatalf("schema: %d cases, %d statistics facts", cases, facts)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 || left[0].Name() != app.PIIKeyFile {
		t.Fatalf("data dir of a PostgreSQL demo holds %v", left)
	}
}
