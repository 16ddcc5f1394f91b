package sqlstore

import (
	"context"
	"time"
)

// HitRate counts one request against bucket in the minute starting at
// window and returns the minute's count with it, in one statement (an
// upsert), so that nodes counting at once never lose a hit.
func (db *DB) HitRate(ctx context.Context, bucket string, window time.Time) (int, error) {
	var n int
	err := db.w.QueryRowContext(ctx, db.q(`INSERT INTO rate_windows (bucket, window_start, hits) VALUES (?, ?, 1)
 ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_windows.hits + 1 RETURNING hits`), bucket, ms(window)).Scan(&n)
	return n, err
}

// PruneRates deletes the counts of minutes that started before before.
func (db *DB) PruneRates(ctx context.Context, before time.Time) (int64, error) {
	res, err := db.w.ExecContext(ctx, db.q(`DELETE FROM rate_windows WHERE window_start < ?`), ms(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
