package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yiwang-gov/yiwang/internal/store"
)

// UpdateLoginCounts locks keys' rows in one statement: an upsert that
// inserts a zero count for a key never seen and otherwise "updates" the
// row to itself, so that it holds the row lock (PostgreSQL) either way and
// returns the count as it stands. Keys are locked in sorted order, so two
// attempts sharing an address cannot wait on each other in a circle. On
// SQLite the write transaction (BEGIN IMMEDIATE) already serialises.
func (db *DB) UpdateLoginCounts(ctx context.Context, keys []string, fn func(cur []store.LoginCount) []store.LoginCount) error {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	if len(sorted) != len(keys) {
		return fmt.Errorf("login counts: keys repeat: %q", keys)
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		var b strings.Builder
		args := make([]any, 0, 2*len(sorted))
		b.WriteString(`INSERT INTO login_throttle (key, level, at) VALUES `)
		for i, k := range sorted {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, 0, 0)")
			args = append(args, k)
		}
		b.WriteString(` ON CONFLICT (key) DO UPDATE SET level = login_throttle.level RETURNING key, level, at`)
		rows, err := tx.QueryContext(ctx, db.q(b.String()), args...)
		if err != nil {
			return err
		}
		got := make(map[string]store.LoginCount, len(keys))
		for rows.Next() {
			var k string
			var c store.LoginCount
			var at int64
			if err := rows.Scan(&k, &c.Level, &at); err != nil {
				rows.Close()
				return err
			}
			if at != 0 {
				c.At = fromMs(at)
			}
			got[k] = c
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		cur := make([]store.LoginCount, len(keys))
		for i, k := range keys {
			cur[i] = got[k]
		}
		next := fn(cur)
		if next == nil {
			return nil
		}
		if len(next) != len(keys) {
			return fmt.Errorf("login counts: %d keys, %d counts to write", len(keys), len(next))
		}
		for i, k := range keys {
			at := int64(0) // the zero time, as it reads back
			if !next[i].At.IsZero() {
				at = ms(next[i].At)
			}
			if _, err := tx.ExecContext(ctx, db.q(`UPDATE login_throttle SET level = ?, at = ? WHERE key = ?`), next[i].Level, at, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// ForgetLoginCounts deletes the counts whose key begins with prefix (LIKE
// with the prefix's own % and _ escaped).
func (db *DB) ForgetLoginCounts(ctx context.Context, prefix string) (int64, error) {
	res, err := db.w.ExecContext(ctx, db.q(`DELETE FROM login_throttle WHERE key LIKE ? ESCAPE '\'`), likePrefix(prefix))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PruneLoginCounts deletes the counts under prefix that leaked to zero
// (level × leak after their last failure) and whose last failure is at
// least hold before now. A count from a clock since set back (at after
// now) is kept: it has not leaked yet.
func (db *DB) PruneLoginCounts(ctx context.Context, prefix string, leak, hold time.Duration, now time.Time) (int64, error) {
	res, err := db.w.ExecContext(ctx, db.q(`DELETE FROM login_throttle WHERE key LIKE ? ESCAPE '\' AND at + level * ? <= ? AND at <= ?`),
		likePrefix(prefix), float64(leak.Milliseconds()), ms(now), ms(now.Add(-hold)))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func likePrefix(p string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(p) + "%"
}
