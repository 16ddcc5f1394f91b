package sqlstore

import (
	"context"
	"fmt"
	"os"
)

// BackupTo writes a consistent copy of the SQLite database to path while
// the server keeps running (VACUUM INTO reads one snapshot; writers wait
// only for the copy's duration on the single write connection).
func (db *DB) BackupTo(ctx context.Context, path string) error {
	if db.dialect != "sqlite" {
		return fmt.Errorf("backup: use pg_dump for PostgreSQL")
	}
	// VACUUM INTO takes an absent or empty file (the caller may hold
	// an empty, locked temporary), never one with content.
	if info, err := os.Stat(path); err == nil && info.Size() > 0 {
		return fmt.Errorf("backup: %s already exists", path)
	}
	_, err := db.w.ExecContext(ctx, `VACUUM INTO ?`, path)
	return err
}

// TableSums returns each table's row count and content checksum (see
// checksum), to compare a backup, a restore or a copy with its source.
func (db *DB) TableSums(ctx context.Context) (map[string]TableReport, error) {
	if db.dialect != "sqlite" {
		return nil, fmt.Errorf("TableSums reads SQLite's catalogue")
	}
	tables, err := db.sqliteTables(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]TableReport{}
	for _, t := range tables {
		n, sum, err := checksum(ctx, db, t)
		if err != nil {
			return nil, err
		}
		out[t.name] = TableReport{Table: t.name, SourceRows: n, SourceSum: sum}
	}
	return out, nil
}
