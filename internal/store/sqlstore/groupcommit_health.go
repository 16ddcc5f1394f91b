package sqlstore

import (
	"context"
	"fmt"
)

// Size is the database file's size in bytes (SQLite), 0 for PostgreSQL.
func (db *DB) Size(ctx context.Context) (int64, error) {
	if db.dialect != "sqlite" {
		return 0, nil
	}
	var pages, size int64
	if err := db.r.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return 0, err
	}
	if err := db.r.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size); err != nil {
		return 0, err
	}
	return pages * size, nil
}

// PingLight checks that both pools answer and the schema is readable,
// without reading the whole file: what a health probe may do every few
// seconds on a store of millions of cases.
func (db *DB) PingLight(ctx context.Context) error {
	if err := db.r.PingContext(ctx); err != nil {
		return err
	}
	var n int64
	if err := db.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM goose_db_version`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: schema missing", db.dialect)
	}
	return nil
}

// CheckIntegrity runs SQLite's quick_check over the whole file on a read
// connection, so writes go on while it reads (it takes seconds per GiB);
// on PostgreSQL it is a ping.
func (db *DB) CheckIntegrity(ctx context.Context) error {
	if db.dialect != "sqlite" {
		return db.r.PingContext(ctx)
	}
	var res string
	if err := db.r.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("sqlite integrity check: %s", res)
	}
	return nil
}

// SetIntegrity records the outcome of a background integrity check; a
// failure makes Ping (the health probe) fail from then on.
func (g *GroupCommit) SetIntegrity(err error) {
	g.integrity.Store(&err)
}

// Ping is the light check plus the last background integrity check's
// outcome: a health probe must not read a large store whole, on the write
// connection, every few seconds.
func (g *GroupCommit) Ping(ctx context.Context) error {
	if p := g.integrity.Load(); p != nil && *p != nil {
		return *p
	}
	return g.DB.PingLight(ctx)
}
