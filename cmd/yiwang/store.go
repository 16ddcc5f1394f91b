package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
)

// storeFlags are the flags of every command that works on a county's
// store, one set so that each takes a PostgreSQL deployment the same way:
// --db URL (YIWANG_DB) names the database and --data is then only where
// the default key ring lives; without --db the store is the SQLite file in
// --data. A command given --db never opens, makes or touches a SQLite
// file, so a tool run beside a PostgreSQL deployment cannot split the
// county's data in two.
type storeFlags struct {
	data, db *string
	// piiKeys is set for the commands that read or write personal data
	// (demo, keys rotate); the others open the store without the key ring
	// (app.Config.WithoutPII) and need no access to it.
	piiKeys *string
}

// addStoreFlags defines --data and --db on fs, and --pii-keys when the
// command touches personal data.
func addStoreFlags(fs *flag.FlagSet, personalData bool) *storeFlags {
	s := &storeFlags{
		data: fs.String("data", env("YIWANG_DATA", "./yiwang-data"), "data directory: the SQLite database, attachments, the default key ring (YIWANG_DATA)"),
		db:   fs.String("db", env("YIWANG_DB", ""), "PostgreSQL URL postgres://… of a PostgreSQL deployment; empty: the SQLite file in --data (YIWANG_DB)"),
	}
	if personalData {
		s.piiKeys = fs.String("pii-keys", env("YIWANG_PII_KEYS", ""), "the server's key file sealing personal data (YIWANG_PII_KEYS); default DATA/pii.keys")
	}
	return s
}

func (s *storeFlags) postgres() bool { return *s.db != "" }

// where names the store for a person: the data dir, or the URL without
// its password.
func (s *storeFlags) where() string {
	if s.postgres() {
		return redactURL(*s.db)
	}
	return *s.data
}

// config is the app configuration of a maintenance command: no deadline
// timers (the servers fire them), no batching writer (one writer).
func (s *storeFlags) config(stderr io.Writer) app.Config {
	cfg := app.Config{DataDir: *s.data, DatabaseURL: *s.db, TimerTick: -1, GroupCommit: "off", Log: newLogger(stderr, "warn")}
	if s.piiKeys != nil {
		cfg.PIIKeys = *s.piiKeys
	} else {
		cfg.WithoutPII = true
	}
	return cfg
}

// needExisting refuses a SQLite data dir without a database: a command
// run on the wrong directory (or beside a PostgreSQL deployment without
// --db) would otherwise make an empty county and work on it.
func (s *storeFlags) needExisting() error {
	if s.postgres() {
		return nil
	}
	path := filepath.Join(*s.data, app.DBFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no database at %s: run yiwang migrate --data %s first, or give --db postgres://… (YIWANG_DB) for a PostgreSQL deployment", path, *s.data)
	} else if err != nil {
		return err
	}
	return nil
}

// open starts the app on an existing store.
func (s *storeFlags) open(ctx context.Context, stderr io.Writer) (*app.App, error) {
	if err := s.needExisting(); err != nil {
		return nil, err
	}
	return app.Open(ctx, s.config(stderr))
}

// openSQL opens the bare store (migrations applied), for commands that
// need no service: migrate (create: a new SQLite file is made) and audit.
func (s *storeFlags) openSQL(ctx context.Context, create bool) (*sqlstore.DB, error) {
	if s.postgres() {
		return sqlstore.OpenPostgres(ctx, *s.db)
	}
	if !create {
		if err := s.needExisting(); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(*s.data, 0o750); err != nil {
		return nil, err
	}
	return sqlstore.OpenSQLite(ctx, filepath.Join(*s.data, app.DBFile), sqlstore.SQLiteOptions{})
}
