package loadtest

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
)

// Baseline is the raw single-row INSERT loop's figures.
type Baseline struct {
	Rows    int
	Elapsed time.Duration
	Sync    string
	lat     []time.Duration
}

// PerSecond is rows committed per second.
func (b *Baseline) PerSecond() float64 { return float64(b.Rows) / b.Elapsed.Seconds() }

// Percentile returns the q-th INSERT latency quantile.
func (b *Baseline) Percentile(q float64) time.Duration {
	k := Kind{latencies: b.lat}
	return k.Percentile(q)
}

// RunBaseline runs the raw single-row INSERT loop for d on a scratch
// SQLite store in dir, opened exactly as yiwang opens its own (WAL, the
// given synchronous mode, the write connection's pragmas).
func RunBaseline(ctx context.Context, dir, sync string, d time.Duration) (*Baseline, error) {
	if d <= 0 || d > 10*time.Minute {
		return nil, fmt.Errorf("baseline duration %s: must be positive and at most 10m", d)
	}
	if sync == "" {
		sync = "FULL"
	}
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "raw-insert-baseline.db"), sqlstore.SQLiteOptions{Synchronous: sync})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	start := time.Now()
	lat, err := db.RawInsertBaseline(ctx, d, 0)
	if err != nil {
		return nil, err
	}
	b := &Baseline{Rows: len(lat), Elapsed: time.Since(start), Sync: sync, lat: lat}
	slices.Sort(b.lat)
	return b, nil
}

// Compare prints the baseline and the HTTP run's case creations side by side.
func Compare(w io.Writer, b *Baseline, r *Result) {
	fmt.Fprintf(w, "\n%-58s %10s %9s %9s %9s\n", "side by side", "rows/s", "p50", "p99", "max")
	fmt.Fprintf(w, "%-58s %10.0f %9s %9s %9s\n", fmt.Sprintf("(a) raw single-row INSERT loop, SQLite WAL synchronous=%s", b.Sync), b.PerSecond(),
		rd(b.Percentile(.5)), rd(b.Percentile(.99)), rd(b.Percentile(1)))
	if k := r.ByKind["cases"]; k != nil {
		created := float64(r.Status[201]) / r.Elapsed.Seconds()
		fmt.Fprintf(w, "%-58s %10.0f %9s %9s %9s\n", "(b) HTTP POST /api/v1/cases (routing, timeline, audit)", created,
			rd(k.Percentile(.5)), rd(k.Percentile(.99)), rd(k.Percentile(1)))
		fmt.Fprintf(w, "(b) / (a) = %.2f\n", created/b.PerSecond())
	}
}
