package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// createAnon opens a file in dir that has no name: it is written through
// its descriptor and given its name only by link, once complete. A backup
// killed with SIGKILL half-way leaves nothing behind, since the kernel
// frees an unnamed file with its last descriptor. A file system without
// O_TMPFILE (some network mounts) gets a named, locked temporary instead,
// which the next backup removes (cleanStale).
func createAnon(dir string) (*anonFile, error) {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EINVAL) {
			return createNamed(dir, tempPrefix+"*.tmp")
		}
		return nil, &os.PathError{Op: "open O_TMPFILE", Path: dir, Err: err}
	}
	return &anonFile{File: os.NewFile(uintptr(fd), filepath.Join(dir, "(unnamed)"))}, nil
}

// linkAnon gives an unnamed file its name; it fails if the name is taken.
func linkAnon(f *os.File, to string) error {
	err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), unix.AT_FDCWD, to, unix.AT_SYMLINK_FOLLOW)
	if errors.Is(err, unix.ENOENT) {
		// No /proc: AT_EMPTY_PATH does the same where the process may.
		err = unix.Linkat(int(f.Fd()), "", unix.AT_FDCWD, to, unix.AT_EMPTY_PATH)
	}
	if err != nil {
		return fmt.Errorf("link %s: %w", to, err)
	}
	return nil
}

// lockFile takes an exclusive advisory lock on f, held until f is closed
// or the process ends: a temporary whose lock can be taken belongs to no
// running backup.
func lockFile(f *os.File, wait bool) error {
	how := unix.LOCK_EX
	if !wait {
		how |= unix.LOCK_NB
	}
	return unix.Flock(int(f.Fd()), how)
}

// isStale: a temporary whose lock can be taken belongs to no running
// backup (the lock goes with the process that held it).
func isStale(f *os.File) bool { return lockFile(f, false) == nil }
