package app

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// backupChild is the environment variable that makes the test binary a
// backup process to be killed: "stage data dest" pauses at stage.
const backupChild = "YIWANG_TEST_BACKUP_CHILD"

func init() {
	spec := os.Getenv(backupChild)
	if spec == "" {
		return
	}
	f := strings.Fields(spec)
	stage, data, to := f[0], f[1], f[2]
	_, err := Backup(context.Background(), BackupOptions{DataDir: data, To: to, Passphrase: []byte("p"), pause: func(s string) {
		if s == stage {
			fmt.Println("PAUSED", s)
			time.Sleep(time.Hour) // until killed
		}
	}})
	fmt.Println("DONE", err)
	os.Exit(0)
}

func temporaries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// killBackup runs a backup in a child process (this test binary), waits
// until it reaches stage and kills it with SIGKILL. While it is paused,
// inspect sees the directories.
func killBackup(t *testing.T, stage, data, to string, inspect func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), backupChild+"="+stage+" "+data+" "+to)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "PAUSED "+stage) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child backup did not pause at %s: %q %v", stage, line, err)
	}
	inspect()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
}

// TestBackupKilledLeavesNoTemporary kills a backup with SIGKILL at its two
// stages. Killed while the archive is written, it leaves nothing at all:
// the archive has no name until complete (O_TMPFILE). Killed while the
// database snapshot exists (SQLite writes it by name), it leaves the
// locked snapshot in the data dir, which no one removes while its backup
// runs, and which the next server start, or the next backup, removes.
func TestBackupKilledLeavesNoTemporary(t *testing.T) {
	data, dest := t.TempDir(), t.TempDir()
	a, err := Open(context.Background(), Config{DataDir: data, Demo: true, DemoCases: 20, PublicPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	to := filepath.Join(dest, "b.tar.gz")
	probe, err := createAnon(dest)
	if err != nil {
		t.Fatal(err)
	}
	unnamed := probe.name == ""
	probe.discard()
	if !unnamed {
		t.Logf("%s has no O_TMPFILE: the archive is a named temporary, removed by the next backup", dest)
	}

	killBackup(t, "archive", data, to, func() {
		if tmp := temporaries(t, data); len(tmp) > 0 {
			t.Errorf("snapshot still named while the archive is written: %v", tmp)
		}
		if tmp := temporaries(t, dest); unnamed && len(tmp) > 0 {
			t.Errorf("archive has a name before it is complete: %v", tmp)
		}
	})
	if entries, _ := os.ReadDir(dest); unnamed && len(entries) > 0 {
		t.Fatalf("a backup killed while writing the archive left %v", entries)
	}
	if _, err := os.Stat(to); err == nil {
		t.Fatal("a killed backup left a (partial) archive under its final name")
	}

	killBackup(t, "snapshot", data, to, func() {
		if tmp := temporaries(t, data); len(tmp) == 0 {
			t.Error("no snapshot at the snapshot stage (the test no longer tests the kill window)")
		}
		if n := cleanStale(data, nil); n != 0 {
			t.Errorf("cleanStale removed %d files of a running backup", n)
		}
	})
	if tmp := temporaries(t, data); len(tmp) == 0 {
		t.Fatal("expected the killed backup's snapshot (the design leaves it for the next start)")
	}
	a, err = Open(context.Background(), Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if tmp := temporaries(t, data); len(tmp) > 0 {
		t.Fatalf("server start left the killed backup's snapshot: %v", tmp)
	}

	killBackup(t, "snapshot", data, to, func() {})
	if _, err := Backup(context.Background(), BackupOptions{DataDir: data, To: to, Passphrase: []byte("p")}); err != nil {
		t.Fatal(err)
	}
	if tmp := append(temporaries(t, data), temporaries(t, dest)...); len(tmp) > 0 {
		t.Fatalf("the next backup left the killed one's temporaries: %v", tmp)
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 1 {
		t.Fatalf("destination holds %v, want only the backup", entries)
	}
}
