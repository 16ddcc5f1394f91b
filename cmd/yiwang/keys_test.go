package main

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/app"
	_ "modernc.org/sqlite"
)

// TestKeysRotateSQLite: on the SQLite data dir, keys rotate adds k2 to the
// ring and every reporter is then sealed with it (TestCLIOnPostgres does
// the same on PostgreSQL).
func TestKeysRotateSQLite(t *testing.T) {
	t.Setenv("YIWANG_DB", "")
	ctx := context.Background()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"demo", "--data", dir, "--cases", "20"}, &out, &errb); code != 0 {
		t.Fatalf("demo: %d %s", code, errb.String())
	}
	out.Reset()
	if code := run(ctx, []string{"keys", "rotate", "--data", dir, "--id", "k2"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "restart every server") {
		t.Fatalf("keys rotate: %d %s%s", code, out.String(), errb.String())
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, app.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var all, k2 int
	if err := db.QueryRow(`SELECT COUNT(*), COUNT(*) FILTER (WHERE reporter_name LIKE 'pii1:k2:%') FROM cases WHERE reporter_name <> ''`).Scan(&all, &k2); err != nil {
		t.Fatal(err)
	}
	if all == 0 || k2 != all {
		t.Fatalf("%d of %d reporters sealed with k2", k2, all)
	}
}
