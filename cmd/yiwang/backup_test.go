package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBackupRestoreCommands: the commands refuse a backup that would leave
// the keys behind unless told, say so when told, and restore with the
// passphrase (file or environment) or not at all.
func TestBackupRestoreCommands(t *testing.T) {
	ctx := context.Background()
	t.Setenv("YIWANG_BACKUP_PASSPHRASE", "")
	yiwang := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(ctx, args, &out, &errb)
		return code, out.String(), errb.String()
	}
	data := t.TempDir()
	if code, _, e := yiwang("demo", "--data", data, "--cases", "20"); code != 0 {
		t.Fatalf("demo: %s", e)
	}
	dest := t.TempDir()
	if code, _, e := yiwang("backup", "--data", data, "--to", filepath.Join(dest, "a.tar.gz")); code == 0 || !strings.Contains(e, "--passphrase-file") || !strings.Contains(e, "--without-keys") {
		t.Fatalf("backup without passphrase: exit %d: %s", code, e)
	}
	code, out, e := yiwang("backup", "--data", data, "--to", filepath.Join(dest, "nokeys.tar.gz"), "--without-keys")
	if code != 0 || !strings.Contains(out, "NOT in this backup") || !strings.Contains(out, "--pii-keys") {
		t.Fatalf("backup --without-keys: exit %d: %s %s", code, out, e)
	}
	passFile := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(passFile, []byte("a passphrase from a file\n"), 0o600)
	if code, out, e := yiwang("backup", "--data", data, "--to", filepath.Join(dest, "b.tar.gz"), "--passphrase-file", passFile); code != 0 || !strings.Contains(out, "sealed under the passphrase") {
		t.Fatalf("backup --passphrase-file: exit %d: %s %s", code, out, e)
	}
	wrongFile := filepath.Join(t.TempDir(), "wrong")
	os.WriteFile(wrongFile, []byte("not the passphrase\n"), 0o600)
	target := filepath.Join(t.TempDir(), "restored")
	if code, _, e := yiwang("restore", "--from", filepath.Join(dest, "b.tar.gz"), "--data", target, "--passphrase-file", wrongFile); code == 0 || !strings.Contains(e, "passphrase does not open") {
		t.Fatalf("restore with the wrong passphrase: exit %d: %s", code, e)
	}
	if entries, _ := os.ReadDir(target); len(entries) > 0 {
		t.Fatalf("a failed restore left %v", entries)
	}
	t.Setenv("YIWANG_BACKUP_PASSPHRASE", "a passphrase from a file")
	code, out, e = yiwang("restore", "--from", filepath.Join(dest, "b.tar.gz"), "--data", target)
	if m := regexp.MustCompile(`(\d+) sealed personal values opened`).FindStringSubmatch(out); code != 0 || m == nil || m[1] == "0" || !strings.Contains(out, "key ring restored") {
		t.Fatalf("restore with the passphrase in the environment: exit %d: %s %s", code, out, e)
	}
	if code, out, e := yiwang("restore", "--from", filepath.Join(dest, "nokeys.tar.gz"), "--data", filepath.Join(t.TempDir(), "r2"), "--pii-keys", filepath.Join(data, "pii.keys")); code != 0 || !strings.Contains(out, "--pii-keys") {
		t.Fatalf("restore --pii-keys: exit %d: %s %s", code, out, e)
	}
}
