package store

import (
	"errors"
	"strings"
	"syscall"
)

// ErrDiskFull marks a write refused because the storage is out of space.
// Drivers do not return it; IsDiskFull recognises their own errors.
var ErrDiskFull = errors.New("store: storage full")

// IsDiskFull reports whether err says the storage is out of space: the
// operating system's ENOSPC (attachment files, SQLite's own writes),
// SQLite's SQLITE_FULL ("database or disk is full", primary code 13) and
// PostgreSQL's disk_full (SQLSTATE 53100). It looks through wrapping and
// matches the drivers' errors by their methods, so this package needs
// neither driver.
func IsDiskFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, ErrDiskFull) {
		return true
	}
	var sqlite interface{ Code() int } // modernc.org/sqlite *Error
	if errors.As(err, &sqlite) && sqlite.Code()&0xff == sqliteFull {
		return true
	}
	var pg interface{ SQLState() string } // pgx *pgconn.PgError
	if errors.As(err, &pg) && pg.SQLState() == pgDiskFull {
		return true
	}
	return strings.Contains(err.Error(), "database or disk is full")
}

const (
	sqliteFull = 13      // SQLITE_FULL
	pgDiskFull = "53100" // disk_full
)
