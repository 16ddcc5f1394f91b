package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
)

// WriterDriver is the database/sql driver of SQLite's one write
// connection: modernc's driver with a cache of prepared statements on the
// connection. Every write path (a case and its first event, an action, an
// audit entry, the timers) runs the same few statements again and again;
// compiling them is most of their cost (SQLite compiles the statistics
// triggers into each INSERT on cases), so the write connection compiles
// each statement text once and reuses it. Nothing else changes: the same
// SQL, the same transactions, the same results.
const WriterDriver = "sqlite-yiwang-writer"

// WriterPragmas are added to the write connection's DSN. temp_store=MEMORY
// keeps SQLite's statement journal (written for every INSERT that fires a
// trigger, and for every savepoint of a group commit) in memory instead of
// a temporary file; a 64 MiB page cache keeps the indexes a create touches
// (random receipts) in memory up to a few million cases.
const WriterPragmas = "&_pragma=temp_store(MEMORY)&_pragma=cache_size(-65536)"

// maxCachedStmts bounds the cache; statements beyond it are compiled and
// finalised each time, as without the cache.
const maxCachedStmts = 256

func init() {
	// sql.Open does not connect: it only resolves the registered driver,
	// so the writer uses exactly the driver (and its registrations) that
	// the "sqlite" name gives.
	tmp, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		panic("sqlstore: sqlite driver missing: " + err.Error())
	}
	inner := tmp.Driver()
	tmp.Close()
	sql.Register(WriterDriver, &stmtCacheDriver{inner: inner})
}

type stmtCacheDriver struct{ inner driver.Driver }

func (d *stmtCacheDriver) Open(name string) (driver.Conn, error) {
	c, err := d.inner.Open(name)
	if err != nil {
		return nil, err
	}
	return &cachingConn{Conn: c, stmts: map[string]*cachedStmt{}}, nil
}

// cachingConn wraps a driver connection. It deliberately does not offer
// ExecerContext or QueryerContext, so database/sql prepares every
// statement through PrepareContext — which answers from the cache — and
// closes it after use, which returns it to the cache. A statement still in
// use (rows not yet closed, or a long-lived sql.Stmt) is not shared: a
// second user of the same text gets a statement of its own.
//
// database/sql uses a connection from one goroutine at a time, so the
// cache needs no lock.
type cachingConn struct {
	driver.Conn
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	driver.Stmt
	busy bool
}

// Close returns the statement to the cache instead of finalising it.
func (s *cachedStmt) Close() error {
	s.busy = false
	return nil
}

// ExecContext and QueryContext reach the driver statement's context-aware
// methods (database/sql looks for them on the statement it was given).
func (s *cachedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	if ec, ok := s.Stmt.(driver.StmtExecContext); ok {
		return ec.ExecContext(ctx, args)
	}
	return nil, driver.ErrSkip
}

func (s *cachedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	if qc, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return qc.QueryContext(ctx, args)
	}
	return nil, driver.ErrSkip
}

func (c *cachingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if s, ok := c.stmts[query]; ok && !s.busy {
		s.busy = true
		return s, nil
	}
	st, err := c.prepare(ctx, query)
	if err != nil {
		return nil, err
	}
	if _, ok := c.stmts[query]; ok || len(c.stmts) >= maxCachedStmts {
		return st, nil // in use already, or the cache is full: not cached
	}
	s := &cachedStmt{Stmt: st, busy: true}
	c.stmts[query] = s
	return s, nil
}

func (c *cachingConn) prepare(ctx context.Context, query string) (driver.Stmt, error) {
	if pc, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return pc.PrepareContext(ctx, query)
	}
	return c.Conn.Prepare(query)
}

// Close finalises the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.Stmt.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.Conn.Close())
	return errors.Join(errs...)
}

// The optional interfaces of modernc's connection, passed through (see
// sqlite.NewConnector's notes on wrappers).

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if bt, ok := c.Conn.(driver.ConnBeginTx); ok {
		return bt.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // fallback for drivers without BeginTx
}

func (c *cachingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *cachingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *cachingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

var (
	_ driver.ConnPrepareContext = (*cachingConn)(nil)
	_ driver.ConnBeginTx        = (*cachingConn)(nil)
	_ driver.Pinger             = (*cachingConn)(nil)
	_ driver.SessionResetter    = (*cachingConn)(nil)
	_ driver.Validator          = (*cachingConn)(nil)
	_ driver.StmtExecContext    = (*cachedStmt)(nil)
	_ driver.StmtQueryContext   = (*cachedStmt)(nil)
)
