package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// OpenPostgres connects to PostgreSQL at url (postgres://…) and migrates
// the schema. Several nodes may start at once: migrations run under a
// session advisory lock, so exactly one applies them.
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	pool, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(16)
	pool.SetMaxIdleConns(8)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	db := &DB{r: pool, w: pool, dialect: "postgres", url: url}
	if err := db.migratePostgres(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) migratePostgres(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/postgres")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.w, sub, goose.WithSessionLocker(locker), goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	return nil
}

// resetSequences moves PostgreSQL's id sequences past ids the caller gave
// explicitly (reference data keeps its ids), so later inserts do not collide.
func (db *DB) resetSequences(ctx context.Context, tx *sql.Tx, tables ...string) error {
	if db.dialect != "postgres" {
		return nil
	}
	for _, t := range tables {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM %s), 1))`, t, t)
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// isUnique reports whether err is a unique-constraint violation, in either
// dialect.
func isUnique(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// Exclusive runs fn under a lock shared by every node on the database:
// a PostgreSQL advisory lock, or for SQLite (one node) the process itself.
func (db *DB) Exclusive(ctx context.Context, name string, fn func(context.Context) error) error {
	if db.dialect != "postgres" {
		db.exclusive.Lock()
		defer db.exclusive.Unlock()
		return fn(ctx)
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext($1))`, name); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext($1))`, name)
	return fn(ctx)
}

// ListenReference calls fn whenever another node changes reference data
// (PostgreSQL LISTEN on yiwang_reference, fed by a trigger), until ctx
// ends; it reconnects after errors. On SQLite it returns at once: one node
// reloads itself.
func (db *DB) ListenReference(ctx context.Context, fn func()) {
	if db.dialect != "postgres" {
		return
	}
	for ctx.Err() == nil {
		if err := db.listenOnce(ctx, fn); err != nil && ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
		}
	}
}

func (db *DB) listenOnce(ctx context.Context, fn func()) error {
	conn, err := pgx.Connect(ctx, db.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN yiwang_reference"); err != nil {
		return err
	}
	fn() // catch up on anything missed while not listening
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		fn()
	}
}
