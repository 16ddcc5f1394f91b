package app

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// tempPrefix names every temporary a backup makes. Such a file holds a
// copy of the county's data, so none may outlive its backup: see
// createAnon (the archive never has a name until it is complete) and
// cleanStale (the database snapshot, which SQLite writes by name).
const tempPrefix = ".yiwang-backup-"

// anonFile is a file being written that gets its final name only when
// complete; name is its temporary name, "" when it has none.
type anonFile struct {
	*os.File
	name string
}

// createNamed makes a named temporary in dir, locked for as long as this
// process holds it, so cleanStale can tell a dead backup's file from a
// running one's.
func createNamed(dir, pattern string) (*anonFile, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f, true); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &anonFile{File: f, name: f.Name()}, nil
}

// link makes the file durable and gives it the name to, never replacing a
// file already there.
func (f *anonFile) link(to string) error {
	if err := f.Sync(); err != nil {
		return err
	}
	if f.name == "" {
		if err := linkAnon(f.File, to); err != nil {
			return err
		}
	} else {
		if err := os.Link(f.name, to); err != nil {
			return err
		}
		os.Remove(f.name)
		f.name = ""
	}
	return syncDir(filepath.Dir(to))
}

// discard closes the file and removes any name it has.
func (f *anonFile) discard() {
	f.Close()
	if f.name != "" {
		os.Remove(f.name)
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return err
	}
	return nil
}

// cleanStale removes the temporaries that backups killed half-way left in
// dir (and SQLite's companions of a snapshot: -journal, -wal, -shm). A
// temporary a running backup holds is left alone. It runs at the start of
// every backup (in the data dir and the destination's) and of every server
// start (in the data dir), and says how many it removed.
func cleanStale(dir string, log *slog.Logger) int {
	matches, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*"))
	n := 0
	for _, m := range matches {
		base := m
		for _, suffix := range []string{"-journal", "-wal", "-shm"} {
			base = strings.TrimSuffix(base, suffix)
		}
		f, err := os.Open(base)
		if err != nil {
			if base != m && errors.Is(err, fs.ErrNotExist) && os.Remove(m) == nil {
				n++
			}
			continue
		}
		stale := isStale(f)
		f.Close()
		if stale && os.Remove(m) == nil {
			n++
		}
	}
	if n > 0 && log != nil {
		log.Warn("removed temporaries a killed backup left", "dir", dir, "files", n)
	}
	return n
}
