package store_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/yiwang-gov/yiwang/internal/store"
	_ "modernc.org/sqlite"
)

// TestIsDiskFull: the errors a full disk really produces are recognised
// through wrapping — SQLite's SQLITE_FULL (made here with max_page_count,
// which SQLite reports exactly as a full disk), the OS's ENOSPC on a file
// write, PostgreSQL's 53100 — and other failures are not.
func TestIsDiskFull(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "full.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (v TEXT); CREATE UNIQUE INDEX t_v ON t (v); PRAGMA max_page_count = 8`); err != nil {
		t.Fatal(err)
	}
	var full error
	for i := 0; i < 1000 && full == nil; i++ {
		_, full = db.Exec(`INSERT INTO t (v) VALUES (?)`, fmt.Sprintf("%d-%s", i, strings.Repeat("x", 500)))
	}
	if full == nil {
		t.Fatal("max_page_count did not fill the database")
	}
	_, constraint := db.Exec(`INSERT INTO t (v) VALUES ((SELECT v FROM t LIMIT 1))`)
	if constraint == nil {
		t.Fatal("no constraint error")
	}
	enospc := &os.PathError{Op: "write", Path: "/data/files/ab/cd", Err: syscall.ENOSPC}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"sqlite full: " + full.Error(), full, true},
		{"wrapped sqlite full", fmt.Errorf("create case: %w", full), true},
		{"ENOSPC writing a file", fmt.Errorf("save attachment: %w", enospc), true},
		{"postgres disk_full", fmt.Errorf("insert: %w", &pgconn.PgError{Code: "53100", Message: "could not extend file"}), true},
		{"store.ErrDiskFull", store.ErrDiskFull, true},
		{"sqlite constraint: " + constraint.Error(), constraint, false},
		{"postgres unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"conflict", store.ErrConflict, false},
		{"other errno", &os.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}, false},
		{"nil", nil, false},
		{"plain", errors.New("boom"), false},
	} {
		if got := store.IsDiskFull(c.err); got != c.want {
			t.Errorf("%s: IsDiskFull = %v, want %v", c.name, got, c.want)
		}
	}
}
