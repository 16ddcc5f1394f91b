package sqlstore

import (
	"context"
	"fmt"
	"time"
)

// RawInsertBaseline measures the floor under every write on this store's
// settings: one loop of single-row INSERTs, each its own transaction (one
// commit, one fsync with synchronous=FULL), through the store's own write
// connection (same driver, pragmas, journal and synchronous mode). It
// writes into a scratch table it drops afterwards; run it on a scratch
// store. It stops after d, or after max rows when max > 0, and returns each
// INSERT's latency.
func (db *DB) RawInsertBaseline(ctx context.Context, d time.Duration, max int) ([]time.Duration, error) {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE raw_insert_baseline (id INTEGER PRIMARY KEY, receipt TEXT NOT NULL UNIQUE, body TEXT NOT NULL, created_at INTEGER NOT NULL)`); err != nil {
		return nil, err
	}
	defer db.w.ExecContext(context.WithoutCancel(ctx), `DROP TABLE raw_insert_baseline`)
	var lat []time.Duration
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end) && (max <= 0 || i < max) && ctx.Err() == nil; i++ {
		t0 := time.Now()
		if _, err := db.w.ExecContext(ctx, `INSERT INTO raw_insert_baseline (receipt, body, created_at) VALUES (?, ?, ?)`,
			fmt.Sprintf("R%011d", i), "压力测试：路面破损", t0.UnixMilli()); err != nil {
			return lat, err
		}
		lat = append(lat, time.Since(t0))
	}
	return lat, nil
}
