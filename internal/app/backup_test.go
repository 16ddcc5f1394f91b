package app_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
)

func sums(t *testing.T, dir string) map[string]sqlstore.TableReport {
	t.Helper()
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(dir, app.DBFile), sqlstore.SQLiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := st.TableSums(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBackupRestoreRoundTrip backs up a running app's data dir and
// restores it elsewhere: every table and every attachment comes back equal.
func TestBackupRestoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	sqliteOnly(t, dir) // a backup holds the SQLite file; PostgreSQL is backed up with pg_dump
	h := newHarness(t, dir)
	op := h.login("operator1")
	photo := upload(t, h, op, pngBytes(t))
	lat, lng, _ := demoPoint(t, h, 5)
	if r := h.do("POST", "/api/v1/cases", op, map[string]any{"category": pickCategory(t, h, true).Code, "description": "备份测试", "lat": lat, "lng": lng}); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	// The create's audit entry is appended in the background: let it land
	// before the snapshot, so the original and the restore can be compared.
	h.app.Service.FlushAudit(context.Background())
	backup := filepath.Join(t.TempDir(), "b.tar.gz")
	opt := app.BackupOptions{DataDir: dir, To: backup, Passphrase: []byte("correct horse battery")}
	if _, err := app.Backup(context.Background(), opt); err != nil { // while the server runs
		t.Fatal(err)
	}
	if _, err := app.Backup(context.Background(), opt); err == nil {
		t.Fatal("backup overwrote an existing file")
	}
	h.stop()
	restored := filepath.Join(t.TempDir(), "restored")
	ropt := app.RestoreOptions{From: backup, DataDir: restored, Passphrase: opt.Passphrase}
	if _, err := app.Restore(context.Background(), ropt); err != nil {
		t.Fatal(err)
	}
	want, got := sums(t, dir), sums(t, restored)
	if len(want) < 10 || !reflect.DeepEqual(want, got) {
		t.Fatalf("restored tables differ:\nwant %v\ngot  %v", want, got)
	}
	orig, _ := os.ReadFile(filepath.Join(dir, "files", photo[:2], photo[2:]))
	back, err := os.ReadFile(filepath.Join(restored, "files", photo[:2], photo[2:]))
	if err != nil || len(orig) == 0 || string(orig) != string(back) {
		t.Fatalf("attachment not restored: %v", err)
	}
	if _, err := app.Restore(context.Background(), ropt); err == nil {
		t.Fatal("restore into a non-empty dir succeeded")
	}
	// An archive with a path escaping the data dir is refused.
	evil := filepath.Join(t.TempDir(), "evil.tar.gz")
	f, _ := os.Create(evil)
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: "../escape", Mode: 0o600, Size: 1, Typeflag: tar.TypeReg})
	tw.Write([]byte("x"))
	tw.Close()
	gz.Close()
	f.Close()
	if _, err := app.Restore(context.Background(), app.RestoreOptions{From: evil, DataDir: filepath.Join(t.TempDir(), "x")}); err == nil {
		t.Fatal("restore accepted a path outside the data dir")
	}
}
