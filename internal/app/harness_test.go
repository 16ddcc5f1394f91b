package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/model"
	"github.com/yiwang-gov/yiwang/internal/store/storetest"
	_ "modernc.org/sqlite"
)

// onPostgres reports whether the suite runs on PostgreSQL
// (YIWANG_TEST_DB=postgres, on the server YIWANG_TEST_POSTGRES names)
// instead of the default SQLite file in each test's data dir.
func onPostgres() bool { return os.Getenv("YIWANG_TEST_DB") == "postgres" }

// pgSchemas maps a data dir to its scratch PostgreSQL schema, so that a
// restart on the same data dir finds the same database.
var pgSchemas sync.Map

// dbConfig points cfg at the database the suite runs on: unchanged on
// SQLite (the file in cfg.DataDir) or when the test chose its own
// DatabaseURL; on PostgreSQL a fresh schema per data dir, dropped when
// the test ends.
func dbConfig(t testing.TB, cfg app.Config) app.Config {
	t.Helper()
	if !onPostgres() || cfg.DatabaseURL != "" {
		return cfg
	}
	if u, ok := pgSchemas.Load(cfg.DataDir); ok {
		cfg.DatabaseURL = u.(string) // "" for a sqliteOnly dir
		return cfg
	}
	u := storetest.PostgresURL(t)
	dir := cfg.DataDir
	pgSchemas.Store(dir, u)
	t.Cleanup(func() { pgSchemas.Delete(dir) })
	cfg.DatabaseURL = u
	return cfg
}

// sqliteOnly keeps dir on SQLite in a PostgreSQL run too, for a test
// about the SQLite file itself; its caller says why in one line.
func sqliteOnly(t testing.TB, dir string) {
	pgSchemas.Store(dir, "")
	t.Cleanup(func() { pgSchemas.Delete(dir) })
}

// openApp is app.Open on the suite's database (see dbConfig).
func openApp(t testing.TB, ctx context.Context, cfg app.Config) (*app.App, error) {
	t.Helper()
	return app.Open(ctx, dbConfig(t, cfg))
}

// harness boots the whole app on a data dir and talks to it over HTTP, as
// a client on the network would.
type harness struct {
	t   *testing.T
	dir string
	app *app.App
	srv *httptest.Server
	// publicRate is the anonymous-write limit; tests that send load turn
	// it off (-1), the rate-limit test sets its own.
	publicRate int
}

func newHarness(t *testing.T, dir string) *harness {
	t.Helper()
	h := &harness{t: t, dir: dir, publicRate: -1}
	h.start()
	t.Cleanup(h.stop)
	return h
}

// demoTemplate is a data dir with the demo district loaded once per test
// binary; each harness starts from a copy of it instead of generating the
// district again (most of a test's start-up time, under -race).
var demoTemplate struct {
	once sync.Once
	dir  string
	err  error
}

func copyTemplate(t *testing.T, dst string) {
	t.Helper()
	if u, _ := pgSchemas.Load(dst); onPostgres() && u != "" {
		return // the demo loads into the test's empty schema
	}
	demoTemplate.once.Do(func() {
		dir, err := os.MkdirTemp("", "yiwang-demo-template-*")
		if err != nil {
			demoTemplate.err = err
			return
		}
		a, err := app.Open(context.Background(), app.Config{DataDir: dir, Demo: true, DemoCases: 60, PublicPerMinute: -1})
		if err == nil {
			err = a.Close()
		}
		demoTemplate.dir, demoTemplate.err = dir, err
	})
	if demoTemplate.err != nil {
		t.Fatalf("demo template: %v", demoTemplate.err)
	}
	if entries, _ := os.ReadDir(dst); len(entries) > 0 {
		return // a restart on an existing data dir
	}
	entries, err := os.ReadDir(demoTemplate.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(demoTemplate.dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMain(m *testing.M) {
	if onPostgres() && os.Getenv("YIWANG_TEST_POSTGRES") == "" {
		fmt.Fprintln(os.Stderr, "YIWANG_TEST_DB=postgres needs YIWANG_TEST_POSTGRES=postgres://user@127.0.0.1:5432/test?sslmode=disable")
		os.Exit(2)
	}
	code := m.Run()
	if demoTemplate.dir != "" {
		os.RemoveAll(demoTemplate.dir)
	}
	os.Exit(code)
}

func (h *harness) start() {
	h.t.Helper()
	copyTemplate(h.t, h.dir)
	a, err := openApp(h.t, context.Background(), app.Config{DataDir: h.dir, Demo: true, DemoCases: 60, PublicPerMinute: h.publicRate})
	if err != nil {
		h.t.Fatalf("open app: %v", err)
	}
	h.app = a
	h.srv = newServer(a)
}

func newServer(a *app.App) *httptest.Server { return httptest.NewServer(a.Handler) }

func (h *harness) stop() {
	if h.srv != nil {
		h.srv.Close()
		h.app.Close()
		h.srv, h.app = nil, nil
	}
}

// restart stops the server and opens the same data dir again.
func (h *harness) restart() {
	h.stop()
	h.start()
}

type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (h *harness) do(method, path, token string, body any, hdr ...string) resp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{status: res.StatusCode, header: res.Header, raw: raw}
	json.Unmarshal(raw, &r.body)
	return r
}

func (h *harness) login(user string) string {
	h.t.Helper()
	r := h.do("POST", "/api/v1/login", "", map[string]string{"username": user, "password": "yiwang-demo"})
	if r.status != 200 {
		h.t.Fatalf("login %s: %d %s", user, r.status, r.raw)
	}
	return r.body["token"].(string)
}

// counts returns the number of rows in each table that a write touches,
// read straight from the database, not through the store.
func (h *harness) counts() map[string]int {
	h.t.Helper()
	db := openRaw(h.t, h.dir)
	defer db.Close()
	out := map[string]int{}
	for _, table := range []string{"cases", "case_events", "attachments", "users", "sessions"} {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			h.t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func emptyFilter() model.CaseFilter { return model.CaseFilter{} }

// rawDB is a test's own connection to the database a data dir's app runs
// on — the SQLite file in the dir, or the dir's PostgreSQL schema — for
// reading (and, where a test stages a state, writing) rows straight from
// the tables, not through the store. Queries are written with ?
// placeholders and rebound for PostgreSQL.
type rawDB struct {
	*sql.DB
	pg bool
}

// openRaw opens dir's database; it works with the app running or stopped.
func openRaw(t testing.TB, dir string) rawDB {
	t.Helper()
	if u, ok := pgSchemas.Load(dir); ok && u != "" {
		db, err := sql.Open("pgx", u.(string))
		if err != nil {
			t.Fatal(err)
		}
		return rawDB{DB: db, pg: true}
	}
	if _, ok := pgSchemas.Load(dir); !ok && onPostgres() {
		t.Fatalf("no PostgreSQL schema for data dir %s", dir)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, app.DBFile)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	return rawDB{DB: db}
}

func (d rawDB) rebind(q string) string {
	if !d.pg {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (d rawDB) QueryRow(q string, args ...any) *sql.Row { return d.DB.QueryRow(d.rebind(q), args...) }

func (d rawDB) Query(q string, args ...any) (*sql.Rows, error) {
	return d.DB.Query(d.rebind(q), args...)
}

func (d rawDB) Exec(q string, args ...any) (sql.Result, error) {
	return d.DB.Exec(d.rebind(q), args...)
}
