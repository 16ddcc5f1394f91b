package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/yiwang-gov/yiwang/internal/app"
)

func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("YIWANG_DATA", "./yiwang-data"), "data directory (YIWANG_DATA)")
	to := fs.String("to", "", "backup file to write (.tar.gz); must not exist")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" {
		return errors.New("usage: yiwang backup --data DIR --to FILE.tar.gz")
	}
	if err := app.Backup(ctx, *data, *to); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s written to %s\n", *data, *to)
	return nil
}

func cmdRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", env("YIWANG_DATA", "./yiwang-data"), "empty data directory to restore into (YIWANG_DATA)")
	from := fs.String("from", "", "backup file written by yiwang backup")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		return errors.New("usage: yiwang restore --from FILE.tar.gz --data DIR")
	}
	if err := app.Restore(ctx, *from, *data); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s; integrity check passed\n", *from, *data)
	return nil
}
