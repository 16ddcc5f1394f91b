//go:build !linux

package app

import (
	"errors"
	"os"
	"time"
)

// createAnon: without O_TMPFILE the temporary has a name from the start;
// a killed backup leaves it, and the next backup or start removes it
// (cleanStale).
func createAnon(dir string) (*anonFile, error) { return createNamed(dir, tempPrefix+"*.tmp") }

func linkAnon(f *os.File, to string) error { return errors.New("unreachable: no unnamed files here") }

// lockFile: no advisory locks here (cleanStale goes by age instead).
func lockFile(f *os.File, wait bool) error { return nil }

// isStale: a temporary untouched for an hour belongs to no running backup.
func isStale(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && time.Since(info.ModTime()) > time.Hour
}
