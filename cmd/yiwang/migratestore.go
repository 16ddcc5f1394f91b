package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/yiwang-gov/yiwang/internal/app"
	"github.com/yiwang-gov/yiwang/internal/store/sqlstore"
)

// cmdMigrateStore copies a county's SQLite data into PostgreSQL and prints
// per-table counts and checksums. It is safe to run again: rows already
// copied are updated in place.
func cmdMigrateStore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate-store", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "source: sqlite:DIR (a yiwang data dir)")
	to := fs.String("to", "", "target: postgres://…")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir, ok := strings.CutPrefix(*from, "sqlite:")
	if !ok || dir == "" || !strings.HasPrefix(*to, "postgres") {
		return errors.New("usage: yiwang migrate-store --from sqlite:DIR --to postgres://…")
	}
	src, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, app.DBFile), sqlstore.SQLiteOptions{})
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := sqlstore.OpenPostgres(ctx, *to)
	if err != nil {
		return err
	}
	defer dst.Close()
	reports, err := sqlstore.CopyFromSQLite(ctx, src, dst)
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "table\tsource rows\ttarget rows\tsource sha256\ttarget sha256\tresult")
	bad := 0
	for _, r := range reports {
		res := "ok"
		if !r.Equal() {
			res, bad = "MISMATCH", bad+1
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", r.Table, r.SourceRows, r.TargetRows, r.SourceSum[:16], r.TargetSum[:16], res)
	}
	tw.Flush()
	if err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("%d tables differ after the copy", bad)
	}
	fmt.Fprintf(stdout, "all %d tables copied with equal counts and checksums\n", len(reports))
	return nil
}
