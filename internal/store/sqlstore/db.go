// Package sqlstore implements store.Store with hand-written SQL over
// database/sql. One implementation serves SQLite (modernc.org/sqlite, no cgo)
// and PostgreSQL: queries are written with ? placeholders and rebound for
// the dialect, times are Unix milliseconds in both, and each dialect has its
// own embedded goose migrations.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/yiwang-gov/yiwang/internal/pii"
	"github.com/yiwang-gov/yiwang/internal/store"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations
var migrations embed.FS

// DB is a store.Store over SQL. Writes go through w, reads through r; for
// SQLite w is a single connection so writers queue in Go, not on the lock.
type DB struct {
	r, w      *sql.DB
	dialect   string
	exclusive sync.Mutex
	// pii seals reporters' personal data; nil stores it as given.
	pii *pii.Ring
	// piiWithheld: see WithholdPII.
	piiWithheld bool
	// personal names a case type's fields sealed like the reporter's.
	personal func(caseType string, version int) []string
	url      string      // PostgreSQL connection URL, for LISTEN
	noOutbox atomic.Bool // see SetOutbox
}

// SetPII turns on sealing of personal data with the key ring. Rows written
// before stay readable and are sealed again by ResealPII.
func (db *DB) SetPII(r *pii.Ring) { db.pii, db.piiWithheld = r, false }

// WithholdPII is for maintenance commands that touch no personal data and
// so open the store without the key ring (yiwang user add, apikey … on a
// deployment whose ring stays with the server): writing a personal value
// then fails, where a store without a ring would keep it as given, and
// reading a sealed one fails as it does without a ring.
func (db *DB) WithholdPII() { db.pii, db.piiWithheld = nil, true }

// ErrPIIWithheld is what writing personal data returns on a store opened
// with WithholdPII.
var ErrPIIWithheld = errors.New("personal data: this command opens the store without the key ring and may not write personal data")

// seal seals one personal value with the ring.
func (db *DB) seal(v string) (string, error) {
	if db.piiWithheld && v != "" {
		return "", ErrPIIWithheld
	}
	return db.pii.Seal(v)
}

var _ store.Store = (*DB)(nil)

// Pools returns the read and the write connection pools (one and the same
// on PostgreSQL), for their statistics.
func (db *DB) Pools() (read, write *sql.DB) { return db.r, db.w }

// SQLiteOptions tunes the embedded database.
type SQLiteOptions struct {
	// Synchronous is SQLite's synchronous pragma. FULL (the default) makes
	// every acknowledged commit survive power loss; NORMAL survives a process
	// crash only.
	Synchronous string
}

// OpenSQLite opens (creating if needed) the database file at path and
// migrates it to the current schema.
func OpenSQLite(ctx context.Context, path string, opt SQLiteOptions) (*DB, error) {
	sync := strings.ToUpper(opt.Synchronous)
	if sync == "" {
		sync = "FULL"
	}
	if sync != "FULL" && sync != "NORMAL" {
		return nil, fmt.Errorf("sqlite: synchronous must be FULL or NORMAL, not %q", opt.Synchronous)
	}
	base := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")&_time_format=sqlite"
	w, err := sql.Open(WriterDriver, base+"&_txlock=immediate"+WriterPragmas) // statement cache, see groupcommit_stmtcache.go
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db := &DB{w: w, dialect: "sqlite"}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	db.r = r
	return db, nil
}

func (db *DB) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/"+db.dialect)
	if err != nil {
		return err
	}
	gd := goose.DialectSQLite3
	if db.dialect == "postgres" {
		gd = goose.DialectPostgres
	}
	p, err := goose.NewProvider(gd, db.w, sub, goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	var errs []error
	if db.r != nil && db.r != db.w {
		errs = append(errs, db.r.Close())
	}
	errs = append(errs, db.w.Close())
	return errors.Join(errs...)
}

// Dialect names the database.
func (db *DB) Dialect() string { return db.dialect }

// Ping is the health probe: both pools answer and the schema is there. It
// must stay cheap, so it never reads the whole file (see IntegrityCheck).
func (db *DB) Ping(ctx context.Context) error { return db.PingLight(ctx) }

// IntegrityCheck is the light check followed by the full one
// (CheckIntegrity): at start-up and after a restore, never per request.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	if err := db.PingLight(ctx); err != nil {
		return err
	}
	return db.CheckIntegrity(ctx)
}

// q rebinds ? placeholders to $1, $2 ... for PostgreSQL.
func (db *DB) q(query string) string {
	if db.dialect != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// tx runs fn in one write transaction.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	t, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(t); err != nil {
		t.Rollback()
		return err
	}
	return t.Commit()
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// nullMs stores the zero time as NULL.
func nullMs(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMs(v int64) time.Time { return time.UnixMilli(v) }

func fromNullMs(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

// nullID stores 0 as NULL for optional references.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func fromNullID(v sql.NullInt64) int64 {
	if !v.Valid {
		return 0
	}
	return v.Int64
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
